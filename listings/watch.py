"""A buyer's watchlist and saved searches, and the job that e-mails a saved
search's new matches.

Saved searches are stored as the catalogue's own query string (canonical: the
filter form's cleaned values, sorted, without page or cursor), so an alert finds
exactly what the search page shows (``selectors.matching``). The job claims each
due search with a conditional update of ``checked_at`` (two runs never send the
same alert) and queues the e-mail in the outbox in the same transaction.
"""

from __future__ import annotations

from urllib.parse import urlencode

from django.conf import settings
from django.db import IntegrityError, transaction
from django.http import QueryDict
from django.template.loader import render_to_string
from django.utils.translation import gettext as _

from accounts.outbox import email_kind, queue_email

from . import selectors
from .exceptions import WatchError
from .models import Listing, SavedSearch, WatchedListing

MAX_WATCHED = 200
MAX_SAVED_SEARCHES = 20
#: At most this many listings are named in one alert e-mail.
ALERT_LISTINGS = 10
#: The outbox kind of a saved search's alert e-mail.
ALERT_EMAIL = "listings.saved_search_alert"
#: Filter parameters a saved search keeps (page, cursor and sort are not kept).
SEARCH_KEYS = ("q", "platform", "min_followers", "max_followers", "min_price", "max_price")


# ------------------------------------------------------------------ watchlist


def watch_listing(*, user, listing_id: int, now) -> bool:
    """Put a PUBLISHED (or reserved) listing on ``user``'s watchlist; idempotent.
    Returns whether it was added now."""
    listing = Listing.objects.filter(
        pk=listing_id, state__in=[Listing.State.PUBLISHED, Listing.State.RESERVED]
    ).first()
    if listing is None:
        raise WatchError(_("This listing is not on sale, so it cannot be watched."))
    if listing.seller_id == user.pk:
        raise WatchError(_("This is your own listing."))
    if WatchedListing.objects.filter(user=user).count() >= MAX_WATCHED:
        raise WatchError(
            _("Your watchlist is full (%(n)s listings): remove one first.") % {"n": MAX_WATCHED}
        )
    try:
        with transaction.atomic():
            _row, created = WatchedListing.objects.get_or_create(
                user=user, listing=listing, defaults={"created_at": now}
            )
    except IntegrityError:  # a double click raced itself: it is watched
        return False
    return created


def unwatch_listing(*, user, listing_id: int) -> None:
    WatchedListing.objects.filter(user=user, listing_id=listing_id).delete()


def is_watched(user, listing_id: int) -> bool:
    return (
        user.is_authenticated
        and WatchedListing.objects.filter(user=user, listing_id=listing_id).exists()
    )


# ------------------------------------------------------------- saved searches


def canonical_query(params) -> str:
    """The catalogue query string ``params`` (a QueryDict or a string) reduced to
    its valid filters, in a stable order; "" when nothing is filtered."""
    from .forms import CatalogueFilterForm

    if isinstance(params, str):
        params = QueryDict(params)
    form = CatalogueFilterForm(params)
    data = form.safe_data()
    pairs = []
    for key in SEARCH_KEYS:
        value = data.get(key)
        if value in (None, "", []):
            continue
        for item in sorted(value) if isinstance(value, list) else [value]:
            pairs.append((key, str(item)))
    return urlencode(pairs)


def query_of(search: SavedSearch) -> selectors.CatalogueQuery:
    from .forms import CatalogueFilterForm

    return selectors.query_from_data(CatalogueFilterForm(QueryDict(search.query)).safe_data())


def describe(query: str) -> str:
    """A short human label of a saved search ("gaming · YouTube · ≤ 500 USD")."""
    from .models import Platform

    params = QueryDict(query)
    parts = []
    if params.get("q"):
        parts.append(f"“{params['q']}”")
    platforms = dict(Platform.choices)
    if params.getlist("platform"):
        parts.append(", ".join(str(platforms.get(p, p)) for p in params.getlist("platform")))
    currency = settings.SETTLEMENT_CURRENCY
    for low, high, unit in (
        ("min_followers", "max_followers", _("followers")),
        ("min_price", "max_price", currency),
    ):
        lo, hi = params.get(low), params.get(high)
        if lo and hi:
            parts.append(f"{int(lo):,}–{int(hi):,} {unit}")
        elif lo:
            parts.append(f"≥ {int(lo):,} {unit}")
        elif hi:
            parts.append(f"≤ {int(hi):,} {unit}")
    return " · ".join(parts) or _("All listings")


def save_search(*, user, params, now) -> SavedSearch:
    """Save the catalogue search ``params`` for ``user`` (alerts on); saving the
    same search twice returns the first. New matches count from ``now``."""
    query = canonical_query(params)
    if not query:
        raise WatchError(_("Search or filter first: there is nothing to save yet."))
    if len(query) > SavedSearch._meta.get_field("query").max_length:
        raise WatchError(_("This search is too long to save: shorten it first."))
    existing = SavedSearch.objects.filter(user=user, query=query).first()
    if existing is not None:
        return existing
    if SavedSearch.objects.filter(user=user).count() >= MAX_SAVED_SEARCHES:
        raise WatchError(
            _("You have %(n)s saved searches, the most we keep: delete one first.")
            % {"n": MAX_SAVED_SEARCHES}
        )
    try:
        with transaction.atomic():
            return SavedSearch.objects.create(
                user=user, query=query, created_at=now, checked_at=now
            )
    except IntegrityError:  # the same search saved twice at once
        return SavedSearch.objects.get(user=user, query=query)


def set_search_alerts(*, user, search_id: int, alerts: bool, now) -> None:
    """Turn a saved search's e-mails on or off; turned on, only listings
    published from ``now`` are new (no flood of old matches)."""
    updates = {"alerts": alerts}
    if alerts:
        updates["checked_at"] = now
    SavedSearch.objects.filter(user=user, pk=search_id, alerts=not alerts).update(**updates)


def delete_saved_search(*, user, search_id: int) -> None:
    SavedSearch.objects.filter(user=user, pk=search_id).delete()


# --------------------------------------------------------------------- alerts


def send_saved_search_alerts(*, now, batch: int = 500) -> int:
    """Queue an e-mail for each saved search with alerts on whose new matches
    (published in (``checked_at``, ``now``]) exist; returns how many this run
    queued. The claim of the window and the e-mail are one transaction, so two
    runs never alert twice and a mail outage only delays the e-mail (the outbox
    sends it, retrying)."""
    sent = 0
    due = (
        SavedSearch.objects.filter(alerts=True, checked_at__lt=now, user__is_active=True)
        .select_related("user")
        .order_by("checked_at", "id")[:batch]
    )
    for search in due:
        listings = selectors.new_matches(
            query_of(search), since=search.checked_at, until=now, limit=ALERT_LISTINGS
        )
        with transaction.atomic():
            # Claim the window: only the run whose update succeeds queues the e-mail.
            claimed = SavedSearch.objects.filter(
                pk=search.pk, checked_at=search.checked_at, alerts=True
            ).update(checked_at=now)
            if not claimed or not listings:
                continue
            queue_email(
                kind=ALERT_EMAIL,
                user=search.user,
                params={"search": search.pk, "listings": [listing.pk for listing in listings]},
            )
        sent += 1
    return sent


@email_kind(ALERT_EMAIL)
def _render_alert(email) -> tuple[str, str]:
    """The alert, rendered when the outbox sends it (in the recipient's language)."""
    search = SavedSearch.objects.filter(pk=email.params.get("search")).first()
    query = search.query if search is not None else ""
    ids = email.params.get("listings") or []
    by_id = Listing.objects.in_bulk(ids)
    listings = [by_id[pk] for pk in ids if pk in by_id]
    label = describe(query)
    subject = _("New listings for your saved search %(search)s") % {"search": label}
    body = render_to_string(
        "listings/email/saved_search_alert.txt",
        {
            "user": email.user,
            "label": label,
            "listings": listings,
            "site_url": settings.SITE_URL,
            "search_url": f"{settings.SITE_URL}/listings/?{query}",
            "manage_url": f"{settings.SITE_URL}/watchlist/",
        },
    )
    return subject, body
