"""Template helpers: ``{% report_link obj %}`` for any reportable object, and
labels for capabilities and half-points."""

from __future__ import annotations

from django import template
from django.utils.translation import gettext_lazy as _

from kernel import punctuation

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
def capability_list(codes) -> str:
    """What a measure takes away, in one phrase: "publish new listings, send
    messages" / "发布新商品、发送消息"."""
    return punctuation.list_separator().join(str(capability_label(c)) for c in codes or ())


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


# ------------------------------------------------------------- detected text
# One scan for every text other people read: templates mask what others see
# (``|masked``), warn the author (``text_warning``) and show moderators the
# findings (``text_findings``).

DETECTOR_RULE_LABELS = {
    "BEH-08": _("contact details that lead off the platform"),
    "BEH-09": _("paying outside the platform"),
    "BEH-01": _("asking for likes, follows, shares or reviews"),
    "LST-12": _("a promise the platform forbids (ban-proof, guaranteed income …)"),
}


@register.filter
def masked(text) -> str:
    """``text`` with contact details (and bank card numbers) hidden — for text
    shown to anyone but its author."""
    from ..detectors import mask_contact_details

    return mask_contact_details(str(text)) if text else ""


def _findings(obj_or_text) -> list[dict]:
    from ..detectors import scan_text
    from ..registry import text_of

    text = obj_or_text if isinstance(obj_or_text, str) else text_of(obj_or_text)
    return [
        {
            "rule_code": f.rule_code,
            "label": DETECTOR_RULE_LABELS.get(f.rule_code, f.rule_code),
            "excerpt": f.excerpt,
            "confidence": round(f.confidence * 100),
            "version": f.version,
        }
        for f in scan_text(text)
    ]


@register.inclusion_tag("governance/_text_warning.html")
def text_warning(obj_or_text):
    """A warning for the author: what in their text breaks a rule (before they
    submit it; moderators will see the same)."""
    return {"findings": _findings(obj_or_text)}


@register.inclusion_tag("governance/_text_findings.html")
def text_findings(obj_or_text):
    """The detectors' findings on an object's text, for moderators."""
    return {"findings": _findings(obj_or_text)}
