"""Fragment cache for the catalogue (issue 10), in the shared cache (Redis).

What is cached: the catalogue's main column — the filter form and the results
(cards, count, pager) — as HTML, per query string and language. Never the page
around it: the header carries the visitor's CSRF token and session state, and is
rendered live on every request.

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


def lookup(request) -> tuple[str, dict | None, int]:
    """(key, cached entry or None, current generation) — one cache round trip."""
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


def store(key: str, gen: int, entry: dict) -> None:
    if gen < 0:
        return
    try:
        cache.set(key, {**entry, "gen": gen}, settings.FRAGMENT_CACHE_SECONDS)
    except Exception:
        logger.warning("fragment cache unavailable", exc_info=True)


def bump() -> None:
    """Make every cached catalogue fragment stale (after the current commit)."""

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
        return  # a login changes nothing a catalogue page shows
    bump()


def connect() -> None:
    """Listings, screenshots, users and standings: whatever a card shows."""
    from django.contrib.auth import get_user_model

    from accounts.models import Standing

    from .models import Listing, ListingScreenshot, PendingListing

    for model in (Listing, PendingListing, ListingScreenshot, get_user_model(), Standing):
        uid = f"listings-fragments-{model._meta.label_lower}"
        post_save.connect(_on_change, sender=model, dispatch_uid=uid + "-save")
        post_delete.connect(_on_change, sender=model, dispatch_uid=uid + "-delete")
