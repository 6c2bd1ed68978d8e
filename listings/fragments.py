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
(``anonymous_page_key``), as an anonymous visitor sees it. It holds no CSRF token
(the language menu is a GET form, and a visitor who is not signed in gets a
sign-in link, not the buy form); should it ever hold one, it is rendered with a
stand-in (``kernel.templatetags.shell.CSRF_STAND_IN``) that each visitor's
own token replaces (``serve_anonymous_page``). It is
kept only for the listing's own plain path (no query string, which the language
form's ``next`` repeats) and served only when the visitor has no pending messages;
its key carries the deploy's static file names (``_build``); the access check
still runs first on every request. Nothing of a signed-in visitor's is ever in it.
It is stored on a listing's second view (the first stores the parts): on traffic
spread over every listing most views are first views, and storing each page
(~25 KB) then cost more than the hits it served (docs/performance.md).

Invalidation of the catalogue and home page: one *generation* number
(``listings:catalogue-gen``). Every change that a catalogue page can show bumps it
after commit — a listing or screenshot saved or deleted, a user (the seller's
public name) or a standing (rating, sales) saved — so the next request renders
afresh. A cached entry records the generation it was built under and counts only
while that is current; both are read in one round trip.

A listing page's entries (its parts, the anonymous page) are not tied to that
generation — any listing's change anywhere would throw away every listing page.
They count while two tokens are unchanged: the listing's own *version*
(``listings:version:<id>``, replaced after commit when the listing, one of its
screenshots, its seller's user row or standing, or a watched model of the seller
— escrow's reviews — changes; a seller's change replaces the version of each of
their PUBLISHED listings, the only ones kept) and the *all* token
(``listings:all-gen``, a random token), which only ``bump()`` replaces. A version is read before
the data and stored with the entry, so a render that raced a change is never
served; an evicted version is replaced by a fresh one, never reused.

Entries also expire after ``FRAGMENT_CACHE_SECONDS`` as a safety net for writes
that bypass the ORM's signals (raw SQL, ``QuerySet.update``): such a write in
listings calls ``touch()`` with what it changed, or ``bump()`` —
``mark_sold_many``, the release job's bulk sale, does: each sale also changes its
seller's standing, on every page of theirs. Listings owns this: other apps write
through listings' services and its receivers, and never need to call in here.

Off unless ``settings.FRAGMENT_CACHE`` (env ``HANDOFF_FRAGMENT_CACHE=1``).
"""

from __future__ import annotations

import functools
import hashlib
import logging
import uuid
from collections.abc import Callable

from django.conf import settings
from django.core.cache import cache
from django.db import transaction
from django.db.models.signals import post_delete, post_save
from django.urls import reverse
from django.utils import translation

logger = logging.getLogger(__name__)

GEN_KEY = "listings:catalogue-gen"
ALL_KEY = "listings:all-gen"


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

    if (
        request.GET
        or request.path != reverse("listings:detail", args=[listing_id])  # e.g. /listings/007/
        or request.user.is_authenticated
        or len(messages.get_messages(request))
    ):
        return None
    return page_key(listing_id)


def page_key(listing_id: int) -> str:
    """The key of a listing's kept anonymous page, in the active language."""
    language = translation.get_language()
    return f"listings:detail-page:v{DETAIL_VERSION}:{_build()}:{language}:{int(listing_id)}"


@functools.cache
def _build() -> str:
    """Changes with each deploy that changes the static files: a kept page links the
    stylesheet and scripts by their hashed names, which the next deploy removes."""
    from django.templatetags.static import static

    names = "|".join(
        static(name) for name in ("css/handoff.css", "js/handoff.js", "js/htmx.min.js")
    )
    return hashlib.sha256(names.encode()).hexdigest()[:8]


def render_anonymous_page(request, template_name: str, context: dict) -> str:
    """``template_name`` rendered for this (anonymous) request with the CSRF token's
    stand-in in place of a token, to be kept under ``anonymous_page_key``."""
    from django.template.loader import render_to_string

    from kernel.templatetags.shell import CSRF_STAND_IN

    return render_to_string(template_name, {**context, "csrf_token": CSRF_STAND_IN}, request)


def serve_anonymous_page(request, html: str):
    """The kept page, with this visitor's own CSRF token wherever it has one
    (``get_token`` also sets the CSRF cookie, as rendering the token would). Today
    the page has none — the language menu is a GET and a visitor who is not signed
    in gets a sign-in link, not the buy form — so it is served as kept, with no
    cookie."""
    from django.http import HttpResponse
    from django.middleware.csrf import get_token

    from kernel.templatetags.shell import CSRF_STAND_IN

    if CSRF_STAND_IN in html:  # none today: the page has no form that posts
        html = html.replace(CSRF_STAND_IN, get_token(request))
    return HttpResponse(html)


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


#: A listing's version outlives the entries stored with it (at most
#: ``FRAGMENT_CACHE_SECONDS``); when it expires or is evicted a new one is made.
VERSION_SECONDS = 24 * 3600


def _version_key(listing_id: int) -> str:
    return f"listings:version:{int(listing_id)}"


def _new_version() -> str:
    return uuid.uuid4().hex


def lookup_listing(key: str, listing_id: int) -> tuple[str, dict | None, tuple | None]:
    """(key, cached entry or None, token) for one entry of listing ``listing_id``'s
    page (``lookup_listing_entries`` with one key)."""
    entries, token = lookup_listing_entries([key], listing_id)
    return key, entries.get(key), token


def lookup_listing_entries(keys: list[str], listing_id: int) -> tuple[dict, tuple | None]:
    """({key: entry} of the entries found and current, token) for entries of listing
    ``listing_id``'s page: an entry counts while the *all* generation and the
    listing's version are what it was stored with. One cache round trip for all
    ``keys`` (two the first time a listing is asked for, or after its version was
    evicted: a fresh one is made)."""
    version_key = _version_key(listing_id)
    try:
        found = cache.get_many([ALL_KEY, version_key, *keys])
        # First use, or evicted: fresh tokens, so nothing stored under an older
        # one ever counts again (a counter could come back to it). Whoever adds
        # a token first wins; the others read the winner's (a listing's first
        # view pays one round trip for it, not three).
        for token_key, timeout in ((ALL_KEY, None), (version_key, VERSION_SECONDS)):
            if found.get(token_key) is None:
                fresh = _new_version()
                found[token_key] = (
                    fresh if cache.add(token_key, fresh, timeout) else cache.get(token_key)
                )
                if found[token_key] is None:
                    return {}, None
    except Exception:  # the cache is down: render without it
        logger.warning("fragment cache unavailable", exc_info=True)
        return {}, None
    token = (found[ALL_KEY], found[version_key])
    entries = {key: found[key] for key in keys if key in found and found[key].get("gen") == token}
    return entries, token


def store(key: str, gen, entry: dict, *, timeout: int | None = None) -> None:
    """Keep ``entry`` under ``key`` for generation ``gen`` (from ``lookup`` or
    ``lookup_listing``, read before the data was), for ``FRAGMENT_CACHE_SECONDS``
    or ``timeout`` if shorter (e.g. until a badge in the HTML lapses with time)."""
    if gen is None or gen == -1:  # the cache was down when it was read
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


def _incr(key: str) -> None:
    try:
        cache.incr(key)
    except ValueError:  # not there yet (or evicted): any new number will do
        cache.add(key, 1, None)
        cache.incr(key)


def bump() -> None:
    """Make every cached fragment stale (after the current commit): the catalogue's
    generation and the *all* token the listing pages honour."""

    def _bump():
        try:
            _incr(GEN_KEY)
            cache.set(ALL_KEY, _new_version(), None)
        except Exception:
            logger.warning("fragment cache unavailable", exc_info=True)

    transaction.on_commit(_bump)


def touch(*, listing_ids=(), seller_ids=()) -> None:
    """After commit: the catalogue's generation, and a new version for these
    listings and for each PUBLISHED listing (the only pages kept) of these sellers.
    For a write that sends no signal but knows what it changed (``bump()`` when it
    does not). Does nothing with the fragment cache off."""
    if not enabled():
        return
    listing_ids, seller_ids = list(listing_ids), list(seller_ids)

    def _after_commit():
        try:
            ids = set(listing_ids)
            if seller_ids:
                from .models import Listing

                ids.update(
                    Listing.objects.filter(
                        seller_id__in=seller_ids, state=Listing.State.PUBLISHED
                    ).values_list("pk", flat=True)
                )
            versions = {_version_key(pk): _new_version() for pk in ids}
            if hasattr(cache, "incr_and_set_many"):  # Redis: one round trip
                cache.incr_and_set_many(GEN_KEY, versions, VERSION_SECONDS)
                return
            _incr(GEN_KEY)
            if versions:
                cache.set_many(versions, VERSION_SECONDS)
        except Exception:
            logger.warning("fragment cache unavailable", exc_info=True)

    transaction.on_commit(_after_commit)


#: model → (what it belongs to: "listing" or "seller", how to get that id).
_WATCHED: dict[type, tuple[str, Callable]] = {}


def _on_change(sender, instance=None, update_fields=None, **kwargs) -> None:
    if not enabled():
        return
    if update_fields is not None and set(update_fields) <= {"last_login"}:
        return  # a login changes nothing a catalogue or listing page shows
    kind, get_id = _WATCHED[sender]
    owner_id = get_id(instance)
    if owner_id is None:
        bump()
    elif kind == "listing":
        touch(listing_ids=[owner_id])
    else:
        touch(seller_ids=[owner_id])


def watch(model, *, listing: Callable | None = None, seller: Callable | None = None) -> None:
    """Invalidate whenever ``model`` is saved or deleted: the catalogue, and the page
    of the listing ``listing(instance)`` or of every listing of the seller
    ``seller(instance)`` (one of the two; ids). Apps that put something into a
    cached part (escrow: the seller's reviews) register their models here, keeping
    the dependency direction (they import listings)."""
    if (listing is None) == (seller is None):
        raise ValueError("watch() needs one of listing= or seller=")
    _WATCHED[model] = ("listing", listing) if listing is not None else ("seller", seller)
    uid = f"listings-fragments-{model._meta.label_lower}"
    post_save.connect(_on_change, sender=model, dispatch_uid=uid + "-save")
    post_delete.connect(_on_change, sender=model, dispatch_uid=uid + "-delete")


def connect() -> None:
    """Listings, screenshots, users and standings: whatever a card or the shared
    parts of a listing page show."""
    from django.contrib.auth import get_user_model

    from accounts.models import Standing

    from .models import Listing, ListingScreenshot, PendingListing

    watch(Listing, listing=lambda listing: listing.pk)
    watch(PendingListing, listing=lambda listing: listing.pk)
    watch(ListingScreenshot, listing=lambda shot: shot.listing_id)
    watch(get_user_model(), seller=lambda user: user.pk)
    watch(Standing, seller=lambda standing: standing.user_id)
