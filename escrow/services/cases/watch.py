"""Deals under moderator watch: a removed listing or a measure on the seller."""

from __future__ import annotations

import logging
from datetime import datetime

from django.db import transaction
from django.db.models import Q

from accounts.models import User
from accounts.permissions import is_moderator
from accounts.services import record_audit
from escrow.exceptions import (
    IllegalTransition,
    NotAllowed,
    NotWatched,
    OwnDeal,
    ReasonRequired,
)
from escrow.models import (
    Deal,
    Payout,
)
from escrow.notifications import notify
from escrow.services.cases.common import party_role
from escrow.services.outgoing import enqueue_payouts, enqueue_refunds
from escrow.services.payment import close_unpaid
from escrow.services.settlement import settle
from escrow.services.transitions import lock_listing_then_deal, note

logger = logging.getLogger(__name__)
State = Deal.State

# -------------------------------------------------------------- moderator watch


WATCH_STATES = frozenset(
    {State.FUNDED, State.DELIVERED, State.ACCEPTED, State.DISPUTED, State.FROZEN}
)
REFUNDABLE_ON_WATCH = frozenset({State.FUNDED, State.DELIVERED, State.ACCEPTED})


def watch_deal(*, deal_id: int, reason: str, now: datetime) -> Deal | None:
    """Put a funded deal under moderator watch (its listing was removed, or its
    seller banned or frozen): the buyer is offered a refund and the seller's
    payout for it is held until a moderator ends the watch. Idempotent: returns
    the deal when this call put it under watch, None when there was nothing to do."""
    with transaction.atomic():
        _listing, deal = lock_listing_then_deal(deal_id)
        if deal is None or deal.state not in WATCH_STATES or deal.watched_since is not None:
            return None
        deal.watched_since = now
        deal.watch_reason = reason[:200]
        deal.save(update_fields=["watched_since", "watch_reason", "updated_at"])
        note(deal=deal, kind="watched", now=now, reason=reason[:200])
        notify(deal=deal, user=deal.buyer, kind="watched_buyer", now=now)
        notify(deal=deal, user=deal.seller, kind="watched_seller", now=now)
    return deal


def protect_deals(
    *, now: datetime, reason: str, listing_id: int | None = None, user_id: int | None = None
) -> tuple[int, int]:
    """A listing was taken down (``listing_id``) or a user banned or frozen
    (``user_id``): unpaid deals on it (as buyer or seller) are cancelled; funded
    deals where the user sells are put under watch. Returns (cancelled, watched)."""

    deals = Deal.objects.all()
    if listing_id is not None:
        unpaid = deals.filter(listing_id=listing_id)
        funded = deals.filter(listing_id=listing_id)
        kind = "listing_removed"
    else:
        unpaid = deals.filter(Q(seller_id=user_id) | Q(buyer_id=user_id))
        funded = deals.filter(seller_id=user_id)
        kind = "account_measure"
    cancelled = watched = 0
    for deal_id in (
        unpaid.filter(state=State.PENDING_PAYMENT).order_by("pk").values_list("pk", flat=True)
    ):
        if close_unpaid(deal_id=deal_id, now=now, kind=kind) is not None:
            cancelled += 1
    for deal_id in (
        funded.filter(state__in=WATCH_STATES, watched_since__isnull=True)
        .order_by("pk")
        .values_list("pk", flat=True)
    ):
        if watch_deal(deal_id=deal_id, reason=reason, now=now) is not None:
            watched += 1
    return cancelled, watched


def refund_watched_deal(*, deal_id: int, actor: User, now: datetime, reason: str = "") -> Deal:
    """Refund a watched deal in full at the buyer's request or a moderator's
    (``escrow.watch_deal``). A deal in a dispute or frozen by a chargeback goes
    through its case instead."""
    moderator = _role_on(deal_id, actor) is None
    if moderator and not (is_moderator(actor) and actor.has_perm("escrow.watch_deal")):
        raise NotAllowed()
    with transaction.atomic():
        listing, deal = lock_listing_then_deal(deal_id)
        role = party_role(deal, actor)
        if moderator and role is not None:
            raise OwnDeal()
        if not moderator and role != "buyer":
            raise NotAllowed()
        if deal.watched_since is None:
            raise NotWatched()
        if deal.state not in REFUNDABLE_ON_WATCH:
            raise IllegalTransition()
        why = reason.strip() or deal.watch_reason
        settle(
            [deal],
            to=State.REFUNDED,
            kind="refunded_on_watch",
            now=now,
            actor=actor,
            reason=why,
            refund_reason="refund of a watched deal",
            notify_kinds=("refunded_on_watch_buyer", "refunded_on_watch_seller"),
        )
        if moderator:
            record_audit(
                actor=actor,
                action="escrow.watched_deal_refunded",
                target=deal,
                reason=why,
                before={"state": "watched"},
                after={"state": deal.state},
            )
    enqueue_refunds(deal_id)
    return deal


def _role_on(deal_id: int, user) -> str | None:
    deal = Deal.objects.filter(pk=deal_id).only("buyer_id", "seller_id").first()
    if deal is None:
        raise NotAllowed()
    return party_role(deal, user)


def end_deal_watch(*, deal_id: int, moderator: User, reason: str, now: datetime) -> Deal:
    """A moderator ends the watch: the deal continues normally and a held payout
    becomes due. Audited."""
    if not (is_moderator(moderator) and moderator.has_perm("escrow.watch_deal")):
        raise NotAllowed()
    reason = (reason or "").strip()
    if not reason:
        raise ReasonRequired()
    with transaction.atomic():
        _listing, deal = lock_listing_then_deal(deal_id)
        if moderator.pk in (deal.buyer_id, deal.seller_id):
            raise OwnDeal()
        if deal.watched_since is None:
            raise NotWatched()
        deal.watched_since = None
        deal.save(update_fields=["watched_since", "updated_at"])
        note(deal=deal, kind="watch_ended", now=now, actor=moderator, reason=reason)
        Payout.objects.filter(deal=deal, status=Payout.Status.HELD).update(next_attempt_at=now)
        record_audit(actor=moderator, action="escrow.watch_ended", target=deal, reason=reason)
    enqueue_payouts(deal_id)
    return deal
