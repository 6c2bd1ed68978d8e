"""Identity numbers by category: every real format accepted, every malformed one refused
with a message that says what is wrong (in English and Chinese).

Sample numbers are computed here (valid check characters, invented sequences), never
a real person's.
"""

import datetime as dt
import re

import pytest
from django.test import override_settings
from django.utils import translation
from stdnum.cn import ric as stdnum_ric

from accounts import documents
from accounts.exceptions import MESSAGES, InvalidDocument
from accounts.models import IdentityVerification

NOW = dt.datetime(2026, 6, 15, 4, 0, tzinfo=dt.UTC)
BIRTH = dt.date(1990, 3, 14)


def with_check(body: str) -> str:
    """``body`` (17 digits) with its ISO 7064 MOD 11-2 check character."""
    return body + stdnum_ric.calc_check_digit(body + "0")


def cn_id(region: str = "110101", birth: dt.date = BIRTH, seq: str = "123") -> str:
    return with_check(f"{region}{birth:%Y%m%d}{seq}")


def raw_id(region: str, yyyymmdd: str, seq: str = "123") -> str:
    """An 18-digit number with a valid check character around any date digits."""
    return with_check(f"{region}{yyyymmdd}{seq}")


def permanent_2023(province: str = "11", nationality: str = "840", birth=BIRTH) -> str:
    return with_check(f"9{province}{nationality}{birth:%Y%m%d}001")


def wrong_check(number: str) -> str:
    return number[:-1] + ("0" if number[-1] != "0" else "1")


def check(number, *, document_type="cn_resident_id", country="CN", birth=BIRTH):
    return documents.check_document(
        document_type=document_type, number=number, country=country, birth_date=birth, now=NOW
    )


X_NUMBER = "11010119900314106X"  # check character X (computed)


# ----------------------------------------------------------------- accepted formats

ACCEPTED = [
    # (document type, country, number as typed, declared birth, canonical number)
    ("cn_resident_id", "CN", cn_id(), BIRTH, cn_id()),
    ("cn_resident_id", "CN", X_NUMBER, BIRTH, X_NUMBER),
    ("cn_resident_id", "CN", X_NUMBER[:-1] + "x", BIRTH, X_NUMBER),
    ("cn_resident_id", "CN", X_NUMBER[:-1] + "Ｘ", BIRTH, X_NUMBER),
    ("cn_resident_id", "CN", X_NUMBER[:-1] + "×", BIRTH, X_NUMBER),
    ("cn_resident_id", "CN", " 110101 19900314 106x ", BIRTH, X_NUMBER),
    ("cn_resident_id", "CN", "110101-1990-0314-106X", BIRTH, X_NUMBER),
    ("cn_resident_id", "CN", "１１０１０１１９９００３１４１０６Ｘ", BIRTH, X_NUMBER),
    ("cn_resident_id", "CN", "110101\u200b19900314106X", BIRTH, X_NUMBER),
    # Region codes created after the holder's birth (numbers are assigned at first
    # registration): python-stdnum's dated table refused these real cards.
    ("cn_resident_id", "CN", cn_id("440305", dt.date(1960, 5, 1)), dt.date(1960, 5, 1), None),
    ("cn_resident_id", "CN", cn_id("110111", dt.date(1950, 1, 2)), dt.date(1950, 1, 2), None),
    # Abolished (Laiwu, merged into Jinan in 2019) and renamed codes stay valid.
    ("cn_resident_id", "CN", cn_id("371200", dt.date(1985, 7, 9)), dt.date(1985, 7, 9), None),
    ("cn_resident_id", "CN", cn_id("110103", dt.date(1975, 7, 9)), dt.date(1975, 7, 9), None),
    # A county newer than the table, under a known prefecture.
    ("cn_resident_id", "CN", cn_id("110199", dt.date(1999, 1, 1)), dt.date(1999, 1, 1), None),
    # 29 February in a leap year; born 1 January 1900.
    ("cn_resident_id", "CN", cn_id(birth=dt.date(1996, 2, 29)), dt.date(1996, 2, 29), None),
    ("cn_resident_id", "CN", cn_id(birth=dt.date(1900, 1, 1)), dt.date(1900, 1, 1), None),
    # Residence permits of Hong Kong, Macao and Taiwan residents share the scheme.
    ("cn_resident_id", "CN", cn_id("810000", dt.date(1980, 1, 1)), dt.date(1980, 1, 1), None),
    ("cn_resident_id", "HK", cn_id("810000"), BIRTH, None),
    ("cn_resident_id", "TW", cn_id("830000"), BIRTH, None),
    ("cn_residence_permit", "HK", cn_id("810000"), BIRTH, None),
    ("cn_residence_permit", "MO", cn_id("820000"), BIRTH, None),
    ("cn_residence_permit", "TW", cn_id("830000"), BIRTH, None),
    ("cn_residence_permit", "CN", cn_id("830000"), BIRTH, None),
    # Foreigners' Permanent Residence ID cards: 2023 (18 digits, 9…) and 2017 (15).
    ("cn_permanent_res", "CN", permanent_2023(), BIRTH, None),
    ("cn_resident_id", "CN", permanent_2023("44", "392"), BIRTH, None),
    ("cn_permanent_res", "CN", "USA119003140012", BIRTH, None),
    ("cn_permanent_res", "CN", "usa 11 900314 0012", BIRTH, "USA119003140012"),
    ("cn_permanent_res", "CN", "GBR310503010021", dt.date(2005, 3, 1), None),
    # Mainland Travel Permits: the times-issued suffix is not part of the number.
    ("hkmo_travel_permit", "HK", "H12345678", BIRTH, None),
    ("hkmo_travel_permit", "MO", "M87654321", BIRTH, None),
    ("hkmo_travel_permit", "CN", "h 1234 5678 01", BIRTH, "H12345678"),
    ("tw_travel_permit", "TW", "12345678", BIRTH, None),
    ("tw_travel_permit", "CN", "12345678 03", BIRTH, "12345678"),
    # Chinese passports.
    ("passport", "CN", "E12345678", BIRTH, None),
    ("passport", "CN", "EA1234567", BIRTH, None),
    ("passport", "CN", "G12345678", BIRTH, None),
    ("passport", "CN", "DE1234567", BIRTH, None),
    ("passport", "CN", "SE1234567", BIRTH, None),
    ("passport", "CN", "PE1234567", BIRTH, None),
    ("passport", "CN", "D12345678", BIRTH, None),
    ("passport", "CN", "K12345678", BIRTH, None),
    # Other countries' passports (ICAO 9303: up to 9 letters and digits).
    ("passport", "US", "123456789", BIRTH, None),
    ("passport", "DE", "C01X00T47", BIRTH, None),
    ("passport", "FR", "12AB34567", BIRTH, None),
    ("passport", "JP", "TK1234567", BIRTH, None),
    ("passport", "IN", "A1234567", BIRTH, None),
    ("passport", "GB", "123456", BIRTH, None),
    ("passport", "HK", "K12345678", BIRTH, None),
    ("other", "SG", "S1234567D", BIRTH, None),
]


@pytest.mark.parametrize(("document_type", "country", "number", "birth", "canonical"), ACCEPTED)
def test_real_formats_are_accepted_in_one_canonical_spelling(
    document_type, country, number, birth, canonical
):
    result = check(number, document_type=document_type, country=country, birth=birth)
    assert result == (canonical or documents.normalise_document_number(number))


def test_stdnum_alone_would_refuse_real_cards_that_we_accept():
    # The reason for our own region rule: python-stdnum compares the county's dates
    # with the year of birth.
    for number in (cn_id("440305", dt.date(1960, 5, 1)), cn_id("810000", dt.date(1980, 1, 1))):
        assert not stdnum_ric.is_valid(number)


# ----------------------------------------------------------------- refused formats

REFUSED = [
    # (document type, country, number, declared birth, error code, field)
    ("cn_resident_id", "CN", wrong_check(cn_id()), BIRTH, "resident_id_checksum", "number"),
    ("cn_resident_id", "CN", wrong_check(X_NUMBER), BIRTH, "resident_id_checksum", "number"),
    ("cn_resident_id", "CN", cn_id()[:-1] + "A", BIRTH, "resident_id_format", "number"),
    ("cn_resident_id", "CN", cn_id()[:17], BIRTH, "resident_id_format", "number"),
    ("cn_resident_id", "CN", cn_id() + "1", BIRTH, "resident_id_format", "number"),
    ("cn_resident_id", "CN", "110101900314123", BIRTH, "resident_id_first_generation", "number"),
    # Region codes that never existed.
    ("cn_resident_id", "CN", raw_id("000000", "19900314"), BIRTH, "resident_id_region", "number"),
    ("cn_resident_id", "CN", raw_id("990101", "19900314"), BIRTH, "resident_id_region", "number"),
    ("cn_resident_id", "CN", raw_id("119999", "19900314"), BIRTH, "resident_id_region", "number"),
    ("cn_resident_id", "CN", raw_id("710000", "19900314"), BIRTH, "resident_id_region", "number"),
    ("cn_resident_id", "CN", raw_id("840000", "19900314"), BIRTH, "resident_id_region", "number"),
    ("cn_resident_id", "CN", raw_id("811234", "19900314"), BIRTH, "resident_id_region", "number"),
    ("cn_resident_id", "CN", raw_id("999840", "19900314"), BIRTH, "resident_id_region", "number"),
    # Birth dates that do not exist, lie in the future or before 1900.
    (
        "cn_resident_id",
        "CN",
        raw_id("110101", "19970229"),
        None,
        "resident_id_birth_date_invalid",
        "number",
    ),
    (
        "cn_resident_id",
        "CN",
        raw_id("110101", "19900230"),
        None,
        "resident_id_birth_date_invalid",
        "number",
    ),
    (
        "cn_resident_id",
        "CN",
        raw_id("110101", "19901301"),
        None,
        "resident_id_birth_date_invalid",
        "number",
    ),
    (
        "cn_resident_id",
        "CN",
        raw_id("110101", "19900001"),
        None,
        "resident_id_birth_date_invalid",
        "number",
    ),
    (
        "cn_resident_id",
        "CN",
        raw_id("110101", "20300101"),
        None,
        "resident_id_birth_date_invalid",
        "number",
    ),
    (
        "cn_resident_id",
        "CN",
        raw_id("110101", "18991231"),
        None,
        "resident_id_birth_date_invalid",
        "number",
    ),
    (
        "cn_resident_id",
        "CN",
        cn_id(),
        dt.date(1990, 3, 15),
        "resident_id_birth_date",
        "date_of_birth",
    ),
    ("cn_resident_id", "HK", cn_id(), BIRTH, "resident_id_country", "country"),
    ("cn_resident_id", "US", cn_id("810000"), BIRTH, "resident_id_country", "country"),
    # Residence permits.
    ("cn_residence_permit", "HK", cn_id(), BIRTH, "residence_permit_region", "number"),
    (
        "cn_residence_permit",
        "HK",
        wrong_check(cn_id("810000")),
        BIRTH,
        "residence_permit_checksum",
        "number",
    ),
    ("cn_residence_permit", "HK", "81000019900314123", BIRTH, "residence_permit_format", "number"),
    (
        "cn_residence_permit",
        "HK",
        raw_id("810000", "19900229"),
        None,
        "residence_permit_birth_date_invalid",
        "number",
    ),
    (
        "cn_residence_permit",
        "HK",
        cn_id("810000"),
        dt.date(1991, 3, 14),
        "residence_permit_birth_date",
        "date_of_birth",
    ),
    ("cn_residence_permit", "US", cn_id("810000"), BIRTH, "residence_permit_country", "country"),
    # Permanent residence cards.
    ("cn_permanent_res", "CN", cn_id(), BIRTH, "permanent_residence_region", "number"),
    ("cn_permanent_res", "CN", permanent_2023("99"), BIRTH, "permanent_residence_region", "number"),
    (
        "cn_permanent_res",
        "CN",
        wrong_check(permanent_2023()),
        BIRTH,
        "permanent_residence_checksum",
        "number",
    ),
    (
        "cn_permanent_res",
        "CN",
        permanent_2023(),
        dt.date(1990, 3, 15),
        "permanent_residence_birth_date",
        "date_of_birth",
    ),
    ("cn_permanent_res", "CN", "USA11900314001", BIRTH, "permanent_residence_format", "number"),
    ("cn_permanent_res", "CN", "US1119003140012", BIRTH, "permanent_residence_format", "number"),
    ("cn_permanent_res", "CN", "USA999003140012", BIRTH, "permanent_residence_region", "number"),
    (
        "cn_permanent_res",
        "CN",
        "USA119002300012",
        None,
        "permanent_residence_birth_date_invalid",
        "number",
    ),
    (
        "cn_permanent_res",
        "CN",
        "USA119003140012",
        dt.date(1990, 3, 15),
        "permanent_residence_birth_date",
        "date_of_birth",
    ),
    ("cn_permanent_res", "US", permanent_2023(), BIRTH, "permanent_residence_country", "country"),
    # Travel permits.
    ("hkmo_travel_permit", "HK", "H1234567", BIRTH, "hkmo_travel_permit_format", "number"),
    ("hkmo_travel_permit", "HK", "K12345678", BIRTH, "hkmo_travel_permit_format", "number"),
    ("hkmo_travel_permit", "HK", "12345678", BIRTH, "hkmo_travel_permit_format", "number"),
    ("hkmo_travel_permit", "HK", "H123456789", BIRTH, "hkmo_travel_permit_format", "number"),
    ("hkmo_travel_permit", "TW", "H12345678", BIRTH, "hkmo_travel_permit_country", "country"),
    ("tw_travel_permit", "TW", "1234567", BIRTH, "tw_travel_permit_format", "number"),
    ("tw_travel_permit", "TW", "T1234567", BIRTH, "tw_travel_permit_format", "number"),
    ("tw_travel_permit", "TW", "123456789", BIRTH, "tw_travel_permit_format", "number"),
    ("tw_travel_permit", "HK", "12345678", BIRTH, "tw_travel_permit_country", "country"),
    # Passports.
    ("passport", "CN", "E1234567", BIRTH, "passport_format_cn", "number"),
    ("passport", "CN", "EI1234567", BIRTH, "passport_format_cn", "number"),
    ("passport", "CN", "EO1234567", BIRTH, "passport_format_cn", "number"),
    ("passport", "CN", "DE12345678", BIRTH, "passport_format_cn", "number"),  # 10: past ICAO's 9
    ("passport", "CN", "X12345678", BIRTH, "passport_format_cn", "number"),
    ("passport", "CN", cn_id(), BIRTH, "passport_format_cn", "number"),
    ("passport", "DE", "ABCDEFGH", BIRTH, "passport_format", "number"),
    ("passport", "DE", "12345", BIRTH, "passport_format", "number"),
    ("passport", "DE", "1234567890", BIRTH, "passport_format", "number"),
    ("passport", "GB", "P<GBRSMITH<<JOHN", BIRTH, "passport_mrz", "number"),
    ("passport", "GB", "123456789<", BIRTH, "passport_mrz", "number"),
    ("passport", "DE", "护照号码", BIRTH, "passport_format", "number"),
    ("other", "SG", "ABC", BIRTH, "other_id_format", "number"),
    ("cn_resident_id", "CN", " - ", BIRTH, "number_required", "number"),
    ("driving_licence", "CN", "12345678", BIRTH, "document_type", "document_type"),
]


@pytest.mark.parametrize(("document_type", "country", "number", "birth", "code", "field"), REFUSED)
def test_malformed_numbers_are_refused_with_a_message_naming_the_fault(
    document_type, country, number, birth, code, field
):
    with pytest.raises(InvalidDocument) as exc:
        check(number, document_type=document_type, country=country, birth=birth)
    assert exc.value.detail == code
    assert exc.value.field == ("document_number" if field == "number" else field)
    assert exc.value.message == MESSAGES[code]  # its own message, not a generic one


@pytest.mark.parametrize(
    ("number", "code"),
    [
        (raw_id("990101", "19900314"), "resident_id_invalid"),
        (raw_id("110101", "19970229"), "resident_id_invalid"),
        ("110101900314123", "resident_id_format"),
    ],
)
def test_finer_reasons_keep_the_codes_callers_match_on(number, code):
    with pytest.raises(InvalidDocument) as exc:
        check(number, birth=None)
    assert exc.value.code == code


def test_every_document_message_exists_in_english_and_chinese():
    for code, message in MESSAGES.items():
        english = str(message)
        with translation.override("zh-hans"):
            chinese = str(message)
        assert english != chinese, code
        assert "。" in chinese or "：" in chinese or "，" in chinese, code


def test_every_document_type_is_offered_and_checked():
    offered = {value for value, _label in IdentityVerification.DocumentType.choices}
    assert offered == {
        "cn_resident_id",
        "cn_residence_permit",
        "cn_permanent_res",
        "hkmo_travel_permit",
        "tw_travel_permit",
        "passport",
        "other",
    }
    # Each type refuses nonsense with its own message, not the document-type one.
    for document_type in offered:
        with pytest.raises(InvalidDocument) as exc:
            check("!!", document_type=document_type, country="CN")
        assert exc.value.code not in ("document_type",)


def test_future_birth_date_in_the_number_uses_the_platform_calendar():
    # 16:30 UTC on 14 June is 00:30 on 15 June in Shanghai: born "today" is not future.
    now = dt.datetime(2026, 6, 14, 16, 30, tzinfo=dt.UTC)
    number = raw_id("110101", "20260615")
    with override_settings(TIME_ZONE="Asia/Shanghai"):
        checked = documents.inspect_document(
            document_type="cn_resident_id", number=number, country="CN", now=now
        )
        assert checked.birth_date == dt.date(2026, 6, 15)
        assert not documents.is_adult_document(checked, now=now)
        with pytest.raises(InvalidDocument):
            documents.inspect_document(
                document_type="cn_resident_id",
                number=number,
                country="CN",
                now=now - dt.timedelta(hours=1),
            )


@pytest.mark.parametrize(
    "spelling",
    [
        "11010119900314106X",
        "11010119900314106x",
        "110101 19900314 106X",
        "110101-19900314-106x",
        "１１０１０１１９９００３１４１０６Ｘ",
        "110101199003141０6ｘ",
        "\u3000110101\u300019900314106X\u00a0",
        "11010119900314106×",
        "11010119900314106Ⅹ",  # the Roman numeral ten
        "١١٠١٠١١٩٩٠٠٣١٤١٠٦X",  # Arabic-Indic digits
        "११०१०११९९००३१४१०६X",  # Devanagari digits
        "¹¹⁰¹⁰¹¹⁹⁹⁰⁰³¹⁴¹⁰⁶X",  # superscripts
    ],
)
def test_one_document_whatever_the_spelling(spelling):
    assert check(spelling) == X_NUMBER


def _refused_or_folded(number, **kwargs):
    """The field error, or the number as kept: ASCII letters and digits only."""
    try:
        kept = check(number, **kwargs)
    except InvalidDocument as refused:
        return refused
    assert re.fullmatch(r"[0-9A-Z]+", kept), f"{number!r} kept as {kept!r}"
    return kept


@pytest.mark.parametrize("document_type", ["cn_resident_id", "cn_residence_permit", "other"])
@pytest.mark.parametrize("junk", ["½", "²³", "𝟙", "\u0660" * 18, "\x00", "X" * 18, "9" * 40])
def test_odd_characters_are_refused_or_folded_never_a_crash(document_type, junk):
    for number in (X_NUMBER[:5] + junk + X_NUMBER[5:], X_NUMBER[:5] + junk + X_NUMBER[6:]):
        _refused_or_folded(number, document_type=document_type, birth=None)


@pytest.mark.parametrize(("odd", "folds_to_itself"), [("²", False), ("𝟡", False), ("①", True)])
def test_a_digit_lookalike_inside_an_18_digit_number_is_no_crash(odd, folds_to_itself):
    # "²".isdigit() is True but int() refuses it: this used to be an HTTP 500. A
    # look-alike folds to its digit: the real number when it is the digit it
    # replaced ("①" for "1"), else a number whose check character is wrong.
    outcome = _refused_or_folded(X_NUMBER[:5] + odd + X_NUMBER[6:], birth=None)
    if folds_to_itself:
        assert outcome == X_NUMBER
    else:
        assert isinstance(outcome, InvalidDocument)
