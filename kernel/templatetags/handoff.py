"""Site-wide template filters: ``{% load handoff %}``."""

from __future__ import annotations

from django import template

from kernel.money import format_money

register = template.Library()


@register.filter
def money(amount, currency=None):
    """Minor units → "US$1,234.00" (English) / "1,234.00 美元" (Chinese)."""
    if amount in (None, ""):
        return ""
    return format_money(int(amount), currency or None)


@register.filter
def price(amount, currency=None):
    """Like ``money``, without a zero fraction: "US$9,800" / "9,800 美元"."""
    if amount in (None, ""):
        return ""
    return format_money(int(amount), currency or None, cents=False)
