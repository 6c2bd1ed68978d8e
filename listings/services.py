"""Writes that matter in listings. One keyword-only function per use case, each in
one ``transaction.atomic``, locking the listing row (``select_for_update``) before it
reads-then-writes, and recording a ``ListingEvent`` for every state change.

Services that escrow calls (``reserve_listing``, ``release_reservation``,
``mark_sold``, ``withdraw_after_exposure``) take a ``listing_id`` and may be called
inside escrow's own transaction; lock order there: the deal first, then the listing.
"""

from __future__ import annotations

from datetime import datetime

from django.db import transaction
from django.utils import timezone

from .exceptions import IllegalTransition, ListingNotAvailable
from .models import Listing, ListingEvent

State = Listing.State


# ----------------------------------------------------------------- transitions


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
    inside an atomic block, and ``listing`` is that locked row. Raises
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
    listing.save(update_fields=sorted(fields))
    return ListingEvent.objects.create(
        listing=listing,
        from_state=from_state,
        to_state=to,
        actor=actor if actor is not None and getattr(actor, "is_authenticated", False) else None,
        reason=reason,
        created_at=now,
    )


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
        listing = _lock(listing_id)
        if listing.state != State.PUBLISHED:
            raise ListingNotAvailable()
        transition_listing(
            listing=listing, to=State.RESERVED, actor=actor, reason=reason or "reserved", now=now
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
