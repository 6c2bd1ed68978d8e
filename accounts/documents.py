"""Identity-document rules: normalising numbers, format and checksum checks, the age rule.

Pure functions (no database), shared by the verification form and the services.

The age rule
------------
Ages are counted on the calendar date in the platform's time zone
(``settings.TIME_ZONE``), not UTC: a user born on 10 May becomes a year older at
00:00 on 10 May in that zone. A birthday today counts (18 years exactly is an adult;
17 years and 364 days is not). Someone born on 29 February reaches each new age on
1 March in non-leap years (and on 29 February in leap years) — the reading used by
most civil-law systems, including the PRC's: the anniversary does not exist, so the
day before it (28 February) is still inside the old year of age.
"""

from __future__ import annotations

import datetime as dt
import re
from zoneinfo import ZoneInfo

from django.conf import settings
from django.utils import timezone
from stdnum.cn import ric
from stdnum.exceptions import ValidationError as StdnumError

from .exceptions import InvalidDocument

ADULT_AGE = 18
MIN_BIRTH_DATE = dt.date(1900, 1, 1)

CN_RESIDENT_ID = "cn_resident_id"
PASSPORT = "passport"
OTHER = "other"

# Characters people type between groups of a document number.
_SEPARATORS = re.compile(r"[\s\-‐‑‒–—/.·_,:]+")
# Chinese ordinary passports: E + 8 digits or E + letter (not I/O) + 7 digits; older
# G + 8 digits; diplomatic/service/public-affairs: D, S, P + 7 or 8 digits.
_CN_PASSPORT = re.compile(r"^(E[0-9]{8}|E[A-HJ-NP-Z][0-9]{7}|G[0-9]{8}|[DSP]E?[0-9]{7,8})$")
# ICAO 9303: the document number is up to 9 characters of A–Z and 0–9.
_PASSPORT = re.compile(r"^(?=.*[0-9])[A-Z0-9]{6,9}$")
_OTHER_ID = re.compile(r"^(?=.*[0-9])[A-Z0-9]{4,30}$")


def normalise_document_number(raw: str) -> str:
    """Upper-case, full-width characters folded, spaces and separators removed."""
    text = (raw or "").strip()
    # Full-width ASCII (common with Chinese input methods) to half-width.
    text = "".join(chr(ord(c) - 0xFEE0) if "！" <= c <= "～" else c for c in text)
    text = text.replace("\u3000", " ")
    return _SEPARATORS.sub("", text).upper()


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
        raise InvalidDocument("birth_date_future", field="date_of_birth")
    if birth_date < MIN_BIRTH_DATE:
        raise InvalidDocument("birth_date_too_old", field="date_of_birth")


def check_document(
    *, document_type: str, number: str, country: str, birth_date: dt.date | None
) -> str:
    """Validate a document number for its type; return the normalised number.

    Resident ID cards: 18 characters, valid check digit (python-stdnum
    ``stdnum.cn.ric``, which also checks the region code), and the birth date it
    encodes must equal the declared one. Passports: ICAO format (stricter for China).
    Raises ``InvalidDocument`` naming the form field at fault.
    """
    normalised = normalise_document_number(number)
    if not normalised:
        raise InvalidDocument("number_required", field="document_number")
    if document_type == CN_RESIDENT_ID:
        if country and country != "CN":
            raise InvalidDocument("resident_id_country", field="country")
        if len(normalised) != 18 or not normalised[:17].isdigit():
            raise InvalidDocument("resident_id_format", field="document_number")
        if normalised[-1] != ric.calc_check_digit(normalised):
            raise InvalidDocument("resident_id_checksum", field="document_number")
        try:
            ric.validate(normalised)
            encoded = ric.get_birth_date(normalised)
        except StdnumError:
            raise InvalidDocument("resident_id_invalid", field="document_number")
        if birth_date is not None and encoded != birth_date:
            raise InvalidDocument("resident_id_birth_date", field="date_of_birth")
    elif document_type == PASSPORT:
        pattern = _CN_PASSPORT if country == "CN" else _PASSPORT
        if not pattern.match(normalised):
            raise InvalidDocument("passport_format", field="document_number")
    elif document_type == OTHER:
        if not _OTHER_ID.match(normalised):
            raise InvalidDocument("other_id_format", field="document_number")
    else:
        raise InvalidDocument("document_type", field="document_type")
    return normalised
