"""The page shell: ``{% load shell %}{% shell "header" %}`` in ``templates/base.html``.

The header and footer every page shows are Jinja2 templates
(``marketplace/jinja2/shell/``; each app adds its links with its own
``<app>/_nav_links.html`` and ``_footer_links.html``), rendered here for Django's
pages: Django's engine spent about half a millisecond a page on their dozen
``{% url %}``, ``{% trans %}`` and includes (docs/performance.md). The log-out
form carries the page's own token (``csrf_token`` of the Django context: one per
page, as ``{% csrf_token %}`` gives).

**The anonymous shell in memory.** For visitors who are not signed in, a part is
the same on every page of one view in one language except for two per-request
values, so with ``settings.FRAGMENT_CACHE`` on (env ``HANDOFF_FRAGMENT_CACHE=1``,
like the catalogue's fragment cache) it is rendered once per (part, language,
view name) into this process's memory with stand-ins for those two values, and
the stand-ins are replaced on every request:

- a CSRF token, should a kept part ever hold one (none does today: the language
  menu is a GET form, the log-out form is for members): the visitor's own, from
  ``get_token`` — which also sets the CSRF cookie, as rendering it would;
- the language form's ``next``: the request's full path, HTML-escaped.

Signed-in visitors always get the shell rendered live (it shows their name and
their links). What a kept part may depend on, then: the language, the resolved
view name (the nav marks the current section by path, and a view's path prefix is
fixed), the CSRF token and the full path — nothing else of the request. Nothing
here is shared between processes and nothing needs invalidating while the
process runs (templates and translations change with a deploy, which restarts
it); a settings change in tests clears it.
"""

from __future__ import annotations

from django import template
from django.conf import settings
from django.core.signals import setting_changed
from django.middleware.csrf import get_token
from django.template.loader import get_template
from django.utils import translation
from django.utils.html import escape
from django.utils.safestring import mark_safe

register = template.Library()

PARTS = ("header", "footer")
CSRF_STAND_IN = "HANDOFFSHELLCSRFSTANDIN"
NEXT_STAND_IN = "HANDOFFSHELLNEXTSTANDIN"
#: Parts × languages × view names is small; the bound only guards against surprises.
MAX_ENTRIES = 4096

_cache: dict[tuple[str, str, str], str] = {}


def clear(**kwargs) -> None:
    _cache.clear()


setting_changed.connect(clear, dispatch_uid="marketplace-shell-cache-clear")


def _render(part: str, context, request, *, csrf_token, next_path: str) -> str:
    page = get_template(f"shell/{part}.html", using="jinja2")
    return page.render(
        {
            "user": context.get("user"),
            "LANGUAGE_CODE": translation.get_language(),
            "page_csrf_token": csrf_token,
            "next_path": next_path,
        },
        request=request,
    )


@register.simple_tag(takes_context=True)
def shell(context, part: str) -> str:
    """``{% shell "header" %}`` / ``{% shell "footer" %}`` (see the module docstring)."""
    if part not in PARTS:
        raise template.TemplateSyntaxError(f"shell: unknown part {part!r}")
    request = context.get("request")
    token = context.get("csrf_token", "")
    full_path = request.get_full_path() if request is not None else ""
    user = getattr(request, "user", None)
    match = getattr(request, "resolver_match", None)
    if (
        not getattr(settings, "FRAGMENT_CACHE", False)
        or user is None
        or user.is_authenticated
        or match is None
    ):
        # Jinja2 escaped every value it printed (autoescape is on).
        html = _render(part, context, request, csrf_token=token, next_path=full_path)
        return mark_safe(html)  # noqa: S308  # nosec B308 B703
    key = (part, translation.get_language() or "", match.view_name)
    html = _cache.get(key)
    if html is None:
        html = _render(part, context, request, csrf_token=CSRF_STAND_IN, next_path=NEXT_STAND_IN)
        if len(_cache) < MAX_ENTRIES:
            _cache[key] = html
    if CSRF_STAND_IN in html:
        # A page being rendered for the anonymous page cache (listings.fragments)
        # keeps the stand-in: each visitor's token replaces it when it is served.
        # (Only looked at here: ``isinstance`` on the lazy token would make one.)
        if not (isinstance(token, str) and token == CSRF_STAND_IN):
            html = html.replace(CSRF_STAND_IN, get_token(request))
    # The kept HTML was escaped when rendered, the path is escaped here.
    return mark_safe(html.replace(NEXT_STAND_IN, escape(full_path)))  # noqa: S308  # nosec B308 B703
