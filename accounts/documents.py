"""Identity-document rules: normalising numbers, format and checksum checks, the age rule.

Pure functions (no database access), shared by the verification form, the services and
the admin. ``docs/accounts.md`` states the rules for people; this module is their
single implementation.

The age rule
------------
Ages are counted on the calendar date in the platform's time zone
(``settings.TIME_ZONE``), not UTC: a user born on 10 May becomes a year older at
00:00 on 10 May in that zone. A birthday today counts (18 years exactly is an adult;
17 years and 364 days is not). Someone born on 29 February reaches each new age on
1 March in non-leap years (and on 29 February in leap years) — the reading used by
most civil-law systems, including the PRC's: the anniversary does not exist, so the
day before it (28 February) is still inside the old year of age.

China's 18-digit numbers
------------------------
Resident ID cards, the residence permits of Hong Kong, Macao and Taiwan residents
(region 810000/820000/830000) and the 2023 Foreigners' Permanent Residence ID card
(first digit 9) share one scheme (GB 11643): 17 digits, the last a ISO 7064
MOD 11-2 check character (0–9 or X). The region code is checked against every code
that has EVER existed (python-stdnum's table), not the table's dates: numbers are
assigned when a person is first registered, often years after birth and in a county
created later, and stay valid after the county is abolished or renamed. python-stdnum's
own ``validate`` compares the county's dates with the year of birth and so refuses
real people's cards (for instance anyone born before 1990 in Shenzhen's Nanshan
district, or a Hong Kong resident born before 1997).
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from dataclasses import dataclass
from functools import cache
from zoneinfo import ZoneInfo

from django.conf import settings
from django.utils import timezone
from stdnum import numdb
from stdnum.cn import ric

from .exceptions import InvalidDocument

ADULT_AGE = 18
MIN_BIRTH_DATE = dt.date(1900, 1, 1)

CN_RESIDENT_ID = "cn_resident_id"
CN_RESIDENCE_PERMIT = "cn_residence_permit"
CN_PERMANENT_RESIDENCE = "cn_permanent_res"
HKMO_TRAVEL_PERMIT = "hkmo_travel_permit"
TW_TRAVEL_PERMIT = "tw_travel_permit"
PASSPORT = "passport"
OTHER = "other"

# Characters people type between groups of a document number (including
# zero-width spaces that pasting from chat apps brings along).
_SEPARATORS = re.compile(r"[\s\-‐‑‒–—―/.·・_,，、:：\u200b-\u200d\u2060\ufeff]+")
_DIGITS = re.compile(r"\A[0-9]+\Z")
# Chinese ordinary passports: E + 8 digits or E + letter (not I/O) + 7 digits; older
# G + 8 digits; diplomatic/service/public-affairs: D, S, P + 7 or 8 digits (DE, SE,
# PE + 7 on the e-passports); Hong Kong SAR passports: K + 8 digits.
_CN_PASSPORT = re.compile(
    r"^(E[0-9]{8}|E[A-HJ-NP-Z][0-9]{7}|G[0-9]{8}|[DSP][0-9]{7,8}|[DSP]E[0-9]{7}|K[0-9]{8})$"
)
# ICAO 9303: the document number is up to 9 characters of A–Z and 0–9; national
# formats use 6 to 9, and every one we know has at least one digit.
_PASSPORT = re.compile(r"^(?=.*[0-9])[A-Z0-9]{6,9}$")
_OTHER_ID = re.compile(r"^(?=.*[0-9])[A-Z0-9]{4,30}$")
# Mainland Travel Permit for Hong Kong and Macao Residents: H or M + 8 digits; the
# card prints the times issued (2 digits) after it, which changes at each renewal.
_HKMO_PERMIT = re.compile(r"^([HM][0-9]{8})([0-9]{2})?$")
# Mainland Travel Permit for Taiwan Residents: 8 digits for life, then the times
# issued (2 digits).
_TW_PERMIT = re.compile(r"^([0-9]{8})([0-9]{2})?$")
# The 2017 Foreigners' Permanent Residence ID card: nationality (ISO 3166 alpha-3),
# issuing province (2 digits), birth date (YYMMDD), then 4 digits (sequence and a
# check digit whose algorithm is not published, so it is not checked).
_PERMANENT_RESIDENCE_2017 = re.compile(r"^([A-Z]{3})([0-9]{2})([0-9]{6})([0-9]{4})$")

# Province-level codes that mainland resident ID numbers start with.
_MAINLAND_PROVINCES = frozenset(
    "11 12 13 14 15 21 22 23 31 32 33 34 35 36 37 41 42 43 44 45 46 50 51 52 53 54 "
    "61 62 63 64 65".split()
)
# Residence permits of Hong Kong, Macao and Taiwan residents: the whole region code.
_PERMIT_REGIONS = {"810000": "HK", "820000": "MO", "830000": "TW"}

# What a number of the 18-digit scheme may be, by document type chosen.
_KIND_RESIDENT = "resident"
_KIND_PERMIT = "permit"
_KIND_PERMANENT = "permanent"
_EIGHTEEN_DIGIT_KINDS = {
    # People pick "resident ID" for any Chinese 18-digit number: the scheme is one,
    # and the moderator checks the photo against the type the number shows.
    CN_RESIDENT_ID: {_KIND_RESIDENT, _KIND_PERMIT, _KIND_PERMANENT},
    CN_RESIDENCE_PERMIT: {_KIND_PERMIT},
    CN_PERMANENT_RESIDENCE: {_KIND_PERMANENT},
}
# The prefix of each 18-digit type's error codes (``resident_id_checksum`` …).
_CODE_PREFIX = {
    CN_RESIDENT_ID: "resident_id",
    CN_RESIDENCE_PERMIT: "residence_permit",
    CN_PERMANENT_RESIDENCE: "permanent_residence",
    HKMO_TRAVEL_PERMIT: "hkmo_travel_permit",
    TW_TRAVEL_PERMIT: "tw_travel_permit",
}
# Issuing countries each type may be declared with (all are issued by mainland
# authorities; holders of the HK/Macao/Taiwan documents often choose their home).
_COUNTRIES = {
    CN_RESIDENT_ID: {"CN"},
    CN_RESIDENCE_PERMIT: {"CN", "HK", "MO", "TW"},
    CN_PERMANENT_RESIDENCE: {"CN"},
    HKMO_TRAVEL_PERMIT: {"CN", "HK", "MO"},
    TW_TRAVEL_PERMIT: {"CN", "TW"},
}


# Finer reasons reported under the codes these checks have always used, so that
# callers matching on ``code`` keep working; ``InvalidDocument.detail`` has the reason.
_CODE_OF_DETAIL = {
    "resident_id_region": "resident_id_invalid",
    "resident_id_birth_date_invalid": "resident_id_invalid",
    "resident_id_first_generation": "resident_id_format",
    "passport_format_cn": "passport_format",
    "passport_mrz": "passport_format",
}


def _invalid(detail: str, field: str = "document_number") -> InvalidDocument:
    return InvalidDocument(_CODE_OF_DETAIL.get(detail, detail), field=field, detail=detail)


@dataclass(frozen=True)
class CheckedDocument:
    """A document number that passed its type's format checks.

    ``number`` is the canonical form stored and hashed (one document, one spelling);
    ``birth_date`` is the date of birth the number encodes, when it encodes one.
    """

    number: str
    birth_date: dt.date | None = None


def normalise_document_number(raw: str) -> str:
    """Upper-case, full-width characters folded, spaces and separators removed."""
    # Compatibility forms to plain ones: full-width ASCII (Chinese input methods),
    # the ideographic space, the Roman numeral Ⅹ, superscript digits …
    text = unicodedata.normalize("NFKC", raw or "").strip()
    # Every other script's decimal digits (Arabic-Indic, Devanagari …) to 0–9, so
    # one number has one spelling (and one hash).
    text = "".join(
        str(unicodedata.decimal(c)) if unicodedata.decimal(c, None) is not None else c for c in text
    )
    text = _SEPARATORS.sub("", text).upper()
    # Chinese input methods offer the multiplication sign for the X check character.
    if text.endswith("×") and len(text) == 18:
        text = text[:-1] + "X"
    return text


def last4(number: str) -> str:
    return normalise_document_number(number)[-4:]


def platform_today(now: dt.datetime | None = None) -> dt.date:
    """The calendar date in ``settings.TIME_ZONE`` at ``now``."""
    now = now or timezone.now()
    return timezone.localtime(now, ZoneInfo(settings.TIME_ZONE)).date()


def age_on(birth_date: dt.date, on: dt.date) -> int:
    """Completed years of age on the date ``on`` (see the module docstring for 29 Feb)."""
    years = on.year - birth_date.year
    if (on.month, on.day) < (birth_date.month, birth_date.day):
        years -= 1
    return years


def is_adult(birth_date: dt.date, *, now: dt.datetime | None = None) -> bool:
    return age_on(birth_date, platform_today(now)) >= ADULT_AGE


def check_birth_date(birth_date: dt.date, *, now: dt.datetime | None = None) -> None:
    """Refuse impossible dates of birth (future, before 1900). Raises InvalidDocument."""
    today = platform_today(now)
    if birth_date > today:
        raise _invalid("birth_date_future", "date_of_birth")
    if birth_date < MIN_BIRTH_DATE:
        raise _invalid("birth_date_too_old", "date_of_birth")


# ------------------------------------------------------------------ China's 18 digits


@cache
def _region_known(region: str) -> bool:
    """True when python-stdnum's table has ``region`` (6 digits), whatever its dates."""
    parts = numdb.get("cn/loc").info(region)
    return len(parts) > 1 and bool(parts[1][1])


def _eighteen_digit_kind(number: str) -> str | None:
    """Which document a well-formed 18-digit number belongs to, by its region part;
    None when the region code is not one that was ever assigned."""
    region = number[:6]
    if region in _PERMIT_REGIONS:
        return _KIND_PERMIT
    if number[0] == "9":
        # 9, the issuing province, then a 3-digit nationality code.
        return _KIND_PERMANENT if number[1:3] in _MAINLAND_PROVINCES else None
    if region[:2] not in _MAINLAND_PROVINCES:
        return None
    # A county missing from the table (created after it was made) is accepted when
    # its prefecture is known.
    if _region_known(region) or _region_known(region[:4] + "00"):
        return _KIND_RESIDENT
    return None


def _encoded_date(digits: str, *, prefix: str, now: dt.datetime | None) -> dt.date:
    """The birth date in YYYYMMDD ``digits``: a real calendar date (29 February only
    in leap years), not in the future, not before 1900."""
    try:
        encoded = dt.date(int(digits[:4]), int(digits[4:6]), int(digits[6:8]))
    except ValueError:
        encoded = None
    if encoded is None or encoded > platform_today(now) or encoded < MIN_BIRTH_DATE:
        raise _invalid(f"{prefix}_birth_date_invalid")
    return encoded


def _is_chinese_id_number(number: str) -> bool:
    """A well-formed number of the 18-digit scheme (check character and region)."""
    return (
        len(number) == 18
        and _DIGITS.match(number[:17]) is not None
        and number[-1] == ric.calc_check_digit(number)
        and _eighteen_digit_kind(number) is not None
    )


def _check_eighteen_digits(
    document_type: str, number: str, *, now: dt.datetime | None
) -> CheckedDocument:
    prefix = _CODE_PREFIX[document_type]
    if document_type == CN_RESIDENT_ID and len(number) == 15 and _DIGITS.match(number):
        # First-generation cards stopped being valid on 1 January 2013 (see docs).
        raise _invalid("resident_id_first_generation")
    if len(number) != 18 or not _DIGITS.match(number[:17]) or number[-1] not in "0123456789X":
        raise _invalid(f"{prefix}_format")
    if number[-1] != ric.calc_check_digit(number):
        raise _invalid(f"{prefix}_checksum")
    if _eighteen_digit_kind(number) not in _EIGHTEEN_DIGIT_KINDS[document_type]:
        raise _invalid(f"{prefix}_region")
    return CheckedDocument(number, _encoded_date(number[6:14], prefix=prefix, now=now))


def _check_permanent_residence_2017(number: str, *, birth_date: dt.date | None, now):
    match = _PERMANENT_RESIDENCE_2017.match(number)
    if not match:
        raise _invalid("permanent_residence_format")
    if match[2] not in _MAINLAND_PROVINCES:
        raise _invalid("permanent_residence_region")
    yymmdd = match[3]
    # A two-digit year: the declared date when it fits, else the latest reading
    # that is not in the future.
    if birth_date is not None and f"{birth_date:%y%m%d}" == yymmdd:
        return CheckedDocument(number, birth_date)
    for century in ("20", "19"):
        try:
            encoded = _encoded_date(century + yymmdd, prefix="permanent_residence", now=now)
        except InvalidDocument:
            continue
        return CheckedDocument(number, encoded)
    raise _invalid("permanent_residence_birth_date_invalid")


def inspect_document(
    *,
    document_type: str,
    number: str,
    country: str,
    now: dt.datetime | None = None,
    birth_date: dt.date | None = None,
) -> CheckedDocument:
    """Check a document number's format for its type (and its country); return the
    canonical number and the birth date it encodes. Does NOT compare that date with
    the declared one (``check_document`` does); ``birth_date`` only helps read a
    two-digit year. Raises ``InvalidDocument`` naming the form field at fault."""
    normalised = normalise_document_number(number)
    if not normalised:
        raise _invalid("number_required")
    allowed = _COUNTRIES.get(document_type)
    if document_type == CN_RESIDENT_ID and normalised[:6] in _PERMIT_REGIONS:
        allowed = _COUNTRIES[CN_RESIDENCE_PERMIT]  # a residence permit's holder's home
    if allowed is not None and country and country not in allowed:
        raise _invalid(f"{_CODE_PREFIX[document_type]}_country", "country")
    if document_type == CN_PERMANENT_RESIDENCE and re.match(r"[A-Z]", normalised):
        return _check_permanent_residence_2017(normalised, birth_date=birth_date, now=now)
    if document_type in _EIGHTEEN_DIGIT_KINDS:
        return _check_eighteen_digits(document_type, normalised, now=now)
    if document_type == HKMO_TRAVEL_PERMIT:
        match = _HKMO_PERMIT.match(normalised)
        if not match:
            raise _invalid("hkmo_travel_permit_format")
        return CheckedDocument(match[1])  # the same permit whichever time it was issued
    if document_type == TW_TRAVEL_PERMIT:
        match = _TW_PERMIT.match(normalised)
        if not match:
            raise _invalid("tw_travel_permit_format")
        return CheckedDocument(match[1])
    if document_type == PASSPORT:
        if "<" in normalised:
            raise _invalid("passport_mrz")
        if country == "CN":
            if not _CN_PASSPORT.match(normalised):
                raise _invalid("passport_format_cn")
        elif not _PASSPORT.match(normalised):
            raise _invalid("passport_format")
        return CheckedDocument(normalised)
    if document_type == OTHER:
        if not _OTHER_ID.match(normalised):
            raise _invalid("other_id_format")
        if _is_chinese_id_number(normalised):
            # A Chinese ID number typed as "other" is still that card: its birth
            # date counts (the age rule, the declared date) as under its own type.
            return _check_eighteen_digits(CN_RESIDENT_ID, normalised, now=now)
        return CheckedDocument(normalised)
    raise _invalid("document_type", "document_type")


def check_document(
    *,
    document_type: str,
    number: str,
    country: str,
    birth_date: dt.date | None,
    now: dt.datetime | None = None,
) -> str:
    """Validate a document number for its type; return the canonical number.

    As ``inspect_document``, and the birth date the number encodes (18-digit
    numbers, permanent residence cards) must equal the declared ``birth_date``.
    """
    checked = inspect_document(
        document_type=document_type,
        number=number,
        country=country,
        now=now,
        birth_date=birth_date,
    )
    if birth_date is not None and checked.birth_date not in (None, birth_date):
        raise _invalid(
            f"{_CODE_PREFIX.get(document_type, 'resident_id')}_birth_date", "date_of_birth"
        )
    return checked.number


def is_adult_document(checked: CheckedDocument, *, now: dt.datetime | None = None) -> bool:
    """False only when the number itself encodes the birth date of a minor."""
    return checked.birth_date is None or is_adult(checked.birth_date, now=now)


# Documents whose numbers are only unique within the issuing country: the same
# passport number from two countries is two documents (two people).
_INTERNATIONAL_TYPES = (PASSPORT, OTHER)
# Issuers that share one numbering: Chinese passports are numbered by the mainland,
# HKSAR and MSAR in one scheme of distinct prefixes, and holders pick any of the three.
_COUNTRY_CLASSES = ({"CN", "HK", "MO"},)


def document_scope(document_type: str, country: str, number: str) -> str:
    """The issuing countries within which ``number`` names one document ("US",
    "CN+HK+MO"), or "" when the number is unique whatever the country (China's
    18-digit numbers and permits, whichever type was chosen). Stored beside the
    number's hash: one document is one (hash, scope)."""
    if document_type not in _INTERNATIONAL_TYPES:
        return ""
    if _is_chinese_id_number(number):
        return ""  # a Chinese ID number typed as "other": still the one person's
    for group in _COUNTRY_CLASSES:
        if country in group:
            return "+".join(sorted(group))
    return country
