"""The listing's transition table in action, and the services escrow calls
(reserve, release, mark sold, withdraw after exposure). Lock order across the
apps: listing → deal → the deal's money rows, each by primary key."""

from __future__ import annotations

from datetime import datetime

from django.db import transaction
from django.utils import timezone

from .. import fragments
from ..exceptions import (
    IllegalTransition,
    ListingNotAvailable,
)
from ..models import Listing, ListingEvent
from .media import request_media_sync

State = Listing.State


def can_transition(from_state: str, to_state: str) -> bool:
    return to_state in Listing.TRANSITIONS.get(from_state, frozenset())


def transition_listing(
    *,
    listing: Listing,
    to: str,
    actor=None,
    reason: str = "",
    now: datetime | None = None,
    update_fields: list[str] | None = None,
) -> ListingEvent:
    """Move ``listing`` to state ``to`` and record the event.

    Precondition: the caller holds the listing's row lock (``select_for_update``)
    inside an atomic block, and ``listing`` is that locked row. A move in or out
    of ``Listing.MEDIA_PUBLIC_STATES`` schedules the move of the screenshot files
    (``services.media``) after commit. Raises
    ``IllegalTransition`` (nothing written) if the table does not allow the move.
    ``update_fields``: further fields the caller changed on ``listing`` to save
    along with the state.
    """
    now = now or timezone.now()
    from_state = listing.state
    if not can_transition(from_state, to):
        raise IllegalTransition(from_state, to)
    listing.state = to
    fields = {"state", "updated_at", *(update_fields or [])}
    if to == State.PUBLISHED and (listing.published_at is None or from_state != State.RESERVED):
        listing.published_at = now
        fields.add("published_at")
    if to == State.PENDING_REVIEW:
        listing.submitted_at = now
        fields.add("submitted_at")
    event = ListingEvent(
        listing=listing,
        from_state=from_state,
        to_state=to,
        actor=actor if actor is not None and getattr(actor, "is_authenticated", False) else None,
        reason=reason,
        created_at=now,
    )
    listing.save(update_fields=sorted(fields))
    event.save(force_insert=True)
    if (from_state in Listing.MEDIA_PUBLIC_STATES) != (to in Listing.MEDIA_PUBLIC_STATES):
        # The screenshots follow the listing's visibility: a task after commit moves
        # them, under new names.
        request_media_sync([listing.pk])
    return event


def _lock(listing_id: int) -> Listing:
    return Listing.objects.select_for_update().get(pk=listing_id)


# -------------------------------------------------------- called by escrow


def reserve_listing(
    *, listing_id: int, actor=None, reason: str = "", now: datetime | None = None
) -> Listing:
    """PUBLISHED → RESERVED for a new deal. Locks the listing row, so two buyers can
    never both reserve it: the second gets ``ListingNotAvailable`` (nothing written).
    """
    with transaction.atomic():
        return reserve_locked_listing(_lock(listing_id), actor=actor, reason=reason, now=now)


def lock_listing_for_sale(listing_id: int) -> Listing | None:
    """Lock the listing's row in the caller's transaction and return it with only
    what a sale reads and ``reserve_locked_listing`` writes — its seller, state,
    price and currency (anything else is loaded on access, if ever); None if there
    is no such listing. Escrow's checkout calls it holding the buyer's lock."""
    try:
        return (
            Listing.objects.select_for_update(of=("self",))
            .only("seller", "state", "price", "currency")
            .get(pk=int(listing_id))
        )
    except Listing.DoesNotExist:
        return None


def reserve_locked_listing(
    listing: Listing,
    *,
    actor=None,
    reason: str = "",
    now: datetime | None = None,
) -> Listing:
    """``reserve_listing`` for a caller that already holds ``listing``'s row lock in
    its own transaction (escrow's ``open_deal`` locks the buyer, then the listing):
    no second lock, no savepoint. ``ListingNotAvailable`` unless PUBLISHED."""
    if listing.state != State.PUBLISHED:
        raise ListingNotAvailable()
    transition_listing(
        listing=listing,
        to=State.RESERVED,
        actor=actor,
        reason=reason or "reserved",
        now=now,
    )
    return listing


def release_reservation(
    *, listing_id: int, actor=None, reason: str = "", now: datetime | None = None
) -> Listing:
    """RESERVED → PUBLISHED (an unpaid deal was cancelled, or refunded before handover).

    Idempotent for a listing already PUBLISHED. A listing that was removed or
    withdrawn meanwhile stays where it is (returned unchanged).
    """
    with transaction.atomic():
        listing = _lock(listing_id)
        if listing.state != State.RESERVED:
            return listing
        transition_listing(
            listing=listing,
            to=State.PUBLISHED,
            actor=actor,
            reason=reason or "reservation released",
            now=now,
        )
        return listing


def mark_sold(
    *, listing_id: int, actor=None, reason: str = "", now: datetime | None = None
) -> Listing:
    """RESERVED → SOLD when the deal is released. Idempotent for a SOLD listing;
    raises ``IllegalTransition`` from any other state."""
    with transaction.atomic():
        listing = _lock(listing_id)
        if listing.state == State.SOLD:
            return listing
        transition_listing(
            listing=listing, to=State.SOLD, actor=actor, reason=reason or "sold", now=now
        )
        return listing


def mark_sold_many(*, listing_ids: list[int], reasons: dict[int, str], now: datetime) -> None:
    """RESERVED → SOLD for many listings at once (the release job's batch): one
    locking read, one UPDATE and one INSERT of events instead of a lock, save and
    insert each. Every move is checked against the transition table (``can_transition``;
    ``IllegalTransition`` and nothing written if one is not allowed); a listing
    already SOLD is left as it is, as ``mark_sold`` does.

    Runs in the caller's transaction (or its own); locks the listings by primary key
    (the lock order: listing → deal). Bulk writes send no ``post_save``; the fragment
    caches are invalidated here (after commit) for what the sale changes: these
    listings, and the standing (completed sales) of their sellers, which every page
    and card of theirs shows."""
    if not listing_ids:
        return
    with transaction.atomic():
        states = dict(
            Listing.objects.select_for_update()
            .filter(pk__in=listing_ids)
            .order_by("pk")
            .values_list("pk", "state")
        )
        to_sell = []
        for pk in sorted(set(listing_ids)):
            state = states.get(pk)
            if state == State.SOLD:
                continue
            if state is None or not can_transition(state, State.SOLD):
                raise IllegalTransition(state or "", State.SOLD)
            to_sell.append(pk)
        if not to_sell:
            return
        # Sold: the screenshots leave public media.
        request_media_sync([pk for pk in to_sell if states[pk] in Listing.MEDIA_PUBLIC_STATES])
        Listing.objects.filter(pk__in=to_sell).update(state=State.SOLD, updated_at=timezone.now())
        ListingEvent.objects.bulk_create(
            ListingEvent(
                listing_id=pk,
                from_state=states[pk],
                to_state=State.SOLD,
                reason=reasons.get(pk, "sold"),
                created_at=now,
            )
            for pk in to_sell
        )
        # A bulk update sends no signal. Each sale also changes its seller's standing,
        # on every page of theirs: a new version for each of those pages costs a query
        # and a cache write per page, so the whole cache is made stale instead, once.
        fragments.bump()


def withdraw_after_exposure(
    *, listing_id: int, actor=None, reason: str = "", now: datetime | None = None
) -> Listing:
    """RESERVED → WITHDRAWN: the deal was refunded after the credentials were shown,
    so the seller must secure the account and resubmit. Ownership must be proven
    again (a new code is issued on resubmission). Idempotent for WITHDRAWN."""
    with transaction.atomic():
        listing = _lock(listing_id)
        if listing.state == State.WITHDRAWN:
            return listing
        listing.ownership_proven = False
        listing.ownership_code = ""
        transition_listing(
            listing=listing,
            to=State.WITHDRAWN,
            actor=actor,
            reason=reason or "withdrawn after the credentials were shown",
            now=now,
            update_fields=["ownership_proven", "ownership_code"],
        )
        return listing
