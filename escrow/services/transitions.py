"""The deal state machine: the one transition writer, timeline notes and the
deal locks (lock order: listing, then deal, each by primary key)."""

from __future__ import annotations

import logging
from datetime import datetime

from escrow.exceptions import (
    IllegalTransition,
)
from escrow.models import (
    Deal,
    DealEvent,
)
from listings.models import Listing

logger = logging.getLogger(__name__)
State = Deal.State

# ---------------------------------------------------------------- transitions


def can_transition(from_state: str, to_state: str) -> bool:
    return to_state in Deal.TRANSITIONS.get(from_state, frozenset())


def transition_deal(
    *,
    deal: Deal,
    to: str,
    kind: str,
    now: datetime,
    actor=None,
    reason: str = "",
    due_at: datetime | None = None,
    update_fields: tuple[str, ...] = (),
) -> DealEvent:
    """Move ``deal`` to ``to`` and record the event (with the new step's deadline).

    Precondition: inside ``transaction.atomic`` holding the deal's row lock, and
    ``deal`` is the locked row. Raises ``IllegalTransition`` (nothing written) when
    the table does not allow the move.
    """
    from_state = deal.state
    if not can_transition(from_state, to):
        raise IllegalTransition()
    deal.state = to
    deal.due_at = due_at
    if to in Deal.FINAL_STATES:
        deal.closed_at = now
    deal.save(update_fields=["state", "due_at", "closed_at", "updated_at", *update_fields])
    return DealEvent.objects.create(
        deal=deal,
        from_state=from_state,
        to_state=to,
        kind=kind,
        actor=actor if actor is not None and getattr(actor, "is_authenticated", False) else None,
        reason=reason,
        due_at=due_at,
        created_at=now,
    )


def note(*, deal: Deal, kind: str, now: datetime, actor=None, reason: str = "") -> DealEvent:
    """A timeline step that moves no state (e.g. an extension)."""
    return DealEvent.objects.create(
        deal=deal,
        from_state=deal.state,
        to_state=deal.state,
        kind=kind,
        actor=actor,
        reason=reason,
        due_at=deal.due_at,
        created_at=now,
    )


def lock_deal(deal_id: int, *, skip_locked: bool = False) -> Deal | None:
    qs = Deal.objects.select_for_update(skip_locked=skip_locked).filter(pk=deal_id)
    return qs.first()


def lock_listing_then_deal(deal_id: int, *, skip_locked: bool = False):
    """Lock order: listing, then deal. Returns (listing, deal) or (None, None) when
    ``skip_locked`` and another worker holds either row."""
    listing_id = Deal.objects.filter(pk=deal_id).values_list("listing_id", flat=True).first()
    if listing_id is None:
        return None, None
    listing = (
        Listing.objects.select_for_update(skip_locked=skip_locked).filter(pk=listing_id).first()
    )
    if listing is None:
        return None, None
    deal = lock_deal(deal_id, skip_locked=skip_locked)
    return listing, deal
