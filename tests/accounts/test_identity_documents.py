"""Document rules: resident ID checksum and birth date, passport format, the age rule."""

import datetime as dt

import pytest
from django.test import override_settings

from accounts import documents
from accounts.exceptions import InvalidDocument
from tests.accounts.identity_helpers import ric


def _check(number, *, document_type="cn_resident_id", country="CN", birth=None):
    return documents.check_document(
        document_type=document_type, number=number, country=country, birth_date=birth
    )


def test_resident_id_with_valid_checksum_is_accepted_and_normalised():
    number = ric(dt.date(1990, 3, 14))
    spaced = f"{number[:6]} {number[6:14]}-{number[14:]}".lower()
    assert _check(spaced, birth=dt.date(1990, 3, 14)) == number


def test_resident_id_lower_case_x_and_full_width_digits_are_normalised():
    number = ric(dt.date(2000, 2, 29))
    assert number.endswith("X")  # this fixture's check digit is X
    full_width = "".join(chr(ord(c) + 0xFEE0) for c in number[:-1]) + "x"
    assert documents.normalise_document_number(full_width) == number


def test_resident_id_with_wrong_check_digit_is_refused():
    number = ric(dt.date(1990, 3, 14))
    wrong = number[:-1] + ("0" if number[-1] != "0" else "1")
    with pytest.raises(InvalidDocument) as exc:
        _check(wrong, birth=dt.date(1990, 3, 14))
    assert exc.value.code == "resident_id_checksum"
    assert exc.value.field == "document_number"


def test_resident_id_of_wrong_length_is_refused():
    with pytest.raises(InvalidDocument) as exc:
        _check("11010119900314")
    assert exc.value.code == "resident_id_format"


def test_declared_birth_date_must_equal_the_encoded_one():
    number = ric(dt.date(1990, 3, 14))
    with pytest.raises(InvalidDocument) as exc:
        _check(number, birth=dt.date(1990, 3, 15))
    assert exc.value.code == "resident_id_birth_date"
    assert exc.value.field == "date_of_birth"


def test_resident_id_needs_china_as_country():
    with pytest.raises(InvalidDocument) as exc:
        _check(ric(dt.date(1990, 3, 14)), country="GB", birth=dt.date(1990, 3, 14))
    assert exc.value.field == "country"


@pytest.mark.parametrize("number", ["E12345678", "EA1234567", "G12345678", "e 1234 5678"])
def test_chinese_passport_formats_are_accepted(number):
    _check(number, document_type="passport")


@pytest.mark.parametrize("number", ["E1234567", "X12345678", "EI1234567", "12345678901", "护照"])
def test_bad_chinese_passport_numbers_are_refused(number):
    with pytest.raises(InvalidDocument) as exc:
        _check(number, document_type="passport")
    assert exc.value.code in {"passport_format", "number_required"}


@pytest.mark.parametrize(
    ("number", "ok"),
    [
        ("123456789", True),
        ("C01X00T47", True),
        ("ABCDEFGH", False),
        ("12345", False),
        ("A" * 10, False),
    ],
)
def test_passport_format_for_other_countries(number, ok):
    if ok:
        _check(number, document_type="passport", country="DE")
    else:
        with pytest.raises(InvalidDocument):
            _check(number, document_type="passport", country="DE")


def test_eighteen_years_exactly_is_adult_and_one_day_less_is_not():
    birth = dt.date(2008, 6, 15)
    assert documents.age_on(birth, dt.date(2026, 6, 15)) == 18
    assert documents.age_on(birth, dt.date(2026, 6, 14)) == 17  # 17 years 364 days


def test_born_on_29_february_comes_of_age_on_1_march_in_a_common_year():
    birth = dt.date(2008, 2, 29)
    assert documents.age_on(birth, dt.date(2026, 2, 28)) == 17
    assert documents.age_on(birth, dt.date(2026, 3, 1)) == 18


def test_born_on_29_february_in_common_and_leap_years():
    leap_birth = dt.date(2012, 2, 29)
    assert documents.age_on(leap_birth, dt.date(2030, 2, 28)) == 17
    assert documents.age_on(leap_birth, dt.date(2030, 3, 1)) == 18
    assert documents.age_on(leap_birth, dt.date(2032, 2, 28)) == 19
    assert documents.age_on(leap_birth, dt.date(2032, 2, 29)) == 20  # leap year: on the day


@override_settings(TIME_ZONE="Asia/Shanghai")
def test_age_is_counted_on_the_platform_calendar_not_utc():
    birth = dt.date(2008, 5, 10)
    # 16:30 UTC on 9 May is 00:30 on 10 May in Shanghai: the 18th birthday has begun.
    now = dt.datetime(2026, 5, 9, 16, 30, tzinfo=dt.UTC)
    assert documents.platform_today(now) == dt.date(2026, 5, 10)
    assert documents.is_adult(birth, now=now)
    assert not documents.is_adult(birth, now=now - dt.timedelta(hours=1))


def test_future_and_ancient_birth_dates_are_refused():
    now = dt.datetime(2026, 1, 1, 12, tzinfo=dt.UTC)
    with pytest.raises(InvalidDocument):
        documents.check_birth_date(dt.date(2027, 1, 1), now=now)
    with pytest.raises(InvalidDocument):
        documents.check_birth_date(dt.date(1850, 1, 1), now=now)
    documents.check_birth_date(dt.date(1950, 1, 1), now=now)
