from __future__ import annotations

from django import template
from django.utils.translation import gettext as _

from kernel.money import compact_number, format_money, money_markup

register = template.Library()


@register.filter(needs_autoescape=True)
def money(amount, currency=None, autoescape=True):
    """Minor units → "US$1,499" / "1,499.50 美元" (the active language), kept on one line."""
    if amount in (None, ""):
        return ""
    return money_markup(format_money(int(amount), currency or None, cents=False), autoescape)


@register.filter
def compact(number):
    """12,345 → "12.3K" (English) / "1.2万" (Chinese): numbers in cards."""
    if number in (None, ""):
        return ""
    return compact_number(int(number))


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


@register.simple_tag
def seller_listings(seller):
    """``{% seller_listings seller as listings %}``: the seller's published listings,
    for their public page (escrow's template; the view stays escrow's)."""
    from listings.selectors import published_of_seller

    return published_of_seller(seller.pk)


@register.simple_tag(takes_context=True)
def is_watched(context, listing) -> bool:
    """``{% is_watched listing as watched %}``: on the visitor's watchlist?"""
    from listings.watch import is_watched as watched

    return watched(context["user"], listing.pk)
