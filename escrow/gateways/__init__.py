"""Payment gateways. ``get_gateway()`` returns the one named by
``settings.PAYMENT_GATEWAY`` (a dotted path to a ``PaymentGateway`` subclass)."""

from __future__ import annotations

from functools import lru_cache

from django.conf import settings
from django.core.signals import setting_changed
from django.utils.module_loading import import_string

from .base import PaymentGateway


@lru_cache(maxsize=4)
def _load(path: str) -> PaymentGateway:
    return import_string(path)()


def get_gateway() -> PaymentGateway:
    return _load(settings.PAYMENT_GATEWAY)


def _reset(**kwargs):
    if kwargs.get("setting", "").startswith(("PAYMENT_GATEWAY", "STRIPE_")):
        _load.cache_clear()


setting_changed.connect(_reset, dispatch_uid="escrow-gateway-reset")
