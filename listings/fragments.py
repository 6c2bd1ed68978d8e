"""Fragment cache for the catalogue and the listing page (issue 10), in the
shared cache (Redis).

What is cached, as HTML, per language:

- the catalogue's main column — the filter form and the results (cards, count,
  pager) — per query string;
- the parts of a PUBLISHED listing's page that are the same for every visitor —
  title and figures, screenshots, description, the seller card's name, badge and
  standing, the transfer-policy note, the seller's latest reviews (escrow's part,
  its ``Review`` registered through ``watch``) — per listing id.

Never anything user-specific: the header (the visitor's CSRF token and session
state), the listing page's buy box, owner and moderator links and "Report" link
are rendered live on every request, and the listing page checks access (one
query) before it serves anything it read from the cache.

One exception, for **anonymous visitors** only: a PUBLISHED listing's whole page
(``anonymous_page_key``), as an anonymous visitor sees it, with a stand-in where
the CSRF token goes (``marketplace.templatetags.shell.CSRF_STAND_IN``); each
visitor's own token replaces it on every request (``serve_anonymous_page``). It is
kept only for a plain path (no query string, which the language form's ``next``
repeats) and served only when the visitor has no pending messages; the access
check still runs first on every request. Nothing of a signed-in visitor's is ever
in it.

Invalidation: one *generation* number (``listings:catalogue-gen``). Every change
that a catalogue page can show bumps it after commit — a listing or screenshot
saved or deleted, a user (the seller's public name) or a standing (rating, sales)
saved — so the next request renders afresh. A cached entry records the
generation it was built under and counts only while that is current; both are
read in one round trip. Entries also expire after ``FRAGMENT_CACHE_SECONDS`` as a
safety net for writes that bypass the ORM's signals (raw SQL, ``QuerySet.update``).

Off unless ``settings.FRAGMENT_CACHE`` (env ``HANDOFF_FRAGMENT_CACHE=1``).
"""

from __future__ import annotations

import hashlib
import logging

from django.conf import settings
from django.core.cache import cache
from django.db import transaction
from django.db.models.signals import post_delete, post_save
from django.utils import translation

logger = logging.getLogger(__name__)

GEN_KEY = "listings:catalogue-gen"


def enabled() -> bool:
    return bool(getattr(settings, "FRAGMENT_CACHE", False))


def _key(request) -> str:
    params = sorted(request.GET.lists())
    digest = hashlib.sha256(repr(params).encode()).hexdigest()[:32]
    return f"listings:catalogue:{translation.get_language()}:{digest}"


#: Bumped when the set of a listing page's parts changes (v2: the seller's reviews),
#: so entries a previous release stored are not served without the new part.
DETAIL_VERSION = 2


def detail_key(listing_id: int) -> str:
    """The key of a listing page's shared parts, in the active language."""
    return f"listings:detail:v{DETAIL_VERSION}:{translation.get_language()}:{int(listing_id)}"


def anonymous_page_key(request, listing_id: int) -> str | None:
    """The key of a listing's whole page as an anonymous visitor sees it, or None
    when this request may not use it: a signed-in visitor, a query string (the
    page repeats the path), or messages waiting to be shown (they are part of the
    page)."""
    from django.contrib import messages

    if request.GET or request.user.is_authenticated or len(messages.get_messages(request)):
        return None
    return f"listings:detail-page:v{DETAIL_VERSION}:{translation.get_language()}:{int(listing_id)}"


def render_anonymous_page(request, template_name: str, context: dict) -> str:
    """``template_name`` rendered for this (anonymous) request with the CSRF token's
    stand-in in place of a token, to be kept under ``anonymous_page_key``."""
    from django.template.loader import render_to_string

    from marketplace.templatetags.shell import CSRF_STAND_IN

    return render_to_string(template_name, {**context, "csrf_token": CSRF_STAND_IN}, request)


def serve_anonymous_page(request, html: str):
    """The kept page with this visitor's own CSRF token (``get_token`` also sets the
    CSRF cookie, as rendering the token would)."""
    from django.http import HttpResponse
    from django.middleware.csrf import get_token

    from marketplace.templatetags.shell import CSRF_STAND_IN

    return HttpResponse(html.replace(CSRF_STAND_IN, get_token(request)))


def home_key() -> str:
    """The key of the home page's listing sections, in the active language."""
    return f"listings:home:{translation.get_language()}"


def lookup(request=None, *, key: str | None = None) -> tuple[str, dict | None, int]:
    """(key, cached entry or None, current generation) — one cache round trip.

    ``key`` defaults to the catalogue's key for ``request``."""
    if key is None:
        key = _key(request)
    try:
        found = cache.get_many([GEN_KEY, key])
    except Exception:  # the cache is down: render without it
        logger.warning("fragment cache unavailable", exc_info=True)
        return key, None, -1
    gen = found.get(GEN_KEY, 0)
    entry = found.get(key)
    if entry is not None and entry.get("gen") != gen:
        entry = None
    return key, entry, gen


def store(key: str, gen: int, entry: dict, *, timeout: int | None = None) -> None:
    """Keep ``entry`` under ``key`` for generation ``gen`` (from ``lookup``, read
    before the data was), for ``FRAGMENT_CACHE_SECONDS`` or ``timeout`` if shorter
    (e.g. until a badge in the HTML lapses with time)."""
    if gen < 0:
        return
    seconds = settings.FRAGMENT_CACHE_SECONDS
    if timeout is not None:
        if timeout <= 0:
            return
        seconds = min(seconds, timeout)
    try:
        cache.set(key, {**entry, "gen": gen}, seconds)
    except Exception:
        logger.warning("fragment cache unavailable", exc_info=True)


def bump() -> None:
    """Make every cached fragment stale (after the current commit)."""

    def _bump():
        try:
            try:
                cache.incr(GEN_KEY)
            except ValueError:  # not there yet (or evicted): any new number will do
                cache.add(GEN_KEY, 1, None)
                cache.incr(GEN_KEY)
        except Exception:
            logger.warning("fragment cache unavailable", exc_info=True)

    transaction.on_commit(_bump)


def _on_change(sender, instance=None, update_fields=None, **kwargs) -> None:
    if not enabled():
        return
    if update_fields is not None and set(update_fields) <= {"last_login"}:
        return  # a login changes nothing a catalogue or listing page shows
    bump()


def watch(*models) -> None:
    """Bump the generation whenever one of ``models`` is saved or deleted. Apps that
    put something into a cached part (escrow: the seller's reviews) register their
    models here, keeping the dependency direction (they import listings)."""
    for model in models:
        uid = f"listings-fragments-{model._meta.label_lower}"
        post_save.connect(_on_change, sender=model, dispatch_uid=uid + "-save")
        post_delete.connect(_on_change, sender=model, dispatch_uid=uid + "-delete")


def connect() -> None:
    """Listings, screenshots, users and standings: whatever a card or the shared
    parts of a listing page show."""
    from django.contrib.auth import get_user_model

    from accounts.models import Standing

    from .models import Listing, ListingScreenshot, PendingListing

    watch(Listing, PendingListing, ListingScreenshot, get_user_model(), Standing)
