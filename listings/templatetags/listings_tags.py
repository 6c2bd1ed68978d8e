from __future__ import annotations

from django import template
from django.utils.translation import gettext as _

from kernel.money import format_money

register = template.Library()


@register.filter
def money(amount, currency=None):
    """Minor units → "US$1,499" / "1,499.50 美元" (the active language)."""
    if amount in (None, ""):
        return ""
    return format_money(int(amount), currency or None, cents=False)


@register.filter
def compact(number):
    """12_345 → 12.3K; 2_100_000 → 2.1M (numbers in cards)."""
    if number in (None, ""):
        return ""
    n = int(number)
    for size, suffix in ((1_000_000_000, "B"), (1_000_000, "M"), (1_000, "K")):
        if n >= size:
            tenths = n * 10 // size  # integers: no float rounding surprises
            whole, tenth = divmod(tenths, 10)
            return f"{whole}.{tenth}{suffix}" if tenth and whole < 100 else f"{whole}{suffix}"
    return str(n)


@register.filter
def months_text(months):
    if months is None:
        return ""
    years, rest = divmod(int(months), 12)
    if years and rest:
        return _("%(y)s y %(m)s mo") % {"y": years, "m": rest}
    if years:
        return _("%(y)s y") % {"y": years}
    return _("%(m)s mo") % {"m": rest}


@register.simple_tag(takes_context=True)
def query_with(context, **changes):
    """The current query string with some parameters replaced (None removes one)."""
    params = context["request"].GET.copy()
    for key, value in changes.items():
        if value is None or value == "":
            params.pop(key, None)
        else:
            params[key] = value
    encoded = params.urlencode()
    return "?" + encoded if encoded else "?"
