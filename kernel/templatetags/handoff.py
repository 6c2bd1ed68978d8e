"""Site-wide template filters: ``{% load handoff %}``."""

from __future__ import annotations

from django import template
from django.conf import settings

from kernel import punctuation
from kernel.money import compact_number, format_money, money_markup, short_duration

register = template.Library()


@register.filter(needs_autoescape=True)
def money(amount, currency=None, autoescape=True):
    """Minor units → "US$1,234.00" (English) / "1,234.00 美元" (Chinese), kept on one line."""
    if amount in (None, ""):
        return ""
    return money_markup(format_money(int(amount), currency or None), autoescape)


@register.filter(needs_autoescape=True)
def price(amount, currency=None, autoescape=True):
    """Like ``money``, without a zero fraction: "US$9,800" / "9,800 美元"."""
    if amount in (None, ""):
        return ""
    return money_markup(format_money(int(amount), currency or None, cents=False), autoescape)


@register.filter
def compact(number):
    """12,345 → "12.3K" (English) / "1.2万" (Chinese)."""
    if number in (None, ""):
        return ""
    return compact_number(int(number))


@register.filter
def duration(seconds):
    """Seconds → "3 d 4 h" / "3天4小时"."""
    if seconds in (None, ""):
        return ""
    return short_duration(int(seconds))


@register.simple_tag
def colon():
    """The separator after a label in the active language: ": " in English, a
    full-width "：" (no space) in Chinese — ``{% trans "Price" %}{% colon %}``."""
    return punctuation.colon()


@register.simple_tag
def paren():
    """An opening bracket after text: " (" in English, a full-width "（" (no space)
    in Chinese — ``{{ date }}{% paren %}{{ countdown }}{% endparen %}``."""
    return punctuation.open_bracket()


@register.simple_tag
def endparen():
    """The closing bracket of ``{% paren %}``: ")" / "）"."""
    return punctuation.close_bracket()


@register.simple_tag
def list_separator():
    """Between the items of a short list: ", " / "、"."""
    return punctuation.list_separator()


@register.simple_tag
def site_name():
    """The operator's name for the site (settings.SITE_NAME), e.g. in e-mail signatures."""
    return settings.SITE_NAME


@register.simple_tag
def site_url():
    """The site's address (settings.SITE_URL), e.g. in e-mail signatures."""
    return settings.SITE_URL
