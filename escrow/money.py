"""Money arithmetic: integers in minor units only, one documented rounding rule.

Fee rounding rule (the only one in the code base): a percentage given in basis
points is applied to an integer amount in minor units and rounded **half up** to the
nearest minor unit, computed in integers as ``(amount * bps + 5000) // 10000``. The
platform fee is then raised to ``PLATFORM_FEE_MIN`` if it is below it. No floats.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.conf import settings

# ISO 4217 currencies that have no minor unit (or three). Everything else has two.
_ZERO_DECIMAL = {"JPY", "KRW", "VND", "CLP", "ISK", "UGX", "XAF", "XOF"}
_THREE_DECIMAL = {"BHD", "JOD", "KWD", "OMR", "TND"}
_SYMBOLS = {"USD": "$", "EUR": "€", "GBP": "£", "CNY": "¥", "JPY": "¥", "HKD": "HK$"}


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
    return Quote(
        price=price,
        fee=fee,
        total=price + fee,
        currency=(currency or settings.SETTLEMENT_CURRENCY).upper(),
    )


def exponent(currency: str) -> int:
    currency = currency.upper()
    if currency in _ZERO_DECIMAL:
        return 0
    if currency in _THREE_DECIMAL:
        return 3
    return 2


def format_money(amount: int, currency: str | None = None) -> str:
    """``123456, "USD"`` → ``"$1,234.56"`` (no float involved)."""
    currency = (currency or settings.SETTLEMENT_CURRENCY).upper()
    exp = exponent(currency)
    sign = "-" if amount < 0 else ""
    amount = abs(int(amount))
    whole, frac = divmod(amount, 10**exp) if exp else (amount, 0)
    text = f"{whole:,}" + (f".{frac:0{exp}d}" if exp else "")
    symbol = _SYMBOLS.get(currency)
    return f"{sign}{symbol}{text}" if symbol else f"{sign}{text} {currency}"
