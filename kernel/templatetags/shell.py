"""The page shell's cache: ``{% load shell %}{% shellcache "header" %}…{% endshellcache %}``.

Every page renders the same header and footer around its content; rendering them
(nav includes, a dozen ``{% url %}`` and ``{% trans %}``, the language list) costs
more than the rest of a cached catalogue page. For **anonymous visitors** the
header is the same on every page of one view in one language, except for two
per-request values, so it is rendered once per (part, language, view name) into
this process's memory with stand-ins for those two values, and the stand-ins are
replaced on every request:

- a CSRF token, should a cached part ever hold one (none does today: the
  language menu is a GET form): the visitor's own, from ``get_token`` — which
  also sets the CSRF cookie, as rendering it would;
- ``shell_next_path`` (the language form's ``next``): the request's full path,
  HTML-escaped.

Signed-in visitors always get the shell rendered live (it shows their name and
their links). What a cached part may depend on, then: the language, the resolved
view name (the nav marks the current section by path, and a view's path prefix is
fixed), the CSRF token and the full path — nothing else of the request. A part that
needs more must not be wrapped in this tag.

On only with ``settings.FRAGMENT_CACHE`` (env ``HANDOFF_FRAGMENT_CACHE=1``), like
the catalogue's fragment cache. Nothing here is shared between processes and
nothing needs invalidating while the process runs (templates and translations
change with a deploy, which restarts it); a settings change in tests clears it.
"""

from __future__ import annotations

from django import template
from django.conf import settings
from django.core.signals import setting_changed
from django.middleware.csrf import get_token
from django.utils import translation
from django.utils.html import escape

register = template.Library()

CSRF_STAND_IN = "HANDOFFSHELLCSRFSTANDIN"
NEXT_STAND_IN = "HANDOFFSHELLNEXTSTANDIN"
#: Parts × languages × view names is small; the bound only guards against surprises.
MAX_ENTRIES = 4096

_cache: dict[tuple[str, str, str], str] = {}


def clear(**kwargs) -> None:
    _cache.clear()


setting_changed.connect(clear, dispatch_uid="marketplace-shell-cache-clear")


class ShellCacheNode(template.Node):
    def __init__(self, name: str, nodelist) -> None:
        self.name = name
        self.nodelist = nodelist

    def render(self, context) -> str:
        request = context.get("request")
        if request is None:
            return self.nodelist.render(context)
        full_path = request.get_full_path()
        user = getattr(request, "user", None)
        match = getattr(request, "resolver_match", None)
        if (
            not getattr(settings, "FRAGMENT_CACHE", False)
            or user is None
            or user.is_authenticated
            or match is None
        ):
            with context.push(shell_next_path=full_path):
                return self.nodelist.render(context)
        key = (self.name, translation.get_language() or "", match.view_name)
        html = _cache.get(key)
        if html is None:
            with context.push(csrf_token=CSRF_STAND_IN, shell_next_path=NEXT_STAND_IN):
                html = str(self.nodelist.render(context))
            if len(_cache) < MAX_ENTRIES:
                _cache[key] = html
        if CSRF_STAND_IN in html:
            # A page being rendered for the anonymous page cache (listings.fragments)
            # keeps the stand-in: each visitor's token replaces it when it is served.
            # (Only looked at here: ``isinstance`` on the lazy token would make one.)
            token = context.get("csrf_token")
            if not (isinstance(token, str) and token == CSRF_STAND_IN):
                html = html.replace(CSRF_STAND_IN, get_token(request))
        # A node's output goes into the page as it is (it is not escaped again):
        # the cached HTML was escaped when rendered, the path is escaped here.
        return html.replace(NEXT_STAND_IN, escape(full_path))


@register.tag("shellcache")
def shellcache(parser, token):
    """``{% shellcache "name" %}…{% endshellcache %}`` (see the module docstring)."""
    bits = token.split_contents()
    if len(bits) != 2 or bits[1][0] not in "\"'" or bits[1][-1] != bits[1][0]:
        raise template.TemplateSyntaxError('usage: {% shellcache "name" %}')
    nodelist = parser.parse(("endshellcache",))
    parser.delete_first_token()
    return ShellCacheNode(bits[1][1:-1], nodelist)
