"""Checkout: open a deal on a listing, acknowledge the transfer policy, prepare the
payment at the provider."""

from __future__ import annotations

import logging
from datetime import datetime

from django.conf import settings
from django.db import transaction

from accounts.models import User
from escrow import gateways
from escrow.exceptions import (
    CannotBuyOwnListing,
    IllegalTransition,
    ListingUnavailable,
    NotAllowed,
    TooManyUnpaidDeals,
)
from escrow.models import (
    Deal,
    DealEvent,
    Payment,
)
from escrow.notifications import notify_many
from escrow.services.transitions import lock_deal
from governance.policy import can
from kernel.money import quote
from listings import services as listing_services
from listings.exceptions import ListingNotAvailable
from listings.models import Listing

logger = logging.getLogger(__name__)
State = Deal.State

# ------------------------------------------------------------------- checkout


def _lock_buyer_and_read_unpaid(buyer_id: int, listing_id: int) -> tuple[bool, int | None]:
    """Lock the buyer's user row (in the caller's transaction), then read their
    unpaid deals: ``(at the cap, the id of their unpaid deal for listing_id or
    None)`` — whether they already hold ``MAX_UNPAID_DEALS`` unpaid deals, and a
    double click's deal.

    The lock and the read are separate statements, on purpose: under READ
    COMMITTED each statement sees the data as it was when it *started*, so the
    deals must be read by a statement that starts after the lock is held — then it
    sees every deal a checkout that held the lock before us committed. Read in the
    locking statement itself (a join), a checkout that waited for the lock would
    read the deals from before it waited (tests/escrow/test_concurrency.py).

    One plain read of at most ``MAX_UNPAID_DEALS`` rows (the ``(buyer_id, state)``
    index) answers both in the usual case: the cap needs no more rows than that,
    and a buyer under the cap has all their unpaid deals among them. Only a buyer
    at the cap whose deal for this listing is not among the rows read (they hold
    more than the cap, e.g. after the cap was lowered) costs a second read, through
    the listing's index."""
    list(User.objects.select_for_update().filter(pk=buyer_id).values_list("pk", flat=True))
    cap = settings.MAX_UNPAID_DEALS
    unpaid = Deal.objects.filter(buyer_id=buyer_id, state=State.PENDING_PAYMENT)
    rows = list(unpaid.order_by().values_list("pk", "listing_id")[:cap]) if cap > 0 else []
    same_listing = next((pk for pk, of_listing in rows if of_listing == listing_id), None)
    at_cap = len(rows) >= cap
    if same_listing is None and at_cap:
        same_listing = unpaid.filter(listing_id=listing_id).values_list("pk", flat=True).first()
    return at_cap, same_listing


def open_deal(*, buyer: User, listing_id: int, now: datetime) -> Deal:
    """Reserve the listing and open a deal awaiting payment.

    Refuses (nothing written) when the permission gate says no, the buyer is the
    seller, the listing is not on sale, or the buyer already holds
    ``MAX_UNPAID_DEALS`` unpaid deals. If the buyer already has an open unpaid
    deal for this listing it is returned (a double click opens one deal).
    Lock order: the buyer's user row (serialises one buyer's checkouts), the listing.
    """
    if not can(buyer, "buy"):
        raise NotAllowed()
    gateway = gateways.get_gateway()
    with transaction.atomic():
        # The buyer's row locked, then their unpaid deals read: the cap, and a
        # double click's deal.
        at_cap, same_listing = _lock_buyer_and_read_unpaid(buyer.pk, listing_id)
        # Locked with only what the checkout reads (not the search vector, the
        # handle or the texts).
        listing = listing_services.lock_listing_for_sale(listing_id)
        if listing is None:
            raise ListingUnavailable()
        if listing.seller_id == buyer.pk:
            raise CannotBuyOwnListing()
        if same_listing is not None:
            return Deal.objects.get(pk=same_listing)
        if listing.state != Listing.State.PUBLISHED:
            raise ListingUnavailable()
        if at_cap:
            raise TooManyUnpaidDeals()
        q = quote(listing.price, listing.currency)
        try:
            listing_services.reserve_locked_listing(
                listing, actor=buyer, reason="deal opened", now=now
            )
        except ListingNotAvailable:
            raise ListingUnavailable()
        deal = Deal.objects.create(
            listing=listing,
            buyer=buyer,
            seller_id=listing.seller_id,
            state=State.PENDING_PAYMENT,
            price=q.price,
            platform_fee=q.fee,
            total=q.total,
            currency=q.currency,
            created_at=now,
            due_at=now + settings.PAYMENT_WINDOW,
        )
        DealEvent.objects.create(
            deal=deal,
            from_state="",
            to_state=State.PENDING_PAYMENT,
            kind="opened",
            actor=buyer,
            due_at=deal.due_at,
            created_at=now,
        )
        Payment.objects.create(
            deal=deal,
            provider=gateway.name,
            idempotency_key=f"payment-{deal.pk}",
            amount=deal.total,
            currency=deal.currency,
            created_at=now,
        )
        notify_many(
            [(deal, buyer.pk, "opened_buyer"), (deal, deal.seller_id, "opened_seller")],
            now=now,
        )
    return deal


def acknowledge_transfer_policy(*, deal_id: int, buyer: User, note: str, now: datetime) -> Deal:
    """Record that the buyer read the platform's transfer-policy note (as shown)."""
    with transaction.atomic():
        deal = lock_deal(deal_id)
        if deal is None or deal.buyer_id != buyer.pk:
            raise NotAllowed()
        if deal.state != State.PENDING_PAYMENT:
            raise IllegalTransition()
        if deal.policy_acknowledged_at is None:
            deal.policy_acknowledged_at = now
            deal.policy_note = note
            deal.save(update_fields=["policy_acknowledged_at", "policy_note", "updated_at"])
    return deal


def prepare_payment(*, deal_id: int, now: datetime) -> Payment:
    """Make sure the provider has a payment intent for the deal; returns the payment.

    The provider is called outside any lock with the key ``payment-<deal>``; a
    replay returns the same intent, so two browser tabs get one intent.
    """
    payment = Payment.objects.select_related("deal").get(deal_id=deal_id)
    if payment.provider_ref:
        return payment
    gateway = gateways.get_gateway()
    result = gateway.create_payment(
        amount=payment.amount,
        currency=payment.currency,
        idempotency_key=payment.idempotency_key,
        metadata={"deal_id": str(deal_id), "payment_id": str(payment.pk)},
        now=now,
    )
    with transaction.atomic():
        payment = Payment.objects.select_for_update().get(pk=payment.pk)
        if not payment.provider_ref:
            payment.provider_ref = result.ref
            payment.save(update_fields=["provider_ref"])
    return payment
