"""Moderators' use cases: ownership proof, approval, rejection, removal and
restoration, featuring; and governance's take-down of a seller's listings."""

from __future__ import annotations

from datetime import datetime

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.services import record_audit

from .. import signals
from ..exceptions import (
    IllegalTransition,
    ListingError,
    OwnershipNotProven,
)
from ..models import Listing
from .common import (
    _snapshot,
)
from .transitions import _lock, transition_listing

State = Listing.State


def _lock_for_moderation(listing_id: int) -> Listing:
    return _lock(listing_id)


def mark_ownership_proven(
    *, moderator, listing_id: int, note: str = "", now: datetime | None = None
) -> Listing:
    """Record that the ownership code was seen in the account's bio.

    ``moderator`` is None when an automatic checker proved it. Audited."""
    now = now or timezone.now()
    with transaction.atomic():
        listing = _lock_for_moderation(listing_id)
        if listing.ownership_proven:
            return listing
        if not listing.ownership_code or listing.state != State.PENDING_REVIEW:
            raise ListingError(
                _("Ownership can be proven only for a listing in review with a code.")
            )
        before = _snapshot(listing)
        listing.ownership_proven = True
        listing.ownership_proven_at = now
        listing.ownership_proven_by = moderator
        listing.save(
            update_fields=[
                "ownership_proven",
                "ownership_proven_at",
                "ownership_proven_by",
                "updated_at",
            ]
        )
        record_audit(
            actor=moderator,
            action="listing.ownership_proven",
            target=listing,
            reason=note or ("automatic check" if moderator is None else "code seen in the bio"),
            before=before,
            after=_snapshot(listing),
        )
        return listing


def _moderate(
    listing: Listing,
    *,
    to: str,
    actor,
    action: str,
    changes: dict,
    event_reason: str,
    audit_reason: str,
    now,
) -> Listing:
    """The locked ``listing`` → ``to`` by ``actor`` (None: the system), with
    ``changes`` (field → value; its ``moderation_reason`` at least) saved in the
    same transition and the whole audited as ``action``: every moderation move."""
    before = _snapshot(listing)
    for field, value in changes.items():
        setattr(listing, field, value)
    transition_listing(
        listing=listing,
        to=to,
        actor=actor,
        reason=event_reason,
        now=now,
        update_fields=list(changes),
    )
    record_audit(
        actor=actor,
        action=action,
        target=listing,
        reason=audit_reason,
        before=before,
        after=_snapshot(listing),
    )
    return listing


def _publish(listing: Listing, moderator, action: str, note: str, event_reason: str, now):
    """The locked ``listing`` → PUBLISHED by ``moderator``, its moderation reason
    cleared, audited as ``action``: the end of an approval and of a restore."""
    return _moderate(
        listing,
        to=State.PUBLISHED,
        actor=moderator,
        action=action,
        changes={"moderation_reason": ""},
        event_reason=event_reason,
        audit_reason=note,
        now=now,
    )


def approve_listing(
    *, moderator, listing_id: int, note: str = "", now: datetime | None = None
) -> Listing:
    """PENDING_REVIEW → PUBLISHED. Requires ownership proven (``OwnershipNotProven``).
    Audited."""
    with transaction.atomic():
        listing = _lock_for_moderation(listing_id)
        if listing.state != State.PENDING_REVIEW:
            raise IllegalTransition(listing.state, State.PUBLISHED)
        if not listing.ownership_proven:
            raise OwnershipNotProven()
        return _publish(listing, moderator, "listing.approve", note, note or "approved", now)


def reject_listing(
    *, moderator, listing_id: int, reason: str, now: datetime | None = None
) -> Listing:
    """PENDING_REVIEW → REJECTED with a reason the seller sees (required). Audited."""
    reason = (reason or "").strip()
    if not reason:
        raise ListingError(_("Give the seller a reason for the rejection."), code="reason_required")
    with transaction.atomic():
        listing = _lock_for_moderation(listing_id)
        if listing.state != State.PENDING_REVIEW:
            raise IllegalTransition(listing.state, State.REJECTED)
        return _moderate(
            listing,
            to=State.REJECTED,
            actor=moderator,
            action="listing.reject",
            changes={"moderation_reason": reason},
            event_reason=reason,
            audit_reason=reason,
            now=now,
        )


def remove_listing(*, actor, listing_id: int, reason: str, now: datetime | None = None) -> Listing:
    """Take a listing down by governance (→ REMOVED) from any state but SOLD.

    ``actor`` is the moderator, or None for an automatic sanction. Sends
    ``listing_removed`` after commit so that escrow cancels unpaid deals. Audited.
    """
    reason = (reason or "").strip()
    if not reason:
        raise ListingError(_("Give a reason for the removal."), code="reason_required")
    with transaction.atomic():
        listing = _lock(listing_id)
        if listing.state == State.REMOVED:
            return listing
        _moderate(
            listing,
            to=State.REMOVED,
            actor=actor,
            action="listing.remove",
            changes={"moderation_reason": reason, "featured": False},
            event_reason=reason,
            audit_reason=reason,
            now=now,
        )
        pk = listing.pk
        transaction.on_commit(
            lambda: signals.listing_removed.send(sender=Listing, listing_id=pk, reason=reason)
        )
        return listing


def restore_listing(
    *, moderator, listing_id: int, reason: str, now: datetime | None = None
) -> Listing:
    """REMOVED → PUBLISHED (e.g. an appeal was upheld, a freeze ended). Only a listing
    that had been published with proven ownership; anything else must be resubmitted
    (``ListingError``). Audited."""
    with transaction.atomic():
        listing = _lock(listing_id)
        if listing.state == State.REMOVED and (
            listing.published_at is None or not listing.ownership_proven
        ):
            raise ListingError(
                _("Only a listing that was published can be restored."), code="not_restorable"
            )
        return _publish(listing, moderator, "listing.restore", reason, reason or "restored", now)


def set_listing_featured(*, moderator, listing_id: int, featured: bool) -> Listing:
    """Show (or stop showing) a PUBLISHED listing on the home page. Audited."""
    with transaction.atomic():
        listing = _lock(listing_id)
        if featured and listing.state != State.PUBLISHED:
            raise ListingError(_("Only a published listing can be featured."), code="not_published")
        if listing.featured == featured:
            return listing
        before = _snapshot(listing)
        listing.featured = featured
        listing.save(update_fields=["featured", "updated_at"])
        record_audit(
            actor=moderator,
            action="listing.feature" if featured else "listing.unfeature",
            target=listing,
            before=before,
            after=_snapshot(listing),
        )
        return listing


def remove_listings_of_seller(*, seller_id: int, actor=None, reason: str) -> int:
    """Governance took the seller's right to sell away (ban): every listing of theirs
    that is on the market or waiting for it goes to REMOVED. Returns how many."""
    ids = list(
        Listing.objects.filter(
            seller_id=seller_id,
            state__in=[State.PENDING_REVIEW, State.PUBLISHED, State.RESERVED, State.DRAFT],
        )
        .order_by("pk")
        .values_list("pk", flat=True)
    )
    for pk in ids:
        remove_listing(actor=actor, listing_id=pk, reason=reason)
    return len(ids)
