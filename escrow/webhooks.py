"""Provider events: verify, validate, de-duplicate by event id, then apply with the
provider's own answer.

The provider's word wins over the event's (docs/escrow.md, "The provider's answer
wins"): an event is a hint that something changed. Before anything is recorded the
provider is asked for the object itself — the payment intent, the card dispute, the
connected account — and what it answers is what we record; a refund or transfer
event only makes our own executor look its record up at the provider. So:

- the provider cannot be reached → the event is kept PENDING and
  ``retry_pending_events`` (a beat job) tries again with a backoff; it is never
  applied on its own word;
- the event or the provider's answer names an amount or currency that differs from
  the deal's → REFUSED: nothing is applied, the reason is stored on the event
  (admin: Webhook events) and operators are alerted;
- an event for an object that is not ours → IGNORED.

Applying is order-independent: each service moves our records only forward and a
duplicate delivery is ignored, so events arriving twice or out of order do no harm.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from celery import shared_task
from django.db import IntegrityError, transaction
from django.utils import timezone

from kernel.jobs import task_now

from . import services
from .exceptions import EscrowError
from .gateways import get_gateway
from .gateways.base import GatewayError, WebhookEvent, WebhookVerificationError
from .gateways.payload import parse_stripe_shaped_event
from .models import Payment, Payout, Refund, SellerPayoutAccount
from .models import WebhookEvent as StoredEvent
from .notifications import alert_operators
from .services import record_chargeback

logger = logging.getLogger(__name__)
Status = StoredEvent.Status

#: After this many attempts without an answer from the provider, operators are
#: told (once); the event keeps waiting and being retried.
ALERT_AFTER_ATTEMPTS = 8
RETRY_BATCH = 200


def handle_webhook(*, payload: bytes, signature: str) -> int:
    """Verify and apply one delivery; returns the HTTP status to answer with:
    400 for a forged, stale or malformed event (nothing changes, a log line says
    why), 200 otherwise — also when the event waits for the provider (it is stored
    and retried by our job, so the provider need not send it again)."""
    gateway = get_gateway()
    try:
        event = gateway.parse_webhook(payload=payload, signature=signature)
    except WebhookVerificationError as exc:
        logger.warning("webhook refused (%s bytes): %s", len(payload or b""), exc)
        return 400
    apply_event(event=event, provider=gateway.name)
    return 200


def apply_event(*, event: WebhookEvent, provider: str, now: datetime | None = None) -> bool:
    """Store the event (its id is unique) and apply it with the provider's answer.
    Returns False for a duplicate delivery."""
    now = now or timezone.now()
    if StoredEvent.objects.filter(provider=provider, event_id=event.id).exists():
        return False
    try:
        with transaction.atomic():
            stored = StoredEvent.objects.create(
                provider=provider,
                event_id=event.id,
                type=event.type,
                payload=event.raw,
                received_at=now,
                status=Status.PENDING,
                next_attempt_at=now,
            )
    except IntegrityError:
        return False  # a concurrent delivery of the same event stored it first
    try:
        process_event(event_pk=stored.pk, now=now)
    except Exception as exc:
        # Kept PENDING: the retry job tries again; the provider got its 200.
        logger.exception("webhook %s could not be applied; it will be retried", event.id)
        _wait(stored.pk, f"error while applying: {type(exc).__name__}", now=now)
    return True


def retry_pending_events(*, now: datetime, limit: int = RETRY_BATCH) -> int:
    """Apply the events that wait for the provider and are due. Returns how many
    were settled (applied, ignored or refused) by this run."""
    settled = 0
    due = StoredEvent.objects.filter(status=Status.PENDING, next_attempt_at__lte=now)
    for pk in due.order_by("next_attempt_at", "pk").values_list("pk", flat=True)[:limit]:
        try:
            if process_event(event_pk=pk, now=now) not in (None, Status.PENDING):
                settled += 1
        except Exception as exc:
            logger.exception("webhook event %s could not be applied; it will be retried", pk)
            # Later, with the backoff, so one failing event does not hold up the rest.
            _wait(pk, f"error while applying: {type(exc).__name__}", now=now)
    return settled


@dataclass
class Decision:
    status: str
    note: str = ""
    apply: Callable[[], None] | None = None
    alert: bool = False


def process_event(*, event_pk: int, now: datetime) -> str | None:
    """Ask the provider (no lock held), then apply under the stored event's lock so
    that two runs apply it once. Returns the status this run gave the event
    (PENDING when it still waits), or None when another run had settled it."""
    stored = StoredEvent.objects.filter(pk=event_pk).first()
    if stored is None or stored.status != Status.PENDING:
        return None
    event = parse_stripe_shaped_event(json.dumps(stored.payload))
    try:
        decision = _decide(event, now=now)
    except GatewayError as exc:
        if exc.retryable:
            return _wait(event_pk, f"provider not reachable: {exc.code}", now=now)
        decision = Decision(
            Status.REFUSED, f"the provider does not confirm it: {exc.code}", alert=True
        )
    except (TypeError, ValueError, KeyError, AttributeError) as exc:
        # An answer we cannot read is not a confirmation.
        logger.exception("webhook event %s: unreadable provider answer", event_pk)
        decision = Decision(
            Status.REFUSED, f"unreadable provider answer: {type(exc).__name__}", alert=True
        )
    with transaction.atomic():
        stored = StoredEvent.objects.select_for_update().get(pk=event_pk)
        if stored.status != Status.PENDING:
            return None
        if decision.apply is not None:
            try:
                with transaction.atomic():
                    decision.apply()
            except EscrowError as exc:
                decision = Decision(Status.REFUSED, f"refused by escrow: {exc.code}", alert=True)
        stored.status = decision.status
        stored.note = decision.note[:300]
        stored.processed_at = now
        stored.next_attempt_at = None
        stored.attempts += 1
        stored.save(update_fields=["status", "note", "processed_at", "next_attempt_at", "attempts"])
        if decision.status == Status.REFUSED:
            logger.warning("webhook %s refused: %s", stored.event_id, decision.note)
        if decision.alert:
            alert_operators(
                f"Webhook event {stored.event_id} refused",
                f"{stored.provider} event {stored.event_id} ({stored.type}) was not applied: "
                f"{decision.note}. See Webhook events in the admin.",
            )
    return decision.status


def _wait(event_pk: int, note: str, *, now: datetime) -> str | None:
    with transaction.atomic():
        stored = StoredEvent.objects.select_for_update().get(pk=event_pk)
        if stored.status != Status.PENDING:
            return None
        stored.attempts += 1
        stored.next_attempt_at = now + services.backoff(stored.attempts)
        stored.note = note[:300]
        stored.save(update_fields=["attempts", "next_attempt_at", "note"])
        logger.warning("webhook %s waits for the provider: %s", stored.event_id, note)
        if stored.attempts == ALERT_AFTER_ATTEMPTS:
            alert_operators(
                f"Webhook event {stored.event_id} still waits for the provider",
                f"{stored.provider} event {stored.event_id} ({stored.type}): {note}. "
                "It is retried; nothing was applied on the event's word.",
            )
    return Status.PENDING


# ------------------------------------------------------------------ decisions


def _decide(event: WebhookEvent, *, now: datetime) -> Decision:
    """What to do with ``event``, from the provider's answer. Raises
    ``GatewayError`` when the provider cannot answer."""
    kind = event.type
    if kind.startswith("payment_intent."):
        return _payment_intent(event, now=now)
    if kind.startswith("charge.dispute."):
        return _dispute(event, now=now)
    if kind in ("charge.refunded", "charge.refund.updated") or kind.startswith("refund."):
        return _refund(event, now=now)
    if kind.startswith("transfer."):
        return _transfer(event, now=now)
    if kind == "account.updated" and event.account_ref:
        return _account(event)
    # Anything else is stored for reconciliation only.
    return Decision(Status.IGNORED, "nothing to apply for this type")


def _mismatch(event: WebhookEvent, *, amount: int, currency: str, at_most: bool = False) -> str:
    """The event's own claim against the deal's figures ("" when it agrees)."""
    if event.currency and event.currency != currency.upper():
        return f"currency {event.currency} differs from the deal's {currency}"
    if event.has_amount and (event.amount > amount if at_most else event.amount != amount):
        return f"amount {event.amount} differs from the deal's {amount}"
    return ""


def _payment_for(event: WebhookEvent) -> Payment | None:
    if event.payment_ref:
        payment = Payment.objects.filter(provider_ref=event.payment_ref).first()
        if payment is not None:
            return payment
    # Our record may lack the reference when the intent was created but the answer
    # lost: then our own payment id in the metadata names it.
    payment_id = event.metadata.get("payment_id", "")
    if payment_id.isdigit() and event.payment_ref:
        return Payment.objects.filter(pk=int(payment_id), provider_ref="").first()
    return None


def _payment_intent(event: WebhookEvent, *, now: datetime) -> Decision:
    payment = _payment_for(event)
    if payment is None:
        logger.info("webhook %s for an unknown payment %s", event.id, event.payment_ref)
        return Decision(Status.IGNORED, "not a payment of ours")
    wrong = _mismatch(event, amount=payment.amount, currency=payment.currency)
    if wrong:
        return Decision(Status.REFUSED, f"deal {payment.deal_id}: the event's {wrong}", alert=True)
    ref = payment.provider_ref or event.payment_ref
    answer = get_gateway().retrieve_payment(ref=ref, now=now)
    if answer.ref != ref:
        return Decision(Status.REFUSED, f"the provider answered for {answer.ref}", alert=True)
    if answer.amount != payment.amount or answer.currency.upper() != payment.currency.upper():
        return Decision(
            Status.REFUSED,
            f"deal {payment.deal_id}: the provider reports {answer.amount} {answer.currency}, "
            f"the deal is {payment.amount} {payment.currency}",
            alert=True,
        )

    def apply():
        services.record_payment_result(deal_id=payment.deal_id, result=answer, now=now)

    return Decision(Status.APPLIED, f"provider says {answer.status}", apply=apply)


def _dispute(event: WebhookEvent, *, now: datetime) -> Decision:
    if not event.object_ref:
        return Decision(Status.IGNORED, "no dispute id")
    answer = get_gateway().retrieve_dispute(ref=event.object_ref, now=now)
    payment = Payment.objects.filter(provider_ref=answer.payment_ref).first()
    if payment is None or not answer.payment_ref:
        return Decision(Status.IGNORED, "a dispute on a payment that is not ours")
    wrong = _mismatch(event, amount=payment.amount, currency=payment.currency, at_most=True)
    if not wrong and (
        answer.currency != payment.currency.upper() or answer.amount > payment.amount
    ):
        wrong = f"the provider reports {answer.amount} {answer.currency}"
    if wrong or answer.amount <= 0:
        return Decision(
            Status.REFUSED, f"deal {payment.deal_id}: dispute {wrong or 'of 0'}", alert=True
        )
    status = answer.status if answer.status in ("won", "lost") else "open"

    def apply():
        record_chargeback(
            payment_ref=payment.provider_ref,
            provider=payment.provider,
            provider_ref=answer.ref,
            amount=answer.amount,
            fee=answer.fee,
            status=status,
            reason=answer.reason,
            now=now,
        )

    return Decision(Status.APPLIED, f"provider says {answer.status}", apply=apply)


def _refund(event: WebhookEvent, *, now: datetime) -> Decision:
    """Our refunds are recorded from the provider's answer to our own call; the
    event only makes the executor look unfinished ones up at the provider."""
    payment = _payment_for(event)
    if payment is None:
        return Decision(Status.IGNORED, "a refund of a payment that is not ours")
    wrong = _mismatch(event, amount=payment.amount, currency=payment.currency, at_most=True)
    refunded = event.raw["data"]["object"].get("amount_refunded")
    if not wrong and isinstance(refunded, int) and refunded > payment.amount:
        wrong = f"amount_refunded {refunded} exceeds the deal's {payment.amount}"
    refund_id = event.metadata.get("refund_id", "")
    ours = None
    if event.object_type == "refund":
        if refund_id.isdigit():
            ours = Refund.objects.filter(pk=int(refund_id), payment=payment).first()
        if ours is None:
            wrong = wrong or "a refund we did not ask for"
        elif event.has_amount and event.amount != ours.amount:
            wrong = f"refund {ours.pk}: amount {event.amount}, ours is {ours.amount}"
    if wrong:
        return Decision(Status.REFUSED, f"deal {payment.deal_id}: {wrong}", alert=True)

    def apply():
        services.recheck_refunds(payment_id=payment.pk, now=now)

    return Decision(Status.APPLIED, "our refunds re-checked with the provider", apply=apply)


def _transfer(event: WebhookEvent, *, now: datetime) -> Decision:
    payout_id = event.metadata.get("payout_id", "")
    payout = Payout.objects.filter(pk=int(payout_id)).first() if payout_id.isdigit() else None
    if payout is None:
        return Decision(Status.IGNORED, "a transfer that is not ours")
    wrong = _mismatch(event, amount=payout.amount, currency=payout.currency)
    if wrong:
        return Decision(Status.REFUSED, f"payout {payout.pk}: the event's {wrong}", alert=True)
    if event.type == "transfer.reversed":
        return Decision(
            Status.REFUSED, f"payout {payout.pk}: the provider reports a reversal", alert=True
        )

    def apply():
        services.recheck_payout(payout_id=payout.pk, now=now)

    return Decision(Status.APPLIED, "our payout re-checked with the provider", apply=apply)


def _account(event: WebhookEvent) -> Decision:
    if not SellerPayoutAccount.objects.filter(account_ref=event.account_ref).exists():
        return Decision(Status.IGNORED, "not an account of ours")
    answer = get_gateway().retrieve_seller_account(ref=event.account_ref)

    def apply():
        services.set_payouts_enabled(account_ref=answer.ref, enabled=answer.payouts_enabled)

    return Decision(Status.APPLIED, f"payouts_enabled={answer.payouts_enabled}", apply=apply)


@shared_task(name="escrow.retry_webhook_events", acks_late=True)
def retry_webhook_events(now: str | None = None) -> int:
    """Beat job: provider events still waiting for the provider's answer."""
    return retry_pending_events(now=task_now(now))
