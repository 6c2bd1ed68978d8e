"""Money and numbers shown to people, in the language of the request.

Amounts are integers in minor units (no floats anywhere). The currency is the
settlement currency unless one is given. Each language writes money its own way:
English puts an unambiguous symbol first ("US$1,234.00"), Chinese puts the
currency's name after the number ("1,234.00 美元"). The patterns are translatable
strings, so a new language only needs its catalogue.
"""

from __future__ import annotations

from django.conf import settings
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext

_ZERO_DECIMAL = {"JPY", "KRW", "VND", "CLP", "ISK", "UGX", "XAF", "XOF"}
_THREE_DECIMAL = {"BHD", "JOD", "KWD", "OMR", "TND"}

# One pattern per currency; %(amount)s is the grouped number with its decimals.
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


def exponent(currency: str) -> int:
    currency = currency.upper()
    if currency in _ZERO_DECIMAL:
        return 0
    if currency in _THREE_DECIMAL:
        return 3
    return 2


def format_number(amount: int, currency: str) -> str:
    """``123456, "USD"`` → ``"1,234.56"`` (both languages group with commas)."""
    exp = exponent(currency)
    whole, frac = divmod(abs(int(amount)), 10**exp) if exp else (abs(int(amount)), 0)
    text = f"{whole:,}"
    if exp:
        text += f".{frac:0{exp}d}"
    return text


def format_money(amount: int, currency: str | None = None, *, cents: bool = True) -> str:
    """Minor units → money text in the active language.

    ``cents=False`` drops a zero fraction (prices on cards: "US$9,800").
    """
    currency = (currency or settings.SETTLEMENT_CURRENCY).upper()
    number = format_number(amount, currency)
    if not cents and "." in number and set(number.split(".")[1]) == {"0"}:
        number = number.split(".")[0]
    pattern = PATTERNS.get(currency)
    if pattern is not None:
        text = str(pattern) % {"amount": number}
    else:
        text = pgettext("money with an ISO currency code", "%(amount)s %(code)s") % {
            "amount": number,
            "code": currency,
        }
    return ("-" if int(amount) < 0 else "") + text
