"""Deal endings: released, refunded and split."""

from __future__ import annotations

import logging
from datetime import datetime

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_noop

from escrow import gateways, ledger
from escrow.exceptions import (
    IllegalTransition,
)
from escrow.models import (
    Deal,
    DealEvent,
    Payment,
    Payout,
)
from escrow.notifications import notify, notify_many
from escrow.services.outgoing import (
    enqueue_payouts,
    enqueue_payouts_of,
    enqueue_refunds,
    request_refund,
)
from escrow.services.standings import (
    median_release_seconds,
    record_standing,
    report_transaction_event,
)
from escrow.services.transitions import can_transition, lock_listing_then_deal, transition_deal
from listings import services as listing_services
from listings.models import Listing

logger = logging.getLogger(__name__)
State = Deal.State


def refund_undelivered(*, deal_id: int, now: datetime) -> Deal | None:
    """A FUNDED deal past its delivery deadline is refunded in full; the listing
    goes back on sale (nothing was shown) and the seller's standing records it.
    Returns the deal when this call refunded it, else None (see ``expire_deal``)."""
    with transaction.atomic():
        listing, deal = lock_listing_then_deal(deal_id, skip_locked=True)
        if deal is None or deal.state != State.FUNDED or deal.due_at > now:
            return None
        settle(
            [deal],
            to=State.REFUNDED,
            kind="refunded_undelivered",
            now=now,
            refund_reason="not delivered in time",
            notify_kinds=("refunded_buyer", "refunded_seller"),
        )
        report_transaction_event(
            user=deal.seller,
            rule_code="TRX-01",
            facts=gettext_noop(
                "Deal #%(deal)s: the credentials were not handed over by the delivery "
                "deadline; the buyer was refunded."
            ),
            facts_params={"deal": deal.pk},
            deal=deal,
            now=now,
        )
    enqueue_refunds(deal_id)
    return deal


def after_refund_decision(deal: Deal, *, now: datetime) -> None:
    """The listing follows a refunded deal: back on sale if the credentials were
    never shown, otherwise withdrawn (the seller must secure it and resubmit)."""
    if deal.credentials_first_viewed_at is None:
        listing_services.release_reservation(
            listing_id=deal.listing_id, reason=f"deal {deal.pk} refunded", now=now
        )
    else:
        listing_services.withdraw_after_exposure(
            listing_id=deal.listing_id, reason=f"deal {deal.pk} refunded after handover", now=now
        )


def release_deal(*, deal_id: int, now: datetime) -> Deal | None:
    """ACCEPTED past its protection window → RELEASED: the held money is booked to
    the seller (and the fee to the platform), a payout is created, the listing is
    SOLD and both standings are updated. Idempotent; safe with several workers.
    Returns the deal when this call released it, else None (see ``expire_deal``)."""
    with transaction.atomic():
        listing, deal = lock_listing_then_deal(deal_id, skip_locked=True)
        if deal is None or deal.state != State.ACCEPTED or deal.due_at > now:
            return None
        if deal.watched_since is not None:
            return None  # under moderator watch: released once the watch ends
        settle(
            [deal],
            to=State.RELEASED,
            kind="released",
            now=now,
            notify_kinds=("released_buyer", "released_seller"),
        )
    enqueue_payouts(deal_id)
    return deal


def release_due_deals(*, now: datetime, limit: int) -> list[int]:
    """The release job's step: release up to ``limit`` deals that are ACCEPTED past
    their protection window (not under watch), as ``release_deal`` would one by one,
    in one transaction and a fixed number of statements. Returns the released ids.

    Claiming: the due deals are locked with ``FOR UPDATE SKIP LOCKED`` in the
    claiming query itself, so workers running side by side take disjoint batches;
    then their listings, also ``SKIP LOCKED`` (a deal whose listing someone else
    holds is left for the next run). This takes the deal before the listing, against
    the usual lock order — safe because neither lock ever waits, so this
    transaction can never be part of a deadlock (docs/escrow.md).
    A deal whose listing is not RESERVED (an inconsistency) is left out of the
    batch and sent through ``release_deal`` afterwards, which raises as before."""
    with transaction.atomic():
        deals = list(
            Deal.objects.select_for_update(skip_locked=True)
            .filter(state=State.ACCEPTED, due_at__lte=now, watched_since__isnull=True)
            .order_by("due_at", "pk")[:limit]
        )
        if not deals:
            return []
        listings = dict(
            Listing.objects.select_for_update(skip_locked=True)
            .filter(pk__in={deal.listing_id for deal in deals})
            .values_list("pk", "state")
        )
        deals = [deal for deal in deals if deal.listing_id in listings]
        odd = [deal.pk for deal in deals if listings[deal.listing_id] != Listing.State.RESERVED]
        deals = [deal for deal in deals if listings[deal.listing_id] == Listing.State.RESERVED]
        settle(
            deals,
            to=State.RELEASED,
            kind="released",
            now=now,
            notify_kinds=("released_buyer", "released_seller"),
        )
        released = [deal.pk for deal in deals]
    if released:
        enqueue_payouts_of(released)
    for deal_id in odd:
        release_deal(deal_id=deal_id, now=now)
    return released


def _release_batch(
    deals: list[Deal], *, now: datetime, notify_kinds: tuple[str, str] | None
) -> None:
    """The writes of ``release_deal`` for locked, due, ACCEPTED deals whose listings
    are locked and RESERVED: each table once for the whole batch."""
    from accounts.services import record_completed_deals

    if not can_transition(State.ACCEPTED, State.RELEASED):  # the table is the one truth
        raise IllegalTransition()
    ids = [deal.pk for deal in deals]
    Deal.objects.filter(pk__in=ids).update(
        state=State.RELEASED,
        released_at=now,
        due_at=None,
        closed_at=now,
        updated_at=timezone.now(),
    )
    DealEvent.objects.bulk_create(
        DealEvent(
            deal=deal,
            from_state=State.ACCEPTED,
            to_state=State.RELEASED,
            kind="released",
            created_at=now,
        )
        for deal in deals
    )
    ledger.post_many([ledger.release_posting(deal) for deal in deals], now=now)
    Payout.objects.bulk_create(_payout(deal, deal.price, now) for deal in deals)
    listing_services.mark_sold_many(
        listing_ids=[deal.listing_id for deal in deals],
        reasons={deal.listing_id: f"deal {deal.pk} released" for deal in deals},
        now=now,
    )
    if notify_kinds is not None:
        buyer_kind, seller_kind = notify_kinds
        notify_many(
            [
                (deal, user_id, kind)
                for deal in deals
                for user_id, kind in ((deal.buyer_id, buyer_kind), (deal.seller_id, seller_kind))
            ],
            now=now,
        )
    record_completed_deals(
        deals=[(deal.seller_id, deal.buyer_id) for deal in deals],
        median_release_seconds=median_release_seconds({deal.seller_id for deal in deals}),
    )


# ------------------------------------------------------------ the one writer

ENDINGS = frozenset({State.RELEASED, State.REFUNDED, State.SPLIT})


def settle(
    deals: list[Deal],
    *,
    to: str,
    kind: str,
    now: datetime,
    actor=None,
    reason: str = "",
    seller_amount: int | None = None,
    buyer_amount: int | None = None,
    refund_reason: str = "",
    dispute_id: int | None = None,
    notify_kinds: tuple[str, str] | None = None,
    disputed: bool = False,
) -> None:
    """End ``deals`` as RELEASED, REFUNDED or SPLIT: the only writer of those
    endings. Checks the transition table (``IllegalTransition``, nothing written),
    writes each deal's event, the ledger posting (release, split), the payout
    record (release: the price; split: ``seller_amount``), the refund record
    (refund: ``buyer_amount``, by default what is left unrefunded; split:
    ``buyer_amount``), the listing's follow-up (sold; or back on sale / withdrawn
    after exposure), both standings and, with ``notify_kinds`` (buyer's, seller's),
    the notifications. Many released deals are written set-based, each table once.

    Precondition: the caller holds, in its transaction, the row locks of the deals'
    listings, then of the deals (docs/escrow.md, lock order). The provider calls run
    after commit: the caller enqueues ``enqueue_payouts`` / ``enqueue_refunds``."""
    if to not in ENDINGS:
        raise IllegalTransition()
    if not deals:
        return
    logger.info("settle %s deal(s) -> %s (%s)", len(deals), to, kind)
    if to == State.RELEASED and len(deals) > 1:
        if actor is not None or reason or not all(d.state == State.ACCEPTED for d in deals):
            raise IllegalTransition()
        _release_batch(deals, now=now, notify_kinds=notify_kinds)
        return
    for deal in deals:
        _settle_one(
            deal,
            to=to,
            kind=kind,
            now=now,
            actor=actor,
            reason=reason,
            seller_amount=seller_amount,
            buyer_amount=buyer_amount,
            refund_reason=refund_reason,
            dispute_id=dispute_id,
            notify_kinds=notify_kinds,
            disputed=disputed,
        )


def _settle_one(
    deal: Deal,
    *,
    to,
    kind,
    now,
    actor,
    reason,
    seller_amount,
    buyer_amount,
    refund_reason,
    dispute_id,
    notify_kinds,
    disputed,
) -> None:
    released = to == State.RELEASED
    if released:
        deal.released_at = now
    transition_deal(
        deal=deal,
        to=to,
        kind=kind,
        now=now,
        actor=actor,
        reason=reason,
        update_fields=("released_at",) if released else (),
    )
    if released:
        ledger.post_release(deal=deal, now=now)
        _payout(deal, deal.price, now).save()
        listing_services.mark_sold(
            listing_id=deal.listing_id,
            reason=f"deal {deal.pk} released" + (" by a moderator" if actor else ""),
            now=now,
        )
    else:
        payment = Payment.objects.select_for_update().get(deal=deal)
        if to == State.SPLIT:
            ledger.post_split(
                deal=deal, seller_amount=seller_amount, dispute_id=dispute_id, now=now
            )
            _payout(deal, seller_amount, now).save()
        if buyer_amount is None or buyer_amount > 0:
            request_refund(
                deal=deal,
                payment=payment,
                reason=refund_reason or reason,
                now=now,
                amount=buyer_amount,
            )
        after_refund_decision(deal, now=now)
    if notify_kinds is not None:
        notify(deal=deal, user=deal.buyer, kind=notify_kinds[0], now=now)
        notify(deal=deal, user=deal.seller, kind=notify_kinds[1], now=now)
    record_standing(deal, completed=released, disputed=disputed)


def _payout(deal: Deal, amount: int, now: datetime) -> Payout:
    """The payout record of a deal's ending (one per deal: ``payout-<deal>``), due
    now; executed after commit by ``outgoing.execute_payout``."""
    return Payout(
        deal=deal,
        seller_id=deal.seller_id,
        amount=amount,
        currency=deal.currency,
        provider=gateways.get_gateway().name,
        idempotency_key=f"payout-{deal.pk}",
        next_attempt_at=now,
        created_at=now,
    )
