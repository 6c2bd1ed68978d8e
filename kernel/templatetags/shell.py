"""The page shell: ``{% load shell %}{% shell "header" %}`` in ``templates/base.html``.

The header and footer every page shows are Jinja2 templates
(``marketplace/jinja2/shell/``; each app adds its links with its own
``<app>/_nav_links.html`` and ``_footer_links.html``), rendered here for Django's
pages: Django's engine spent about half a millisecond a page on their dozen
``{% url %}``, ``{% trans %}`` and includes (docs/performance.md). Rendered live on
every request (the visitor's name, the current section, the CSRF token of the
logout form, the language form's ``next``), so nothing is kept between requests.
The log-out form carries the page's own token (``csrf_token`` of the Django
context: one per page, as ``{% csrf_token %}`` gives; a page kept for anonymous
visitors has its stand-in there, listings.fragments).
"""

from __future__ import annotations

from django import template
from django.template.loader import get_template
from django.utils import translation
from django.utils.safestring import mark_safe

register = template.Library()

PARTS = ("header", "footer")


@register.simple_tag(takes_context=True)
def shell(context, part: str) -> str:
    """``{% shell "header" %}`` / ``{% shell "footer" %}`` (see the module docstring)."""
    if part not in PARTS:
        raise template.TemplateSyntaxError(f"shell: unknown part {part!r}")
    request = context.get("request")
    page = get_template(f"shell/{part}.html", using="jinja2")
    html = page.render(
        {
            "user": context.get("user"),
            "LANGUAGE_CODE": translation.get_language(),
            "page_csrf_token": context.get("csrf_token", ""),
        },
        request=request,
    )
    # Jinja2 escaped every value it printed (autoescape is on).
    return mark_safe(html)  # noqa: S308  # nosec B308 B703
