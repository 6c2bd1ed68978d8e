"""Every write that matters in escrow: one keyword-only function per use case.

Rules every function here keeps (see docs/escrow.md):

- **Lock order**: the listing row, then the deal row, then the deal's payment /
  refund / payout rows — always in that order, each by primary key. Jobs take the
  locks with ``SKIP LOCKED`` so several workers share a batch without waiting.
- **State** changes only through ``transition_deal`` (checks ``Deal.TRANSITIONS``,
  writes the ``DealEvent`` in the same transaction).
- **Never call the provider while holding a lock**: record the intent (status
  ``requested``) and commit; call the provider; re-lock and record the outcome,
  including failure.
- **Idempotency**: provider calls carry keys derived from our ids
  (``payment-<deal>``, ``refund-<deal>-<n>``, ``payout-<deal>``); ledger postings are
  unique per business event; a retry of a payout/refund whose earlier attempt may
  have reached the provider looks it up by metadata before creating it again.
- Every function takes an explicit ``now``.
"""

from __future__ import annotations

import json
import logging
import math
from datetime import datetime, timedelta

from django.conf import settings
from django.db import connection, transaction
from django.db.models import Aggregate, F, FloatField, Q
from django.utils import timezone

from accounts.models import User
from accounts.services import record_audit
from governance.policy import can
from kernel.batch import WriteBatch, insert_select, next_pk_sql
from listings import fragments
from listings import services as listing_services
from listings.exceptions import ListingNotAvailable
from listings.models import Listing

from . import ledger
from .checklists import checklist_for
from .exceptions import (
    AcknowledgementRequired,
    AlreadyPaid,
    CannotBuyOwnListing,
    CardError,
    EscrowError,
    IllegalTransition,
    InspectionAlreadyExtended,
    LatePayment,
    ListingUnavailable,
    NotAllowed,
    PaidBeforeCancel,
    PaymentCancelled,
    PaymentFailed,
    PaymentInProgress,
    PaymentMismatch,
    PaymentWindowClosed,
    ProviderUnavailable,
    TooManyUnpaidDeals,
)
from .gateways import get_gateway
from .gateways.base import CANCELED, REQUIRES_ACTION, SUCCEEDED, GatewayError, PaymentResult
from .models import (
    CredentialView,
    Deal,
    DealEvent,
    Handover,
    Payment,
    Payout,
    Refund,
    SellerPayoutAccount,
)
from .notifications import alert_operators, notify, notify_many, notify_parties

logger = logging.getLogger(__name__)
State = Deal.State

#: A payout/refund "requested" longer than this is treated as a crashed attempt.
IN_FLIGHT_TIMEOUT = timedelta(minutes=10)
MAX_ATTEMPTS = 8
#: Reminders go out this long before a deadline (a fraction for short windows).
REMINDER_LEAD = {
    State.PENDING_PAYMENT: timedelta(minutes=10),
    State.FUNDED: timedelta(hours=24),
    State.DELIVERED: timedelta(hours=24),
    State.ACCEPTED: timedelta(hours=24),
}
REMINDER_TARGET = {
    State.PENDING_PAYMENT: "buyer",
    State.FUNDED: "seller",
    State.DELIVERED: "buyer",
    State.ACCEPTED: "seller",
}


def backoff(attempts: int) -> timedelta:
    """1, 2, 4 … minutes, capped at 6 hours."""
    return timedelta(minutes=min(2 ** max(attempts - 1, 0), 360))


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


def _note(*, deal: Deal, kind: str, now: datetime, actor=None, reason: str = "") -> DealEvent:
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


def _lock_deal(deal_id: int, *, skip_locked: bool = False) -> Deal | None:
    qs = Deal.objects.select_for_update(skip_locked=skip_locked).filter(pk=deal_id)
    return qs.first()


def _lock_listing_then_deal(deal_id: int, *, skip_locked: bool = False):
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
    deal = _lock_deal(deal_id, skip_locked=skip_locked)
    return listing, deal


# ------------------------------------------------------------------- checkout


def _lock_buyer_and_count_unpaid(
    buyer_id: int, listing_id: int
) -> tuple[int, int | None, int | None]:
    """Lock the buyer's user row (in the caller's transaction), then count their
    unpaid deals (up to ``MAX_UNPAID_DEALS``: the cap is all the count is for) and
    find the one for ``listing_id`` if any (a double click's):
    ``(count, deal id or None, next deal id)``. The next deal id is drawn from the deals' sequence in the same
    statement (PostgreSQL; None elsewhere), so that the checkout's writes can go
    to the database in one round trip (``kernel.batch``); unused, it is a gap.

    Two statements, on purpose: under READ COMMITTED each statement sees the data
    as it was when it *started*, so the deals must be read by a statement that
    starts after the lock is held — then it sees every deal a checkout that held
    the lock before us committed. Read in the locking statement itself (a join), a
    checkout that waited for the lock would read the deals from before it waited
    (tests/escrow/test_concurrency.py). Raw: on the checkout path the ORM's
    compiling cost more than the answers."""
    q = connection.ops.quote_name
    if connection.features.has_select_for_update:
        lock = f"SELECT 1 FROM {q(User._meta.db_table)} WHERE {q('id')} = %s FOR UPDATE"  # noqa: S608  # nosec B608
    else:  # SQLite: the transaction itself serialises writers
        lock = f"SELECT 1 FROM {q(User._meta.db_table)} WHERE {q('id')} = %s"  # noqa: S608  # nosec B608
    deals = q(Deal._meta.db_table)
    next_id = next_pk_sql(Deal) or "NULL"
    # The count stops at the cap, and the double click's deal is found through the
    # listing's index: the statement reads a few index entries however many deals
    # the buyer has (it read every unpaid deal's row before; a bench buyer held 80).
    unpaid = (
        f"SELECT (SELECT COUNT(*) FROM (SELECT 1 FROM {deals} "  # noqa: S608  # nosec B608
        f"WHERE {q('buyer_id')} = %s AND {q('state')} = %s LIMIT %s) AS unpaid), "
        f"(SELECT MIN({q('id')}) FROM {deals} WHERE {q('listing_id')} = %s "
        f"AND {q('buyer_id')} = %s AND {q('state')} = %s), {next_id}"
    )
    pending = State.PENDING_PAYMENT.value
    with connection.cursor() as cursor:
        cursor.execute(lock, [int(buyer_id)])
        cursor.execute(
            unpaid,
            [
                int(buyer_id),
                pending,
                int(settings.MAX_UNPAID_DEALS),
                int(listing_id),
                int(buyer_id),
                pending,
            ],
        )
        count, same_listing, next_deal_id = cursor.fetchone()
    return count, same_listing, next_deal_id


def open_deal(*, buyer: User, listing_id: int, now: datetime) -> Deal:
    """Reserve the listing and open a deal awaiting payment.

    Refuses (nothing written) when the permission gate says no, the buyer is the
    seller, the listing is not on sale, or the buyer already holds
    ``MAX_UNPAID_DEALS`` unpaid deals. If the buyer already has an open unpaid
    deal for this listing it is returned (a double click opens one deal).
    Lock order: the buyer's user row (serialises one buyer's checkouts), the listing.
    The six writes (the listing's state and event, the deal, its event, its
    payment, the notifications) go to the database in one round trip.
    """
    if not can(buyer, "buy"):
        raise NotAllowed()
    gateway = get_gateway()
    with transaction.atomic():
        # The buyer's row locked, then their unpaid deals counted: the cap, and a
        # double click's deal.
        unpaid, same_listing, deal_id = _lock_buyer_and_count_unpaid(buyer.pk, listing_id)
        listing = listing_services.lock_listing_for_sale(listing_id)
        if listing is None:
            raise ListingUnavailable()
        if listing.seller_id == buyer.pk:
            raise CannotBuyOwnListing()
        if same_listing is not None:
            return Deal.objects.get(pk=same_listing)
        if listing.state != Listing.State.PUBLISHED:
            raise ListingUnavailable()
        if unpaid >= settings.MAX_UNPAID_DEALS:
            raise TooManyUnpaidDeals()
        from kernel.money import quote

        q = quote(listing.price, listing.currency)
        with WriteBatch() as batch:
            try:
                listing_services.reserve_locked_listing(
                    listing, actor=buyer, reason="deal opened", now=now
                )
            except ListingNotAvailable:
                raise ListingUnavailable()
            deal = batch.insert(
                Deal(
                    pk=deal_id,  # None off PostgreSQL: the insert, made at once, sets it
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
            )
            batch.insert(
                DealEvent(
                    deal=deal,
                    from_state="",
                    to_state=State.PENDING_PAYMENT,
                    kind="opened",
                    actor=buyer,
                    due_at=deal.due_at,
                    created_at=now,
                )
            )
            batch.insert(
                Payment(
                    deal=deal,
                    provider=gateway.name,
                    idempotency_key=f"payment-{deal.pk}",
                    amount=deal.total,
                    currency=deal.currency,
                    created_at=now,
                )
            )
            notify_many(
                [(deal, buyer.pk, "opened_buyer"), (deal, deal.seller_id, "opened_seller")],
                now=now,
                batch=batch,
            )
    return deal


def acknowledge_transfer_policy(*, deal_id: int, buyer: User, note: str, now: datetime) -> Deal:
    """Record that the buyer read the platform's transfer-policy note (as shown)."""
    with transaction.atomic():
        deal = _lock_deal(deal_id)
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
    gateway = get_gateway()
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


def _check_payable(deal: Deal, buyer: User, now: datetime) -> None:
    if deal.buyer_id != buyer.pk:
        raise NotAllowed()
    if deal.state in Deal.FUNDED_STATES or deal.state == State.RELEASED:
        raise AlreadyPaid()
    if deal.state == State.CANCELLED and deal.events.filter(kind="cancelled").exists():
        raise PaymentCancelled()  # the buyer's own cancel, not a lapsed window
    if deal.state != State.PENDING_PAYMENT or (deal.due_at and deal.due_at <= now):
        raise PaymentWindowClosed()
    if deal.policy_acknowledged_at is None:
        raise AcknowledgementRequired()


def _start_payment_attempt(*, deal_id: int, buyer: User, now: datetime) -> None:
    """Set the deal's payment-attempt marker under its lock, before the card goes
    to the provider: from now until the answer is recorded a cancel is refused
    (``PaymentInProgress``), so a payment and a cancel never race at the provider.
    Refuses when the deal stopped awaiting payment meanwhile."""
    with transaction.atomic():
        deal = _lock_deal(deal_id)
        _check_payable(deal, buyer, now)
        deal.payment_attempt_at = now
        deal.save(update_fields=["payment_attempt_at", "updated_at"])


def _end_payment_attempt(deal_id: int) -> None:
    Deal.objects.filter(pk=deal_id).exclude(payment_attempt_at=None).update(payment_attempt_at=None)


def payment_attempt_in_flight(deal: Deal, now: datetime) -> bool:
    return bool(
        deal.payment_attempt_at and deal.payment_attempt_at > now - settings.PAYMENT_ATTEMPT_TIMEOUT
    )


def _after_confirm(*, deal_id: int, result: PaymentResult, now: datetime) -> Deal:
    """Record the provider's answer to a confirm and tell the buyer the truth:
    ``CardError`` (declined, with the reason), ``PaymentCancelled`` (the deal was
    cancelled first: no charge), ``LatePayment`` (charged after a cancel: refunded)."""
    try:
        deal = record_payment_result(deal_id=deal_id, result=result, now=now, raise_on_decline=True)
    finally:
        _end_payment_attempt(deal_id)
    if result.status == CANCELED:
        raise PaymentCancelled()
    if result.status == SUCCEEDED and deal.state not in Deal.FUNDED_STATES:
        raise LatePayment()
    return deal


def pay_deal(*, deal_id: int, buyer: User, card: dict, now: datetime) -> Deal:
    """Pay with the on-site card form (simulated gateway).

    Returns the deal (FUNDED, or still PENDING_PAYMENT when the card asks for an
    authentication step). Raises ``CardError`` (declined, no money moved, with the
    field to show it beside), ``PaymentWindowClosed`` (the deal is cancelled),
    ``AlreadyPaid``, ``PaymentCancelled`` / ``LatePayment`` when a cancel came
    first. The deal's payment-attempt marker is held from before the provider
    call until its answer is recorded.
    """
    deal = Deal.objects.get(pk=deal_id)
    if deal.state == State.PENDING_PAYMENT and deal.due_at and deal.due_at <= now:
        deal = expire_deal(deal_id=deal_id, now=now) or deal
        if deal.is_funded:
            raise AlreadyPaid()
        raise PaymentWindowClosed()
    _check_payable(deal, buyer, now)
    try:
        payment = prepare_payment(deal_id=deal_id, now=now)
    except GatewayError as exc:  # no intent, so no charge
        logger.warning("payment intent for deal %s not created: %s", deal_id, exc)
        raise PaymentFailed()
    _start_payment_attempt(deal_id=deal_id, buyer=buyer, now=now)
    try:
        result = get_gateway().confirm_payment(ref=payment.provider_ref, card=card, now=now)
    except GatewayError as exc:
        _end_payment_attempt(deal_id)
        logger.warning("payment confirm failed for deal %s: %s", deal_id, exc)
        raise PaymentFailed()
    return _after_confirm(deal_id=deal_id, result=result, now=now)


def complete_authentication(*, deal_id: int, buyer: User, success: bool, now: datetime) -> Deal:
    """The simulated 3-D Secure step of a card that required authentication."""
    deal = Deal.objects.get(pk=deal_id)
    if deal.buyer_id != buyer.pk:
        raise NotAllowed()
    payment = deal.payment
    _start_payment_attempt(deal_id=deal_id, buyer=buyer, now=now)
    try:
        result = get_gateway().complete_authentication(
            ref=payment.provider_ref, success=success, now=now
        )
    except GatewayError as exc:
        _end_payment_attempt(deal_id)
        logger.warning("authentication failed for deal %s: %s", deal_id, exc)
        raise PaymentFailed()
    return _after_confirm(deal_id=deal_id, result=result, now=now)


def sync_payment(*, deal_id: int, now: datetime) -> Deal:
    """Ask the provider for the payment's current state and record it (the
    Payment Element's return URL and reconciliation use this)."""
    payment = Payment.objects.get(deal_id=deal_id)
    if not payment.provider_ref:
        return payment.deal
    result = get_gateway().retrieve_payment(ref=payment.provider_ref, now=now)
    return record_payment_result(deal_id=deal_id, result=result, now=now)


def record_payment_result(
    *, deal_id: int, result: PaymentResult, now: datetime, raise_on_decline: bool = False
) -> Deal:
    """Record what the provider says about the deal's payment. Idempotent and
    order-independent: a success is recorded once (ledger posting unique per
    payment) and is never undone by a later failure report.

    A success for a deal that is no longer awaiting payment (cancelled meanwhile)
    is booked and refunded in full at once.
    """
    declined = False
    late = False
    expected = Payment.objects.filter(deal_id=deal_id).values_list("amount", "currency").first()
    if result.status == SUCCEEDED and expected != (result.amount, result.currency.upper()):
        # The provider's own answer disagrees with the deal: never fund it; an
        # operator looks (the answer is in the log and the alert).
        logger.error(
            "payment of deal %s: provider reports %s %s, deal is %s",
            deal_id,
            result.amount,
            result.currency,
            expected,
        )
        alert_operators(
            f"Payment of deal {deal_id} does not match",
            f"The provider reports {result.ref} succeeded with {result.amount} "
            f"{result.currency}; the deal's payment is {expected}. Nothing was recorded.",
        )
        raise PaymentMismatch()
    with transaction.atomic():
        deal = _lock_deal(deal_id)
        payment = Payment.objects.select_for_update().get(deal=deal)
        if result.ref and payment.provider_ref and result.ref != payment.provider_ref:
            raise PaymentMismatch()
        if payment.status == Payment.Status.SUCCEEDED:
            pass  # already recorded: a replay, a double click or a late webhook
        elif result.status == SUCCEEDED:
            payment.status = Payment.Status.SUCCEEDED
            payment.provider_ref = payment.provider_ref or result.ref
            payment.processing_fee = result.processing_fee
            payment.succeeded_at = now
            payment.error_code = ""
            payment.save()
            ledger.post_payment(deal=deal, payment=payment, now=now)
            if deal.state == State.PENDING_PAYMENT:
                deal.funded_at = now
                transition_deal(
                    deal=deal,
                    to=State.FUNDED,
                    kind="paid",
                    now=now,
                    actor=None,
                    due_at=now + settings.DELIVERY_DEADLINE,
                    update_fields=("funded_at",),
                )
                notify(deal=deal, user=deal.buyer, kind="paid_buyer", now=now, receipt=True)
                notify(deal=deal, user=deal.seller, kind="paid_seller", now=now)
            else:
                late = True
                _request_refund(deal=deal, payment=payment, reason="late payment", now=now)
                notify(deal=deal, user=deal.buyer, kind="late_payment_buyer", now=now)
        elif result.status == REQUIRES_ACTION:
            payment.status = Payment.Status.REQUIRES_ACTION
            payment.save(update_fields=["status"])
        elif result.error_code:
            declined = True
            payment.status = Payment.Status.FAILED
            payment.error_code = result.error_code[:64]
            payment.save(update_fields=["status", "error_code"])
            notify(deal=deal, user=deal.buyer, kind="payment_failed_buyer", now=now)
    if late:
        _enqueue_refunds(deal_id)
    if declined and raise_on_decline:
        raise CardError(result.error_code)
    return deal


def cancel_deal(*, deal_id: int, buyer: User, now: datetime) -> Deal:
    """The buyer cancels an unpaid deal; the listing goes back on sale.

    The rule (docs/escrow.md, "Paying and cancelling"): a cancel is refused while
    a payment attempt is in flight (``PaymentInProgress``); otherwise the provider
    is asked to cancel the payment first, and its answer decides — cancelled: the
    deal is cancelled and no money was taken; paid meanwhile: the payment is
    recorded, the deal is FUNDED and the cancel refused (``PaidBeforeCancel``);
    provider unreachable: refused (``ProviderUnavailable``), nothing changes.
    """
    deal = Deal.objects.filter(pk=deal_id).first()
    if deal is None or deal.buyer_id != buyer.pk:
        raise NotAllowed()
    if deal.state == State.CANCELLED:
        return deal  # a double click
    if deal.state != State.PENDING_PAYMENT:
        raise PaidBeforeCancel() if deal.is_funded else IllegalTransition()
    if payment_attempt_in_flight(deal, now):
        raise PaymentInProgress()
    cancelled_ref = _cancel_at_provider(deal_id=deal_id, now=now)
    return _close_unpaid(
        deal_id=deal_id, now=now, kind="cancelled", actor=buyer, cancelled_ref=cancelled_ref
    )


def _cancel_at_provider(*, deal_id: int, now: datetime) -> str:
    """Cancel the deal's payment at the provider before our side moves (no lock
    held). Returns the reference the provider confirmed cancelled ("" when no
    payment was ever started there). Raises ``PaidBeforeCancel`` after recording a payment
    that succeeded meanwhile, ``PaymentInProgress`` when the provider is still
    processing it, ``ProviderUnavailable`` when it cannot be asked."""
    payment = Payment.objects.get(deal_id=deal_id)
    if not payment.provider_ref:
        return ""
    gateway = get_gateway()
    try:
        result = gateway.cancel_payment(ref=payment.provider_ref, now=now)
    except GatewayError as exc:
        if exc.retryable:
            raise ProviderUnavailable()
        try:  # refused: most likely it succeeded meanwhile — ask what it is
            result = gateway.retrieve_payment(ref=payment.provider_ref, now=now)
        except GatewayError:
            raise ProviderUnavailable()
    if result.status == SUCCEEDED:
        deal = record_payment_result(deal_id=deal_id, result=result, now=now)
        if deal.is_funded:
            raise PaidBeforeCancel()
        raise LatePayment()  # cancelled before it succeeded: being refunded
    if result.status != CANCELED:
        raise PaymentInProgress()
    return payment.provider_ref


def cancel_deals_of_removed_listing(*, listing_id: int, now: datetime) -> int:
    """A listing taken down by governance: its unpaid deals are cancelled. Funded
    deals stay as they are, under moderator watch (disputes issue). Returns how
    many deals were cancelled."""
    cancelled = 0
    for deal_id in Deal.objects.filter(
        listing_id=listing_id, state=State.PENDING_PAYMENT
    ).values_list("pk", flat=True):
        if _close_unpaid(deal_id=deal_id, now=now, kind="listing_removed") is not None:
            cancelled += 1
    return cancelled


def expire_deal(*, deal_id: int, now: datetime, skip_locked: bool = False) -> Deal | None:
    """Cancel an unpaid deal whose payment window has passed (the job's step).
    Like the buyer's cancel it asks the provider first; a deal whose payment is in
    flight, or whose provider cannot be asked, waits for the job's next run.
    Returns the deal when this call cancelled it; None when there was nothing to
    do (not due, paid, in flight, unreachable, handled or locked by another run)."""
    deal = Deal.objects.filter(pk=deal_id).first()
    if deal is None or deal.state != State.PENDING_PAYMENT or deal.due_at > now:
        return None
    if payment_attempt_in_flight(deal, now):
        return None
    try:
        cancelled_ref = _cancel_at_provider(deal_id=deal_id, now=now)
    except EscrowError:  # paid, in flight, unreachable or mismatched: not this run
        return None
    return _close_unpaid(
        deal_id=deal_id,
        now=now,
        kind="expired",
        skip_locked=skip_locked,
        cancelled_ref=cancelled_ref,
    )


def _close_unpaid(
    *,
    deal_id: int,
    now: datetime,
    kind: str,
    actor=None,
    skip_locked: bool = False,
    cancelled_ref: str | None = None,
) -> Deal | None:
    """Cancel an unpaid deal on our side. ``cancelled_ref``: the payment the
    provider already confirmed cancelled ("" when none had been started), for the
    buyer's cancel and the expiry; a payment attempt begun since then wins (the
    cancel is refused, the expiry waits)."""
    with transaction.atomic():
        listing, deal = _lock_listing_then_deal(deal_id, skip_locked=skip_locked)
        if deal is None:
            return None
        if actor is not None and deal.buyer_id != actor.pk:
            raise NotAllowed()
        # Not this call's to do (paid, or handled by another run meanwhile): None,
        # so a job counts only the deals it cancelled itself.
        if kind == "expired" and (deal.state != State.PENDING_PAYMENT or deal.due_at > now):
            return None
        if kind in ("listing_removed", "account_measure") and deal.state != State.PENDING_PAYMENT:
            return None
        if kind == "cancelled" and deal.state != State.PENDING_PAYMENT:
            if deal.state == State.CANCELLED:
                return deal
            raise PaidBeforeCancel() if deal.is_funded else IllegalTransition()
        payment = Payment.objects.select_for_update().get(deal=deal)
        if (
            cancelled_ref is not None
            and payment.provider_ref
            and payment.provider_ref != cancelled_ref
            and payment_attempt_in_flight(deal, now)
        ):
            if kind == "expired":
                return None
            raise PaymentInProgress()
        transition_deal(deal=deal, to=State.CANCELLED, kind=kind, now=now, actor=actor)
        listing_services.release_reservation(
            listing_id=listing.pk, actor=actor, reason=f"deal {deal.pk} {kind}", now=now
        )
        if payment.status != Payment.Status.SUCCEEDED:
            payment.status = Payment.Status.CANCELED
            payment.save(update_fields=["status"])
        notify(deal=deal, user=deal.buyer, kind=f"{kind}_buyer", now=now)
        notify(deal=deal, user=deal.seller, kind=f"{kind}_seller", now=now)
        ref = payment.provider_ref
    if ref and ref != cancelled_ref:
        # Best effort, after commit: if the payment succeeded meanwhile the
        # provider refuses, and the late-payment path refunds it (and tells the
        # buyer so).
        try:
            get_gateway().cancel_payment(ref=ref, now=now)
        except GatewayError:
            try:
                sync_payment(deal_id=deal_id, now=now)
            except (GatewayError, EscrowError):
                # The reconciliation job compares our books with the provider's.
                logger.warning("deal %s cancelled; its payment could not be checked", deal_id)
    return deal


# ------------------------------------------------------------------- handover


def hand_over(
    *,
    deal_id: int,
    seller: User,
    login: str,
    password: str,
    recovery: str = "",
    notes: str = "",
    checklist: list[str],
    now: datetime,
) -> Deal:
    """The seller hands over the credentials and confirms every checklist item.

    FUNDED → DELIVERED; the inspection period starts. Secrets are encrypted at rest.
    """
    with transaction.atomic():
        deal = _lock_deal(deal_id)
        if deal is None or deal.seller_id != seller.pk:
            raise NotAllowed()
        required = {key for key, _label in checklist_for(deal.listing.platform)}
        if not required.issubset(set(checklist)) or not login or not password:
            raise EscrowError(code="checklist_incomplete")
        if deal.state != State.FUNDED:
            raise IllegalTransition()
        Handover.objects.create(
            deal=deal,
            login=login,
            password=password,
            recovery=recovery,
            notes=notes,
            checklist=json.dumps(sorted(required)),
            created_at=now,
        )
        deal.delivered_at = now
        transition_deal(
            deal=deal,
            to=State.DELIVERED,
            kind="handed_over",
            now=now,
            actor=seller,
            due_at=now + settings.INSPECTION_PERIOD,
            update_fields=("delivered_at",),
        )
        notify(deal=deal, user=deal.buyer, kind="delivered_buyer", now=now)
        notify(deal=deal, user=deal.seller, kind="delivered_seller", now=now)
    return deal


CREDENTIAL_STATES = frozenset({State.DELIVERED, State.ACCEPTED})


def reveal_credentials(*, deal_id: int, buyer: User, now: datetime, ip: str | None = None):
    """The handover for the buyer of a delivered (still funded) deal; each view is
    logged (``CredentialView`` and the audit log). The caller has re-authenticated
    the buyer (allauth)."""
    with transaction.atomic():
        deal = _lock_deal(deal_id)
        if deal is None or deal.buyer_id != buyer.pk or deal.state not in CREDENTIAL_STATES:
            raise NotAllowed()
        CredentialView.objects.create(deal=deal, user=buyer, viewed_at=now, ip_address=ip)
        if deal.credentials_first_viewed_at is None:
            deal.credentials_first_viewed_at = now
            deal.save(update_fields=["credentials_first_viewed_at", "updated_at"])
        record_audit(actor=buyer, action="escrow.credentials_viewed", target=deal)
        return deal.handover


def accept_deal(*, deal_id: int, buyer: User, now: datetime) -> Deal:
    """The buyer accepts: DELIVERED → ACCEPTED; the protection window starts."""
    with transaction.atomic():
        deal = _lock_deal(deal_id)
        if deal is None or deal.buyer_id != buyer.pk:
            raise NotAllowed()
        _accept(deal, now=now, actor=buyer, kind="accepted")
    return deal


def _accept(deal: Deal, *, now: datetime, actor, kind: str) -> None:
    deal.accepted_at = now
    transition_deal(
        deal=deal,
        to=State.ACCEPTED,
        kind=kind,
        now=now,
        actor=actor,
        due_at=now + settings.PROTECTION_WINDOW,
        update_fields=("accepted_at",),
    )
    notify(deal=deal, user=deal.buyer, kind=f"{kind}_buyer", now=now)
    notify(deal=deal, user=deal.seller, kind=f"{kind}_seller", now=now)


def extend_inspection(*, deal_id: int, buyer: User, now: datetime) -> Deal:
    """The buyer extends the inspection period, once, by ``INSPECTION_PERIOD``."""
    with transaction.atomic():
        deal = _lock_deal(deal_id)
        if deal is None or deal.buyer_id != buyer.pk:
            raise NotAllowed()
        if deal.state != State.DELIVERED:
            raise IllegalTransition()
        if deal.inspection_extended:
            raise InspectionAlreadyExtended()
        deal.inspection_extended = True
        deal.due_at = deal.due_at + settings.INSPECTION_PERIOD
        deal.save(update_fields=["inspection_extended", "due_at", "updated_at"])
        _note(deal=deal, kind="extended", now=now, actor=buyer)
        notify(deal=deal, user=deal.buyer, kind="extended_buyer", now=now)
        notify(deal=deal, user=deal.seller, kind="extended_seller", now=now)
    return deal


# -------------------------------------------------------- deadlines (job steps)


def accept_after_inspection(*, deal_id: int, now: datetime) -> Deal | None:
    """Silence is acceptance: a DELIVERED deal whose inspection ended is accepted.
    Returns the deal when this call accepted it, else None (see ``expire_deal``)."""
    with transaction.atomic():
        deal = _lock_deal(deal_id, skip_locked=True)
        if deal is None or deal.state != State.DELIVERED or deal.due_at > now:
            return None
        _accept(deal, now=now, actor=None, kind="auto_accepted")
    return deal


def refund_undelivered(*, deal_id: int, now: datetime) -> Deal | None:
    """A FUNDED deal past its delivery deadline is refunded in full; the listing
    goes back on sale (nothing was shown) and the seller's standing records it.
    Returns the deal when this call refunded it, else None (see ``expire_deal``)."""
    with transaction.atomic():
        listing, deal = _lock_listing_then_deal(deal_id, skip_locked=True)
        if deal is None or deal.state != State.FUNDED or deal.due_at > now:
            return None
        transition_deal(deal=deal, to=State.REFUNDED, kind="refunded_undelivered", now=now)
        _after_refund_decision(deal, listing, now=now)
        payment = Payment.objects.select_for_update().get(deal=deal)
        _request_refund(deal=deal, payment=payment, reason="not delivered in time", now=now)
        notify(deal=deal, user=deal.buyer, kind="refunded_buyer", now=now)
        notify(deal=deal, user=deal.seller, kind="refunded_seller", now=now)
        _record_standing(deal, completed=False)
        report_transaction_event(
            user=deal.seller,
            rule_code="TRX-01",
            facts=f"Deal #{deal.pk}: the credentials were not handed over by the delivery "
            f"deadline; the buyer was refunded.",
            deal=deal,
            now=now,
        )
    _enqueue_refunds(deal_id)
    return deal


def report_transaction_event(*, user, rule_code: str, facts: str, deal: Deal, now: datetime):
    """Feed governance's transaction rules (``record_system_violation``): an
    automatic case a moderator confirms or dismisses — never a sanction by itself.
    Runs inside the caller's transaction; a governance refusal (e.g. the rules
    catalogue not loaded) is logged and never undoes the money step."""
    from governance.exceptions import GovernanceError
    from governance.services import record_system_violation

    try:
        with transaction.atomic():
            return record_system_violation(
                user=user, rule_code=rule_code, facts=facts, subject=deal, now=now
            )
    except GovernanceError:
        logger.exception("could not report %s on deal %s to governance", rule_code, deal.pk)
        return None


def _after_refund_decision(deal: Deal, listing: Listing, *, now: datetime) -> None:
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
        listing, deal = _lock_listing_then_deal(deal_id, skip_locked=True)
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
        gateway = get_gateway()
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
        _record_standing(deal, completed=True)
    _enqueue_payouts(deal_id)
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
        _enqueue_payouts_of(released)
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
    provider = get_gateway().name
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
        median_release_seconds=_median_release_seconds({deal.seller_id for deal in deals}),
    )
    # Standings written in bulk send no signal. The pages that show them are every
    # listing page of these sellers; replacing each one's version cost more than the
    # rest of the batch (a query and a write of thousands of keys per 500 deals,
    # bench run 2026-11-25-5), so a batch makes every cached page stale instead —
    # once per batch, which the beat task runs every few minutes.
    fragments.bump()


class _MedianSeconds(Aggregate):
    """PostgreSQL's median of intervals, each in whole seconds (as the fallback
    counts them)."""

    function = "PERCENTILE_CONT"
    template = (
        "%(function)s(0.5) WITHIN GROUP (ORDER BY FLOOR(EXTRACT(EPOCH FROM %(expressions)s)))"
    )
    output_field = FloatField()


def _median_release_seconds(seller_ids) -> dict[int, int]:
    """seller id → median seconds from payment to release over their released deals
    (sellers with none are absent; of an even number, the mean of the middle two,
    rounded down). On PostgreSQL one aggregate per seller, so a seller's thousands
    of sales are not read into the job; elsewhere (SQLite) computed here."""
    released = Deal.objects.filter(
        seller_id__in=seller_ids, state=State.RELEASED, funded_at__isnull=False
    )
    if connection.vendor == "postgresql":
        rows = (
            released.order_by()
            .values("seller_id")
            .annotate(median=_MedianSeconds(F("released_at") - F("funded_at")))
            .values_list("seller_id", "median")
        )
        return {seller_id: math.floor(median) for seller_id, median in rows}
    durations: dict[int, list[int]] = {}
    for seller_id, released_at, funded in released.values_list(
        "seller_id", "released_at", "funded_at"
    ):
        durations.setdefault(seller_id, []).append(int((released_at - funded).total_seconds()))
    medians = {}
    for seller_id, values in durations.items():
        values.sort()
        mid = len(values) // 2
        medians[seller_id] = (
            values[mid] if len(values) % 2 else (values[mid - 1] + values[mid]) // 2
        )
    return medians


def _record_standing(deal: Deal, *, completed: bool, disputed: bool = False) -> None:
    from accounts.services import record_deal_outcome

    median = _median_release_seconds([deal.seller_id]).get(deal.seller_id) if completed else None
    record_deal_outcome(
        seller_id=deal.seller_id,
        buyer_id=deal.buyer_id,
        completed=completed,
        disputed=disputed,
        median_release_seconds=median,
    )


def send_reminder(*, deal_id: int, now: datetime) -> bool:
    """One reminder per deadline (``reminded_for`` holds the due_at reminded)."""
    with transaction.atomic():
        deal = _lock_deal(deal_id, skip_locked=True)
        if deal is None or deal.due_at is None or deal.state not in REMINDER_LEAD:
            return False
        if deal.reminded_for == deal.due_at or deal.due_at - REMINDER_LEAD[deal.state] > now:
            return False
        deal.reminded_for = deal.due_at
        deal.save(update_fields=["reminded_for", "updated_at"])
        target = deal.buyer if REMINDER_TARGET[deal.state] == "buyer" else deal.seller
        notify(
            deal=deal,
            user=target,
            kind=f"reminder_{deal.state}_{REMINDER_TARGET[deal.state]}",
            now=now,
        )
    return True


# ------------------------------------------------------------------- refunds


def _request_refund(
    *, deal: Deal, payment: Payment, reason: str, now: datetime, amount: int | None = None
) -> Refund:
    """Record a refund of the deal's payment — by default whatever was not refunded
    yet, or ``amount`` minor units (a split). Caller holds the deal and payment
    locks. Executed after commit by ``execute_refund``."""
    n = Refund.objects.filter(deal=deal).count() + 1
    already = sum(
        r.amount
        for r in Refund.objects.filter(deal=deal).exclude(status=Refund.Status.NEEDS_ATTENTION)
    )
    return Refund.objects.create(
        deal=deal,
        payment=payment,
        provider=payment.provider,
        idempotency_key=f"refund-{deal.pk}-{n}",
        amount=payment.amount - already if amount is None else amount,
        reason=reason,
        next_attempt_at=now,
        created_at=now,
    )


def recheck_refunds(*, payment_id: int, now: datetime) -> int:
    """A provider event says a refund of this payment changed: our unfinished
    refunds are made due now; ``execute_refund`` asks the provider (by metadata)
    before anything is recorded. Returns how many were queued."""
    from .tasks import execute_refund_task

    open_refunds = Refund.objects.filter(
        payment_id=payment_id, status__in=(Refund.Status.REQUESTED, Refund.Status.FAILED)
    )
    ids = list(open_refunds.values_list("pk", flat=True))
    open_refunds.filter(status=Refund.Status.FAILED).update(next_attempt_at=now)
    for refund_id in ids:
        execute_refund_task.delay_on_commit(refund_id)
    return len(ids)


def recheck_payout(*, payout_id: int, now: datetime) -> bool:
    """A provider event says a transfer changed: an unfinished payout is made due
    now; ``execute_payout`` looks the transfer up at the provider first."""
    from .tasks import execute_payout_task

    changed = Payout.objects.filter(
        pk=payout_id, status__in=(Payout.Status.REQUESTED, Payout.Status.FAILED)
    ).update(next_attempt_at=now)
    if changed:
        execute_payout_task.delay_on_commit(payout_id)
    return bool(changed)


def _enqueue_refunds(deal_id: int) -> None:
    from .tasks import execute_refund_task

    for refund_id in Refund.objects.filter(
        deal_id=deal_id, status=Refund.Status.REQUESTED, attempts=0
    ).values_list("pk", flat=True):
        execute_refund_task.delay_on_commit(refund_id)


def execute_refund(*, refund_id: int, now: datetime) -> Refund | None:
    """Send a requested refund to the provider (at most once in effect).

    Marks the attempt in flight and commits before calling; a retry of an attempt
    that may have reached the provider first looks the refund up by metadata.
    Returns the refund when this call recorded an outcome (sent, or a failed
    attempt); None when it had nothing to do (settled, not due, or another run's),
    so a job counts only its own.
    """
    with transaction.atomic():
        refund = Refund.objects.select_for_update(skip_locked=True).filter(pk=refund_id).first()
        if refund is None or refund.status in (
            Refund.Status.SUCCEEDED,
            Refund.Status.NEEDS_ATTENTION,
        ):
            return None
        if refund.in_flight_since and refund.in_flight_since > now - IN_FLIGHT_TIMEOUT:
            return None  # another attempt is talking to the provider right now
        if refund.next_attempt_at and refund.next_attempt_at > now:
            return None
        retry = refund.attempts > 0
        refund.attempts += 1
        refund.in_flight_since = now
        refund.save(update_fields=["attempts", "in_flight_since"])
        payment_ref = refund.payment.provider_ref
    gateway = get_gateway()
    metadata = {"refund_id": str(refund.pk), "deal_id": str(refund.deal_id)}
    try:
        result = (
            gateway.find_refund(payment_ref=payment_ref, metadata=metadata, now=now)
            if retry
            else None
        )
        if result is None:
            result = gateway.refund(
                payment_ref=payment_ref,
                amount=refund.amount,
                idempotency_key=refund.idempotency_key,
                metadata=metadata,
                now=now,
            )
    except GatewayError as exc:
        return _refund_failed(refund_id, exc, now=now)
    with transaction.atomic():
        deal = _lock_deal(refund.deal_id)
        refund = Refund.objects.select_for_update().get(pk=refund_id)
        if refund.status == Refund.Status.SUCCEEDED:
            return None  # recorded meanwhile (the provider's event)
        refund.status = Refund.Status.SUCCEEDED
        refund.provider_ref = result.ref
        refund.succeeded_at = now
        refund.in_flight_since = None
        refund.next_attempt_at = None
        refund.save()
        ledger.post_refund(deal=deal, refund=refund, now=now)
        notify(deal=deal, user=deal.buyer, kind="refund_paid_buyer", now=now)
    return refund


def _refund_failed(refund_id: int, exc: GatewayError, *, now: datetime) -> Refund | None:
    with transaction.atomic():
        refund = Refund.objects.select_for_update().get(pk=refund_id)
        if refund.status == Refund.Status.SUCCEEDED:
            return None
        refund.in_flight_since = None
        refund.last_error = f"{exc.code}: {exc}"[:200]
        if refund.attempts >= MAX_ATTEMPTS or not exc.retryable:
            refund.status = Refund.Status.NEEDS_ATTENTION
            refund.next_attempt_at = None
            alert_operators(
                f"Refund {refund.pk} needs attention",
                f"Refund {refund.pk} of deal {refund.deal_id} failed: {refund.last_error}",
            )
        else:
            refund.status = Refund.Status.FAILED
            refund.next_attempt_at = now + backoff(refund.attempts)
        refund.save()
        return refund


# ------------------------------------------------------------------- payouts


def _enqueue_payouts(deal_id: int) -> None:
    _enqueue_payouts_of([deal_id])


#: Payouts per task message when many are created at once (the release batch):
#: several workers share them, and the broker sees one message per chunk.
PAYOUT_CHUNK = 50


def _enqueue_payouts_of(deal_ids: list[int]) -> None:
    """Send the payouts of these deals after commit: one task for a single payout,
    chunks of ``PAYOUT_CHUNK`` for many (the beat job ``execute_due_payouts``
    catches any that a broker outage lost)."""
    from .tasks import execute_payout_task, execute_payouts_task

    ids = list(
        Payout.objects.filter(deal_id__in=deal_ids).order_by("pk").values_list("pk", flat=True)
    )
    if len(ids) == 1:
        execute_payout_task.delay_on_commit(ids[0])
        return
    for start in range(0, len(ids), PAYOUT_CHUNK):
        execute_payouts_task.delay_on_commit(ids[start : start + PAYOUT_CHUNK])


def execute_payout(*, payout_id: int, now: datetime) -> Payout | None:
    """Pay the seller of a released deal (at most one transfer, ever).

    With no usable payout account the payout waits ON_HOLD; on the manual rail it
    waits for an operator. Otherwise: mark the attempt in flight and commit, then
    (on a retry, first look the transfer up by metadata) create the transfer with
    the key ``payout-<deal>``, then re-lock and record PAID or the failure with a
    backoff. A crashed attempt is retried after ``IN_FLIGHT_TIMEOUT``.

    Returns the payout when this call moved it (paid, a failed attempt recorded,
    or newly held, on hold or manual); None when it had nothing to do (settled,
    not due, still held, or another run's), so a job counts only its own.
    """
    gateway = get_gateway()
    with transaction.atomic():
        payout = Payout.objects.select_for_update(skip_locked=True).filter(pk=payout_id).first()
        if payout is None or payout.status in (
            Payout.Status.PAID,
            Payout.Status.MANUAL,
            Payout.Status.NEEDS_ATTENTION,
        ):
            return None
        if payout.in_flight_since and payout.in_flight_since > now - IN_FLIGHT_TIMEOUT:
            return None
        if payout.next_attempt_at and payout.next_attempt_at > now:
            return None
        held, until = payout_hold(payout, now=now)
        if held:
            first_time = payout.status != Payout.Status.HELD
            payout.status = Payout.Status.HELD
            # Asked again hourly (a freeze or a watch has no end date), or when
            # governance's hold ends.
            payout.next_attempt_at = until if until is not None else now + timedelta(hours=1)
            payout.save(update_fields=["status", "next_attempt_at"])
            if first_time:
                notify(deal=payout.deal, user=payout.seller, kind="payout_held_seller", now=now)
            return payout if first_time else None
        account = SellerPayoutAccount.objects.filter(user_id=payout.seller_id).first()
        if (
            account is not None
            and account.rail == SellerPayoutAccount.Rail.MANUAL
            and account.can_receive
        ):
            payout.rail = account.rail
            payout.status = Payout.Status.MANUAL
            payout.save(update_fields=["rail", "status"])
            alert_operators(
                f"Manual payout {payout.pk} to make",
                f"Pay {payout.amount} {payout.currency} (minor units) for deal {payout.deal_id} by bank transfer and record it in the admin.",
            )
            return payout
        if account is None or not account.can_receive:
            first_time = payout.status != Payout.Status.ON_HOLD
            payout.status = Payout.Status.ON_HOLD
            payout.next_attempt_at = now + timedelta(hours=1)
            payout.save(update_fields=["status", "next_attempt_at"])
            if first_time:
                notify(deal=payout.deal, user=payout.seller, kind="payout_on_hold_seller", now=now)
            return payout if first_time else None
        retry = payout.attempts > 0
        payout.rail = account.rail
        payout.status = Payout.Status.REQUESTED
        payout.attempts += 1
        payout.in_flight_since = now
        payout.save(update_fields=["rail", "status", "attempts", "in_flight_since"])
        destination = account.account_ref
        source = payout.deal.payment.provider_ref
    metadata = {"payout_id": str(payout.pk), "deal_id": str(payout.deal_id)}
    try:
        result = gateway.find_transfer(metadata=metadata, now=now) if retry else None
        if result is None:
            result = gateway.transfer(
                amount=payout.amount,
                currency=payout.currency,
                destination=destination,
                source_payment_ref=source,
                idempotency_key=payout.idempotency_key,
                metadata=metadata,
                now=now,
            )
    except GatewayError as exc:
        return _payout_failed(payout_id, exc, now=now)
    return _payout_paid(payout_id, provider_ref=result.ref, now=now)


def payout_hold(payout: Payout, *, now: datetime) -> tuple[bool, datetime | None]:
    """Is ``payout`` held now, and until when (None: until someone decides)?

    Held while its deal is under moderator watch or has an open chargeback, and
    while governance says so (``governance.policy.payouts_held_until``: a freeze,
    a ban — 90 days after the seller's last protection window —, or the 14 extra
    days of a selling suspension). Money is held, never confiscated: once the
    answer is a date in the past, the payout runs."""
    from governance.policy import payouts_held_until

    from .models import Chargeback

    deal = payout.deal
    if deal.watched_since is not None:
        return True, None
    if Chargeback.objects.filter(deal_id=deal.pk, status=Chargeback.Status.OPEN).exists():
        return True, None
    release_at = deal.released_at or payout.created_at
    last_protection_end = (
        Deal.objects.filter(seller_id=payout.seller_id, state=State.ACCEPTED)
        .order_by("-due_at")
        .values_list("due_at", flat=True)
        .first()
    )
    last_protection_end = max(filter(None, [last_protection_end, release_at]))
    until = payouts_held_until(
        payout.seller, release_at=release_at, now=now, last_protection_end=last_protection_end
    )
    if until is None:
        return True, None
    if until > now:
        return True, until
    return False, None


def _payout_paid(
    payout_id: int, *, provider_ref: str = "", manual_reference: str = "", now: datetime
) -> Payout | None:
    """Record the payout paid; None when it already was (nothing done here)."""
    with transaction.atomic():
        payout = Payout.objects.select_for_update().get(pk=payout_id)
        if payout.status == Payout.Status.PAID:
            return None
        payout.status = Payout.Status.PAID
        payout.provider_ref = provider_ref or payout.provider_ref
        payout.manual_reference = manual_reference or payout.manual_reference
        payout.paid_at = now
        payout.in_flight_since = None
        payout.next_attempt_at = None
        payout.last_error = ""
        payout.save()
        ledger.post_payout(payout=payout, now=now)
        notify(deal=payout.deal, user=payout.seller, kind="payout_paid_seller", now=now)
        return payout


def _payout_failed(payout_id: int, exc: GatewayError, *, now: datetime) -> Payout | None:
    with transaction.atomic():
        payout = Payout.objects.select_for_update().get(pk=payout_id)
        if payout.status == Payout.Status.PAID:
            return None
        payout.in_flight_since = None
        payout.last_error = f"{exc.code}: {exc}"[:200]
        if payout.attempts >= MAX_ATTEMPTS:
            payout.status = Payout.Status.NEEDS_ATTENTION
            payout.next_attempt_at = None
            alert_operators(
                f"Payout {payout.pk} failed",
                f"Payout {payout.pk} of deal {payout.deal_id} failed {payout.attempts} times: {payout.last_error}",
            )
        else:
            payout.status = Payout.Status.FAILED
            payout.next_attempt_at = now + backoff(payout.attempts)
        payout.save()
        return payout


def record_manual_payout(
    *, payout_id: int, operator: User, reference: str, now: datetime
) -> Payout:
    """An operator records the bank transfer of a manual-rail payout (audited)."""
    if not reference.strip():
        raise EscrowError(code="reference_required")
    with transaction.atomic():
        payout = Payout.objects.select_for_update().get(pk=payout_id)
        if payout.status not in (Payout.Status.MANUAL, Payout.Status.NEEDS_ATTENTION):
            raise IllegalTransition()
        before = {"status": payout.status}
        payout = _payout_paid(payout_id, manual_reference=reference.strip(), now=now)
        record_audit(
            actor=operator,
            action="escrow.manual_payout_recorded",
            target=payout,
            reason=reference.strip(),
            before=before,
            after={"status": payout.status},
        )
    return payout


# ------------------------------------------------------------ seller payouts


def connect_payout_account(
    *, user: User, country: str, return_url: str, refresh_url: str
) -> tuple[SellerPayoutAccount, str]:
    """Start (or resume) provider onboarding; returns the account and the URL to
    send the seller to. A country the provider cannot pay gets the manual rail.

    Raises ``PayoutCountryUnsupported`` for a country outside ``PAYOUT_COUNTRIES``
    and ``PayoutAccountReady`` rather than move a ready provider account to
    another country or to the manual rail (payouts would stop without a word)."""
    from .countries import PAYOUT_COUNTRIES
    from .exceptions import PayoutAccountReady, PayoutCountryUnsupported

    gateway = get_gateway()
    country = country.upper()
    if country not in dict(PAYOUT_COUNTRIES):
        raise PayoutCountryUnsupported()
    existing = SellerPayoutAccount.objects.filter(user=user).first()
    if (
        existing is not None
        and existing.rail == SellerPayoutAccount.Rail.PROVIDER
        and existing.can_receive
        and existing.country != country
    ):
        raise PayoutAccountReady()
    account, _created = SellerPayoutAccount.objects.get_or_create(
        user=user, defaults={"country": country, "provider": gateway.name}
    )
    if country not in gateway.payout_countries:
        with transaction.atomic():
            account = SellerPayoutAccount.objects.select_for_update().get(pk=account.pk)
            if account.rail == SellerPayoutAccount.Rail.PROVIDER and account.can_receive:
                raise PayoutAccountReady()
            account.country, account.rail = country, SellerPayoutAccount.Rail.MANUAL
            account.save()
        return account, ""
    remote = gateway.onboard_seller(
        email=user.email,
        country=country,
        account_ref=account.account_ref if account.provider == gateway.name else "",
        return_url=return_url,
        refresh_url=refresh_url,
    )
    with transaction.atomic():
        account = SellerPayoutAccount.objects.select_for_update().get(pk=account.pk)
        account.country = country
        account.rail = SellerPayoutAccount.Rail.PROVIDER
        account.provider = gateway.name
        account.account_ref = remote.ref
        account.payouts_enabled = remote.payouts_enabled
        account.save()
    _release_held_payouts(user_id=user.pk, now=None)
    return account, remote.onboarding_url


def save_manual_payout_details(
    *, user: User, country: str, bank_details: str
) -> SellerPayoutAccount:
    """Bank details for the manual rail (encrypted at rest). Refused
    (``PayoutAccountReady``) while a provider account is ready to receive."""
    from .countries import PAYOUT_COUNTRIES
    from .exceptions import PayoutAccountReady, PayoutCountryUnsupported

    if country.upper() not in dict(PAYOUT_COUNTRIES):
        raise PayoutCountryUnsupported()
    with transaction.atomic():
        account, _created = SellerPayoutAccount.objects.select_for_update().get_or_create(
            user=user, defaults={"country": country.upper()}
        )
        if account.rail == SellerPayoutAccount.Rail.PROVIDER and account.can_receive:
            raise PayoutAccountReady()
        account.country = country.upper()
        account.rail = SellerPayoutAccount.Rail.MANUAL
        account.bank_details = bank_details.strip()
        account.save()
        record_audit(actor=user, action="escrow.payout_details_changed", target=account)
    _release_held_payouts(user_id=user.pk, now=None)
    return account


def refresh_payout_account(*, user: User) -> SellerPayoutAccount | None:
    """Re-read ``payouts_enabled`` from the provider (return from onboarding)."""
    account = SellerPayoutAccount.objects.filter(user=user).first()
    if account is None or not account.account_ref:
        return account
    remote = get_gateway().retrieve_seller_account(ref=account.account_ref)
    return set_payouts_enabled(account_ref=account.account_ref, enabled=remote.payouts_enabled)


def set_payouts_enabled(*, account_ref: str, enabled: bool) -> SellerPayoutAccount | None:
    with transaction.atomic():
        account = (
            SellerPayoutAccount.objects.select_for_update().filter(account_ref=account_ref).first()
        )
        if account is None:
            return None
        account.payouts_enabled = enabled
        account.save(update_fields=["payouts_enabled", "updated_at"])
    if enabled:
        _release_held_payouts(user_id=account.user_id, now=None)
    return account


def _release_held_payouts(*, user_id: int, now) -> None:
    """Payouts waiting for payout details become due again."""
    Payout.objects.filter(seller_id=user_id, status=Payout.Status.ON_HOLD).update(
        status=Payout.Status.PENDING, next_attempt_at=None
    )


# -------------------------------------------------------------------- queries


def due_deals(state: str, now: datetime, limit: int) -> list[int]:
    qs = Deal.objects.filter(state=state, due_at__lte=now)
    if state == State.ACCEPTED:
        # A watched deal is not released while the watch stands (the buyer may
        # still ask for a refund); it is released by the first run after it ends.
        qs = qs.filter(watched_since__isnull=True)
    return list(qs.order_by("due_at", "pk").values_list("pk", flat=True)[:limit])


def due_reminders(state: str, now: datetime, limit: int) -> list[int]:
    """Deals in ``state`` whose deadline is within the reminder lead and not yet
    reminded for that deadline."""
    return list(
        Deal.objects.filter(state=state, due_at__lte=now + REMINDER_LEAD[state])
        .exclude(reminded_for=F("due_at"))
        .order_by("due_at", "pk")
        .values_list("pk", flat=True)[:limit]
    )


def due_payouts(now: datetime, limit: int) -> list[int]:
    stale = now - IN_FLIGHT_TIMEOUT
    return list(
        Payout.objects.filter(
            Q(
                status__in=[
                    Payout.Status.PENDING,
                    Payout.Status.FAILED,
                    Payout.Status.ON_HOLD,
                    Payout.Status.HELD,
                ]
            )
            & (Q(next_attempt_at__isnull=True) | Q(next_attempt_at__lte=now))
            | Q(status=Payout.Status.REQUESTED, in_flight_since__lte=stale)
        )
        .order_by("pk")
        .values_list("pk", flat=True)[:limit]
    )


def due_refunds(now: datetime, limit: int) -> list[int]:
    stale = now - IN_FLIGHT_TIMEOUT
    return list(
        Refund.objects.filter(
            Q(status__in=[Refund.Status.REQUESTED, Refund.Status.FAILED])
            & (Q(next_attempt_at__isnull=True) | Q(next_attempt_at__lte=now))
            & (Q(in_flight_since__isnull=True) | Q(in_flight_since__lte=stale))
        )
        .order_by("pk")
        .values_list("pk", flat=True)[:limit]
    )
