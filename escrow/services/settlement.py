"""Deal endings: released, refunded and split."""

from __future__ import annotations

import logging
from datetime import datetime

from django.db import connection, transaction
from django.utils import timezone

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
from escrow.notifications import notify, notify_parties
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
from listings import fragments
from listings import services as listing_services
from listings.models import Listing
from marketplace.batch import insert_select

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
        transition_deal(deal=deal, to=State.REFUNDED, kind="refunded_undelivered", now=now)
        after_refund_decision(deal, listing, now=now)
        payment = Payment.objects.select_for_update().get(deal=deal)
        request_refund(deal=deal, payment=payment, reason="not delivered in time", now=now)
        notify(deal=deal, user=deal.buyer, kind="refunded_buyer", now=now)
        notify(deal=deal, user=deal.seller, kind="refunded_seller", now=now)
        record_standing(deal, completed=False)
        report_transaction_event(
            user=deal.seller,
            rule_code="TRX-01",
            facts=f"Deal #{deal.pk}: the credentials were not handed over by the delivery "
            f"deadline; the buyer was refunded.",
            deal=deal,
            now=now,
        )
    enqueue_refunds(deal_id)
    return deal


def after_refund_decision(deal: Deal, listing: Listing, *, now: datetime) -> None:
    """The listing follows a refunded deal: back on sale if the credentials were
    never shown, otherwise withdrawn (the seller must secure it and resubmit)."""
    if deal.credentials_first_viewed_at is None:
        listing_services.release_reservation(
            listing_id=listing.pk, reason=f"deal {deal.pk} refunded", now=now
        )
    else:
        listing_services.withdraw_after_exposure(
            listing_id=listing.pk, reason=f"deal {deal.pk} refunded after handover", now=now
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
        deal.released_at = now
        transition_deal(
            deal=deal,
            to=State.RELEASED,
            kind="released",
            now=now,
            update_fields=("released_at",),
        )
        ledger.post_release(deal=deal, now=now)
        gateway = gateways.get_gateway()
        Payout.objects.create(
            deal=deal,
            seller_id=deal.seller_id,
            amount=deal.price,
            currency=deal.currency,
            provider=gateway.name,
            idempotency_key=f"payout-{deal.pk}",
            next_attempt_at=now,
            created_at=now,
        )
        listing_services.mark_sold(
            listing_id=listing.pk, reason=f"deal {deal.pk} released", now=now
        )
        notify(deal=deal, user=deal.buyer, kind="released_buyer", now=now)
        notify(deal=deal, user=deal.seller, kind="released_seller", now=now)
        record_standing(deal, completed=True)
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
        if deals:
            _release_batch(deals, now=now)
        released = [deal.pk for deal in deals]
    if released:
        enqueue_payouts_of(released)
    for deal_id in odd:
        release_deal(deal_id=deal_id, now=now)
    return released


def _release_batch(deals: list[Deal], *, now: datetime) -> None:
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
    # Events and notifications derived by the database from the deals' rows: no
    # object per row (docs/performance.md item 32).
    q = connection.ops.quote_name
    marks = ", ".join(["%s"] * len(ids))
    insert_select(
        DealEvent,
        source=f"{q(Deal._meta.db_table)} WHERE {q('id')} IN ({marks})",
        params=ids,
        columns={"deal_id": q("id")},
        values={
            "from_state": State.ACCEPTED,
            "to_state": State.RELEASED,
            "kind": "released",
            "created_at": now,
        },
        order_by=q("id"),
    )
    ledger.post_many([ledger.release_posting(deal) for deal in deals], now=now)
    provider = gateways.get_gateway().name
    Payout.objects.bulk_create(
        Payout(
            deal=deal,
            seller_id=deal.seller_id,
            amount=deal.price,
            currency=deal.currency,
            provider=provider,
            idempotency_key=f"payout-{deal.pk}",
            next_attempt_at=now,
            created_at=now,
        )
        for deal in deals
    )
    listing_services.mark_sold_many(
        listing_ids=[deal.listing_id for deal in deals],
        reasons={deal.listing_id: f"deal {deal.pk} released" for deal in deals},
        now=now,
    )
    notify_parties(ids, buyer_kind="released_buyer", seller_kind="released_seller", now=now)
    record_completed_deals(
        deals=[(deal.seller_id, deal.buyer_id) for deal in deals],
        median_release_seconds=median_release_seconds({deal.seller_id for deal in deals}),
    )
    # Standings written in bulk send no signal. The pages that show them are every
    # listing page of these sellers; replacing each one's version cost more than the
    # rest of the batch (a query and a write of thousands of keys per 500 deals,
    # bench run 2026-11-25-5), so a batch makes every cached page stale instead —
    # once per batch, which the beat task runs every few minutes.
    fragments.bump()
