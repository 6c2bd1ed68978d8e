"""Template helpers: ``{% report_link obj %}`` for any reportable object, and
labels for capabilities and half-points."""

from __future__ import annotations

from django import template
from django.utils.translation import gettext_lazy as _

from .. import points as pts
from ..registry import get_reportable, owner_id_of, report_url

register = template.Library()

CAPABILITY_LABELS = {
    "browse": _("browse"),
    "buy": _("buy accounts"),
    "sell": _("sell (complete sales)"),
    "list": _("publish new listings"),
    "message": _("send messages"),
    "withdraw": _("receive payouts"),
    "report": _("file reports"),
    "appeal": _("appeal"),
}


@register.filter
def capability_label(code: str) -> str:
    return CAPABILITY_LABELS.get(code, code)


@register.filter
def half_points(value) -> str:
    return pts.format_half(int(value or 0))


@register.inclusion_tag("governance/_report_link.html", takes_context=True)
def report_link(context, obj, css="btn btn-small btn-ghost"):
    """A "Report" link for ``obj`` — shown to signed-in users who do not answer
    for it, and only for registered (reportable) models."""
    request = context.get("request")
    user = getattr(request, "user", None)
    url = None
    if user is not None and user.is_authenticated and get_reportable(obj) is not None:
        owner_id = owner_id_of(obj)
        if owner_id is None or owner_id != user.pk:
            url = report_url(obj)
    return {"url": url, "css": css}


@register.filter
def category_label(code: str) -> str:
    from ..models import Category

    try:
        return Category(code).label
    except ValueError:
        return code
