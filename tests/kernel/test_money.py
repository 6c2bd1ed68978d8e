"""The one money module (kernel.money): currency digits, text, and the start-up check
on the settlement currency."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.core.management.base import SystemCheckError
from django.template import Context, Template
from django.utils import translation
from django.utils.html import strip_tags

from kernel.money import UnknownCurrency, currency_exponent, format_money, minor_to_major, quote


@pytest.mark.parametrize(
    ("code", "digits"),
    [
        ("USD", 2),
        ("eur", 2),
        ("JPY", 0),
        ("KRW", 0),
        ("VND", 0),
        ("CLP", 0),
        ("ISK", 0),
        ("XAF", 0),
        ("PYG", 0),
        ("RWF", 0),
        ("KWD", 3),
        ("BHD", 3),
        ("IQD", 3),
        ("HUF", 2),  # CLDR shows no decimals; amounts are still in fillér (ISO 4217)
        ("IDR", 2),
        ("CHF", 2),
    ],
)
def test_currency_digits_follow_iso_4217(code, digits):
    assert currency_exponent(code) == digits


@pytest.mark.parametrize("code", ["XYZ", "", "US", "DOLLAR"])
def test_an_unknown_currency_has_no_digits(code):
    with pytest.raises(UnknownCurrency):
        currency_exponent(code)


def test_amounts_are_scaled_by_the_currency_digits():
    assert minor_to_major(123456, "USD") == "1,234.56"
    assert minor_to_major(123456, "JPY") == "123,456"
    assert minor_to_major(123456, "KWD") == "123.456"
    assert minor_to_major(-5, "USD") == "-0.05"
    assert minor_to_major(123456, "USD", grouping=False) == "1234.56"


def test_template_filters_keep_their_outputs_in_both_languages():
    page = Template("{% load handoff %}{{ a|money }}|{{ a|price }}|{{ b|money:'JPY' }}")

    def text(context):  # the text people read (a no-wrap span may wrap each amount)
        return strip_tags(page.render(Context(context)))

    with translation.override("en"):
        assert text({"a": 980000, "b": 1200}) == "US$9,800.00|US$9,800|JP¥1,200"
    with translation.override("zh-hans"):
        assert text({"a": 980000, "b": 1200}) == "9,800.00 美元|9,800 美元|1,200 日元"


def test_an_unlisted_currency_shows_its_code_in_english_and_its_name_in_chinese():
    with translation.override("en"):
        assert format_money(123450, "CHF") == "1,234.50 CHF"
        assert format_money(1500, "KRW") == "1,500 KRW"
    with translation.override("zh-hans"):
        assert format_money(123450, "CHF") == "1,234.50 瑞士法郎"
        assert format_money(1500, "KRW") == "1,500 韩元"


def test_the_settlement_currency_is_the_default(settings):
    settings.SETTLEMENT_CURRENCY = "JPY"
    with translation.override("en"):
        assert format_money(9800) == "JP¥9,800"
    assert quote(9800).currency == "JPY"


@pytest.mark.parametrize("code", ["XYZ", "usd", "", "US$"])
def test_start_up_refuses_an_unknown_settlement_currency(settings, code):
    settings.SETTLEMENT_CURRENCY = code
    with pytest.raises(SystemCheckError, match="handoff.E020"):
        call_command("check")


@pytest.mark.parametrize("code", ["USD", "JPY", "KWD", "CHF"])
def test_start_up_accepts_a_known_settlement_currency(settings, code):
    settings.SETTLEMENT_CURRENCY = code
    call_command("check")


def test_a_zero_decimal_price_is_typed_in_whole_yen(settings):
    from listings.forms import CatalogueFilterForm, OfferStepForm

    settings.SETTLEMENT_CURRENCY = "JPY"
    field = OfferStepForm.base_fields["price"]
    assert field.clean("9,800") == 9800
    with pytest.raises(ValidationError) as refused:
        field.clean("9800.5")
    assert refused.value.code == "max_decimal_places"
    assert field.prepare_value(9800) == "9800"
    # The catalogue's price filter caps whole yen, not hundredths of them.
    form = CatalogueFilterForm(data={"max_price": "50000000"})
    assert form.is_valid(), form.errors
    settings.SETTLEMENT_CURRENCY = "USD"
    assert field.clean("98.50") == 9850
    assert not CatalogueFilterForm(data={"max_price": "500000000"}).is_valid()
