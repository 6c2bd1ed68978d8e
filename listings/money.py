"""Showing and typing amounts: integer minor units ↔ text, without floats.

(escrow keeps the fee arithmetic; listings only needs display and input.)
"""

from __future__ import annotations

from django.conf import settings

_ZERO_DECIMAL = {"JPY", "KRW", "VND", "CLP", "ISK", "UGX", "XAF", "XOF"}
_THREE_DECIMAL = {"BHD", "JOD", "KWD", "OMR", "TND"}
_SYMBOLS = {"USD": "$", "EUR": "€", "GBP": "£", "CNY": "¥", "JPY": "¥", "HKD": "HK$"}


def currency_exponent(currency: str) -> int:
    currency = currency.upper()
    if currency in _ZERO_DECIMAL:
        return 0
    if currency in _THREE_DECIMAL:
        return 3
    return 2


def minor_to_major(amount: int, currency: str | None = None, *, grouping: bool = True) -> str:
    """``123456`` → ``"1,234.56"`` (USD); no symbol."""
    currency = (currency or settings.SETTLEMENT_CURRENCY).upper()
    exp = currency_exponent(currency)
    sign = "-" if amount < 0 else ""
    whole, frac = divmod(abs(int(amount)), 10**exp) if exp else (abs(int(amount)), 0)
    text = f"{whole:,}" if grouping else str(whole)
    if exp:
        text += f".{frac:0{exp}d}"
    return sign + text


def format_money(amount: int, currency: str | None = None, *, cents: bool = True) -> str:
    """``123456, "USD"`` → ``"$1,234.56"``; ``cents=False`` drops a zero fraction."""
    currency = (currency or settings.SETTLEMENT_CURRENCY).upper()
    text = minor_to_major(amount, currency)
    if not cents and "." in text and set(text.split(".")[1]) == {"0"}:
        text = text.split(".")[0]
    symbol = _SYMBOLS.get(currency)
    return f"{symbol}{text}" if symbol else f"{text} {currency}"
