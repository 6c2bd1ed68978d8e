"""Money: currency digits, fee arithmetic and the text shown to people — the one place.

Amounts are integers in minor units of their currency (no floats anywhere); the
currency is the settlement currency (``settings.SETTLEMENT_CURRENCY``) unless one is
given.

**Digits.** A currency's minor unit is its ISO 4217 exponent (``currency_exponent``:
0 for JPY or KRW, 3 for KWD, 2 for most), which is also what payment providers count
in. CLDR's display digits (babel) are not used for amounts: CLDR shows HUF, IDR or
COP without decimals although their amounts are in hundredths. Which codes exist
comes from CLDR (babel); ``kernel.checks`` refuses an unknown settlement currency at
start-up.

**Text.** Each language writes money its own way: English puts an unambiguous symbol
first ("US$1,234.00"), Chinese puts the currency's name after the number
("1,234.00 美元"). The patterns of the common currencies are translatable strings;
other currencies show their ISO code in English and their CLDR name in other
languages ("1,234.00 瑞士法郎").

**Fees.** The only rounding rule in the code base: a percentage given in basis points
is applied to an integer amount in minor units and rounded **half up** to the nearest
minor unit, computed in integers as ``(amount * bps + 5000) // 10000``. The platform
fee is then raised to ``PLATFORM_FEE_MIN`` if it is below it.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

from babel import Locale, UnknownLocaleError
from babel.numbers import get_currency_name, list_currencies
from django.conf import settings
from django.utils.html import format_html
from django.utils.translation import get_language, pgettext
from django.utils.translation import gettext_lazy as _

# ISO 4217 minor units that are not 2 (current codes; historic ones are not settled in).
_EXPONENTS = {
    **dict.fromkeys(
        ("BIF CLP DJF GNF ISK JPY KMF KRW PYG RWF UGX UYI VND VUV XAF XOF XPF".split()),
        0,
    ),
    **dict.fromkeys("BHD IQD JOD KWD LYD OMR TND".split(), 3),
    **dict.fromkeys("CLF UYW".split(), 4),
}

# One pattern per common currency; %(amount)s is the grouped number with its decimals.
PATTERNS = {
    "USD": _("US$%(amount)s"),
    "EUR": _("€%(amount)s"),
    "GBP": _("£%(amount)s"),
    "CNY": _("CN¥%(amount)s"),
    "HKD": _("HK$%(amount)s"),
    "JPY": _("JP¥%(amount)s"),
    "SGD": _("S$%(amount)s"),
    "TWD": _("NT$%(amount)s"),
}


class UnknownCurrency(ValueError):
    """Not an ISO 4217 code that CLDR knows."""


@functools.cache
def known_currencies() -> frozenset[str]:
    """Every currency code CLDR knows (babel's data)."""
    return frozenset(list_currencies())


def currency_exponent(currency: str) -> int:
    """The number of minor-unit digits of ``currency`` (ISO 4217): JPY 0, USD 2, KWD 3.

    Raises ``UnknownCurrency`` for a code CLDR does not know, so that an amount is
    never scaled by a guess."""
    code = (currency or "").upper()
    if code not in known_currencies():
        raise UnknownCurrency(currency)
    return _EXPONENTS.get(code, 2)


def _code(currency: str | None) -> str:
    return (currency or settings.SETTLEMENT_CURRENCY).upper()


# --- fee arithmetic -------------------------------------------------------------------


def apply_bps(amount: int, bps: int) -> int:
    """``amount`` × ``bps``/10 000, rounded half up. Both integers; result integer."""
    if amount < 0 or bps < 0:
        raise ValueError("amount and bps must not be negative")
    return (amount * bps + 5000) // 10000


def platform_fee(price: int, *, bps: int | None = None, minimum: int | None = None) -> int:
    """The platform fee in minor units for a listing priced ``price`` minor units."""
    bps = settings.PLATFORM_FEE_BPS if bps is None else bps
    minimum = settings.PLATFORM_FEE_MIN if minimum is None else minimum
    return max(apply_bps(price, bps), minimum)


@dataclass(frozen=True)
class Quote:
    """What the buyer pays: ``total = price + fee`` (minor units of ``currency``)."""

    price: int
    fee: int
    total: int
    currency: str


def quote(price: int, currency: str | None = None) -> Quote:
    fee = platform_fee(price)
    return Quote(price=price, fee=fee, total=price + fee, currency=_code(currency))


# --- text -----------------------------------------------------------------------------


def minor_to_major(amount: int, currency: str | None = None, *, grouping: bool = True) -> str:
    """``123456`` → ``"1,234.56"`` (USD), ``"123,456"`` (JPY); no symbol. With
    ``grouping=False`` the form-field value: ``"1234.56"``."""
    exp = currency_exponent(_code(currency))
    sign = "-" if int(amount) < 0 else ""
    whole, frac = divmod(abs(int(amount)), 10**exp) if exp else (abs(int(amount)), 0)
    text = f"{whole:,}" if grouping else str(whole)
    if exp:
        text += f".{frac:0{exp}d}"
    return sign + text


def format_number(amount: int, currency: str) -> str:
    """``123456, "USD"`` → ``"1,234.56"`` (both languages group with commas)."""
    return minor_to_major(abs(int(amount)), currency)


@functools.cache
def _cldr_name(currency: str, language: str) -> str:
    try:
        locale = Locale.parse(language.replace("-", "_"))
    except (UnknownLocaleError, ValueError):
        return currency
    return get_currency_name(currency, locale=locale) or currency


def format_money(amount: int, currency: str | None = None, *, cents: bool = True) -> str:
    """Minor units → money text in the active language.

    ``cents=False`` drops a zero fraction (prices on cards: "US$9,800").
    """
    currency = _code(currency)
    number = format_number(amount, currency)
    if not cents and "." in number and set(number.split(".")[1]) == {"0"}:
        number = number.split(".")[0]
    pattern = PATTERNS.get(currency)
    if pattern is not None:
        text = str(pattern) % {"amount": number}
    else:
        language = (get_language() or settings.LANGUAGE_CODE).lower()
        name = currency if language.startswith("en") else _cldr_name(currency, language)
        text = pgettext("money with an ISO currency code", "%(amount)s %(code)s") % {
            "amount": number,
            "code": name,
        }
    return ("-" if int(amount) < 0 else "") + text


def money_markup(text: str, autoescape: bool = True):
    """Money text for a template: in HTML a no-wrap span, so "9,800 美元" never
    breaks between its characters; in plain text (e-mails) the text itself."""
    if not autoescape:
        return text
    return format_html('<span class="money">{}</span>', text)


def _grouped(number: int) -> str:
    return f"{number:,}"


def compact_number(number: int) -> str:
    """A short count for cards, in the active language.

    English: 12,345 → "12.3K", 2,100,000 → "2.1M". Chinese counts in 万 (10⁴) and
    亿 (10⁸): 12,345 → "1.2万", 2,100,000 → "210万"; below 10,000 the full number
    ("9,800"). Integer arithmetic only; one decimal while the whole part is under 100.
    """
    n = int(number)
    sign, n = ("-", -n) if n < 0 else ("", n)
    if _language().startswith("zh"):
        steps = ((100_000_000, "亿"), (10_000, "万"))
        small = _grouped(n)
    else:
        steps = ((1_000_000_000, "B"), (1_000_000, "M"), (1_000, "K"))
        small = str(n)
    for size, suffix in steps:
        if n >= size:
            tenths = n * 10 // size  # integers: no float rounding surprises
            whole, tenth = divmod(tenths, 10)
            text = f"{whole}.{tenth}" if tenth and whole < 100 else _grouped(whole)
            return f"{sign}{text}{suffix}"
    return sign + small


def _language() -> str:
    return (get_language() or settings.LANGUAGE_CODE).lower()


def short_duration(seconds: int) -> str:
    """Seconds → "3 d 4 h" / "5 h" (English), "3天4小时" / "5小时" (Chinese)."""
    hours = int(seconds) // 3600
    days, hours = divmod(hours, 24)
    if days and not hours:
        return pgettext("short duration", "%(days)s d") % {"days": days}
    if days:
        return pgettext("short duration", "%(days)s d %(hours)s h") % {"days": days, "hours": hours}
    return pgettext("short duration", "%(hours)s h") % {"hours": hours}
