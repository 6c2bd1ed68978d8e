"""Start-up checks for the kernel's settings (run by every manage.py command)."""

from django.conf import settings
from django.core.checks import Error, register

from .money import UnknownCurrency, currency_exponent


@register()
def check_settlement_currency(app_configs, **kwargs):
    """``SETTLEMENT_CURRENCY`` must be an ISO 4217 code CLDR knows, written in capitals:
    every amount is scaled by its minor unit, so a guess would price 100× wrong."""
    code = getattr(settings, "SETTLEMENT_CURRENCY", "")
    try:
        if not isinstance(code, str) or code != code.upper():
            raise UnknownCurrency(code)
        currency_exponent(code)
    except UnknownCurrency:
        return [
            Error(
                f"SETTLEMENT_CURRENCY={code!r} is not a known ISO 4217 currency code.",
                hint="Use a three-letter code in capitals, e.g. USD, EUR, CNY, JPY.",
                id="handoff.E020",
            )
        ]
    return []
