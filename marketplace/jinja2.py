"""The Jinja2 environment (Django's ``Jinja2`` backend, the engine named "jinja2").

Jinja2 renders the markup every page repeats or a page repeats many times: the
page shell (header and footer, ``marketplace/jinja2/shell/``, included by
``templates/base.html``) and the listing cards. Django's template engine spends several microseconds on each variable, filter,
``{% url %}`` and ``{% trans %}``; Jinja2 compiles a template to Python once
(docs/performance.md). Every other template is Django's.

Text: ``{{ _("…") }}`` only, which Django's ``makemessages`` reads like a Django
template's ``_("…")``, so one catalogue serves both engines (it reads neither
Jinja2's ``{% trans %}`` nor ``pgettext``: a word that needs a context gets a
longer message instead); plurals come from Python helpers (``ngettext`` there).
As with Django's ``{% trans %}`` and ``{% blocktrans %}``, a translated message is
markup (not escaped) and the values put into it with ``%`` are escaped; it is never
%-formatted behind our back (old-style gettext).
The filters are the Django template filters of the same names, so a value's
formatting has one definition whichever engine renders it.
"""

from __future__ import annotations

import functools

from django.conf import settings
from django.core.signals import setting_changed
from django.templatetags.static import static
from django.urls import get_script_prefix, get_urlconf, reverse
from django.utils.translation import get_language_info, gettext, ngettext
from jinja2 import Environment
from markupsafe import Markup

from governance.templatetags.governance_tags import masked
from listings.templatetags.listings_tags import (
    card_labels,
    compact,
    cover_src,
    detail_url,
    money,
    platform_label,
    sales_text,
)


def url(name: str, *args, **kwargs) -> str:
    """``{{ url('listings:detail', pk) }}``: Django's ``{% url %}``. A URL without
    arguments (the shell's dozen links) is reversed once per process, URLconf and
    script prefix: ``reverse`` costs more than the rest of the link."""
    if args or kwargs:
        return reverse(name, args=args or None, kwargs=kwargs or None)
    return _fixed_url(name, get_urlconf(), get_script_prefix())


@functools.lru_cache(maxsize=256)
def _fixed_url(name: str, urlconf, script_prefix: str) -> str:
    return reverse(name, urlconf=urlconf)


def _urls_changed(*, setting, **kwargs) -> None:
    if setting == "ROOT_URLCONF":
        _fixed_url.cache_clear()


setting_changed.connect(_urls_changed, dispatch_uid="marketplace-jinja2-urls")


@functools.cache
def languages() -> list[tuple[str, str]]:
    """``(code, name in its own language)`` for the language menu."""
    return [(code, get_language_info(code)["name_local"]) for code, _name in settings.LANGUAGES]


def _markup_gettext(message: str) -> Markup:
    return Markup(gettext(message))  # noqa: S704  # nosec B704 (our catalogue, as {% trans %})


def _markup_ngettext(singular: str, plural: str, n: int) -> Markup:
    return Markup(ngettext(singular, plural, n))  # noqa: S704  # nosec B704


def environment(**options) -> Environment:
    extensions = [*options.pop("extensions", []), "jinja2.ext.i18n"]
    env = Environment(extensions=extensions, **options)  # noqa: S701  # nosec B701 (the backend turns autoescape on)
    env.install_gettext_callables(_markup_gettext, _markup_ngettext, newstyle=False)  # type: ignore[attr-defined]
    env.filters.update(
        {
            "compact": compact,
            "cover_src": cover_src,
            "detail_url": detail_url,
            "masked": masked,
            "money": money,
            "platform_label": platform_label,
            "sales_text": sales_text,
        }
    )
    env.globals.update(
        {"card_labels": card_labels, "languages": languages, "static": static, "url": url}
    )
    return env
