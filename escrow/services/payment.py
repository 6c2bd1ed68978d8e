"""Paying a deal and its unpaid endings: pay, 3-D Secure, provider sync and
results, cancel, expire, removed listings."""

from __future__ import annotations

import logging
from datetime import datetime

from django.conf import settings
from django.db import transaction

from accounts.models import User
from escrow import gateways, ledger
from escrow.exceptions import (
    AcknowledgementRequired,
    AlreadyPaid,
    CardError,
    EscrowError,
    IllegalTransition,
    LatePayment,
    NotAllowed,
    PaidBeforeCancel,
    PaymentCancelled,
    PaymentFailed,
    PaymentInProgress,
    PaymentMismatch,
    PaymentWindowClosed,
    ProviderUnavailable,
)
from escrow.gateways.base import CANCELED, REQUIRES_ACTION, SUCCEEDED, GatewayError, PaymentResult
from escrow.models import (
    Deal,
    Payment,
)
from escrow.notifications import alert_operators, notify
from escrow.services.checkout import prepare_payment
from escrow.services.outgoing import enqueue_refunds, request_refund
from escrow.services.transitions import lock_deal, lock_listing_then_deal, transition_deal
from listings import services as listing_services

logger = logging.getLogger(__name__)
State = Deal.State


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
        deal = lock_deal(deal_id)
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
    return _payment_step(
        deal_id=deal_id,
        buyer=buyer,
        now=now,
        step=lambda gateway: gateway.confirm_payment(ref=payment.provider_ref, card=card, now=now),
        what="payment confirm",
    )


def complete_authentication(*, deal_id: int, buyer: User, success: bool, now: datetime) -> Deal:
    """The simulated 3-D Secure step of a card that required authentication."""
    deal = Deal.objects.get(pk=deal_id)
    if deal.buyer_id != buyer.pk:
        raise NotAllowed()
    payment = deal.payment
    return _payment_step(
        deal_id=deal_id,
        buyer=buyer,
        now=now,
        step=lambda gateway: gateway.complete_authentication(
            ref=payment.provider_ref, success=success, now=now
        ),
        what="authentication",
    )


def _payment_step(*, deal_id: int, buyer: User, now: datetime, step, what: str) -> Deal:
    """One call to the provider within the buyer's payment attempt (the attempt is
    marked first, so a cancel is refused meanwhile): ``step(gateway)``'s answer is applied
    (``_after_confirm``); a provider error ends the attempt and is ``PaymentFailed``."""
    _start_payment_attempt(deal_id=deal_id, buyer=buyer, now=now)
    try:
        result = step(gateways.get_gateway())
    except GatewayError as exc:
        _end_payment_attempt(deal_id)
        logger.warning("%s failed for deal %s: %s", what, deal_id, exc)
        raise PaymentFailed()
    return _after_confirm(deal_id=deal_id, result=result, now=now)


def sync_payment(*, deal_id: int, now: datetime) -> Deal:
    """Ask the provider for the payment's current state and record it (the
    Payment Element's return URL and reconciliation use this)."""
    payment = Payment.objects.get(deal_id=deal_id)
    if not payment.provider_ref:
        return payment.deal
    result = gateways.get_gateway().retrieve_payment(ref=payment.provider_ref, now=now)
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
        deal = lock_deal(deal_id)
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
                request_refund(deal=deal, payment=payment, reason="late payment", now=now)
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
        enqueue_refunds(deal_id)
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
    return close_unpaid(
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
    gateway = gateways.get_gateway()
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
        if close_unpaid(deal_id=deal_id, now=now, kind="listing_removed") is not None:
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
    return close_unpaid(
        deal_id=deal_id,
        now=now,
        kind="expired",
        skip_locked=skip_locked,
        cancelled_ref=cancelled_ref,
    )


def close_unpaid(
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
        listing, deal = lock_listing_then_deal(deal_id, skip_locked=skip_locked)
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
            gateways.get_gateway().cancel_payment(ref=ref, now=now)
        except GatewayError:
            try:
                sync_payment(deal_id=deal_id, now=now)
            except (GatewayError, EscrowError):
                # The reconciliation job compares our books with the provider's.
                logger.warning("deal %s cancelled; its payment could not be checked", deal_id)
    return deal
