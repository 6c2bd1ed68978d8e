"""Money and numbers shown to people, in the language of the request.

Amounts are integers in minor units (no floats anywhere). The currency is the
settlement currency unless one is given. Each language writes money its own way:
English puts an unambiguous symbol first ("US$1,234.00"), Chinese puts the
currency's name after the number ("1,234.00 美元"). The patterns are translatable
strings, so a new language only needs its catalogue.
"""

from __future__ import annotations

from django.conf import settings
from django.utils.html import format_html
from django.utils.translation import get_language, pgettext
from django.utils.translation import gettext_lazy as _

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
