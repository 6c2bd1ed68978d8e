from django import template

from escrow.money import format_money

register = template.Library()


@register.filter
def money(amount, currency=None):
    """Minor units → "$1,234.56"."""
    if amount in (None, ""):
        return ""
    return format_money(int(amount), currency or None)
