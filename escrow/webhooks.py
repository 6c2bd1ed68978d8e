"""Provider events: verify, de-duplicate by event id, then apply.

Applying an event is order-independent: each handler moves our records only
forward (a payment recorded as succeeded is never undone by a later failure event;
a duplicate is ignored), so events that arrive twice or out of order do no harm.
"""

from __future__ import annotations

import json
import logging

from django.db import IntegrityError, transaction
from django.utils import timezone

from . import services
from .gateways import get_gateway
from .gateways.base import (
    SUCCEEDED,
    GatewayError,
    PaymentResult,
    WebhookEvent,
    WebhookVerificationError,
)
from .models import Payment
from .models import WebhookEvent as StoredEvent

logger = logging.getLogger(__name__)


def handle_webhook(*, payload: bytes, signature: str) -> int:
    """Verify and apply one delivery; returns the HTTP status to answer with:
    400 for a forged, stale or malformed event (nothing changes), 200 otherwise."""
    gateway = get_gateway()
    try:
        event = gateway.parse_webhook(payload=payload, signature=signature)
    except WebhookVerificationError as exc:
        logger.warning("webhook refused: %s", exc)
        return 400
    apply_event(event=event, provider=gateway.name)
    return 200


def apply_event(*, event: WebhookEvent, provider: str) -> bool:
    """Record the event id (unique) and apply it in the same transaction. Returns
    False for a duplicate."""
    now = timezone.now()
    if StoredEvent.objects.filter(provider=provider, event_id=event.id).exists():
        return False  # a duplicate delivery
    fetched = None
    if event.type == "payment_intent.succeeded" and event.payment_ref:
        # Read the payment from the provider (outside any transaction) rather than
        # trusting the event alone: it also gives the processing fee.
        try:
            fetched = get_gateway().retrieve_payment(ref=event.payment_ref, now=now)
        except GatewayError:
            fetched = None
    try:
        with transaction.atomic():
            StoredEvent.objects.create(
                provider=provider,
                event_id=event.id,
                type=event.type,
                payload=json.loads(json.dumps(event.raw, default=str)),
                received_at=now,
                processed_at=now,
            )
            _dispatch(event, now=now, fetched=fetched)
    except IntegrityError:
        if StoredEvent.objects.filter(provider=provider, event_id=event.id).exists():
            return False  # a duplicate delivery
        raise
    return True


def _payment_for(event: WebhookEvent) -> Payment | None:
    payment = None
    if event.payment_ref:
        payment = Payment.objects.filter(provider_ref=event.payment_ref).first()
    if payment is None:
        obj = (event.raw.get("data") or {}).get("object") or {}
        payment_id = (obj.get("metadata") or {}).get("payment_id")
        if payment_id and str(payment_id).isdigit():
            payment = Payment.objects.filter(pk=int(payment_id)).first()
    return payment


def _dispatch(event: WebhookEvent, *, now, fetched: PaymentResult | None = None) -> None:
    if event.type.startswith("payment_intent."):
        payment = _payment_for(event)
        if payment is None:
            logger.info("webhook %s for an unknown payment %s", event.id, event.payment_ref)
            return
        status = SUCCEEDED if event.type == "payment_intent.succeeded" else event.status
        error = event.error_code or (
            "payment_failed" if event.type.endswith("payment_failed") else ""
        )
        if event.type == "payment_intent.canceled":
            return  # we cancel intents ourselves; nothing to record
        if fetched is not None and fetched.status == SUCCEEDED:
            services.record_payment_result(deal_id=payment.deal_id, result=fetched, now=now)
            return
        services.record_payment_result(
            deal_id=payment.deal_id,
            result=PaymentResult(
                ref=event.payment_ref or payment.provider_ref,
                status=status,
                amount=event.amount,
                currency=payment.currency,
                processing_fee=event.processing_fee,
                error_code=error if status != SUCCEEDED else "",
            ),
            now=now,
        )
    elif event.type == "account.updated" and event.account_ref:
        services.set_payouts_enabled(
            account_ref=event.account_ref, enabled=bool(event.payouts_enabled)
        )
    elif event.type in ("charge.dispute.created", "charge.dispute.closed"):
        _chargeback(event, provider=get_gateway().name, now=now)
    # charge.refunded, transfer.*, charge.dispute.updated/funds_*: our own records
    # are written when the call returns or by the events above; the event is
    # stored for reconciliation.


def _chargeback(event: WebhookEvent, *, provider: str, now) -> None:
    from .protection import record_chargeback

    obj = (event.raw.get("data") or {}).get("object") or {}
    fee = 0
    for txn in obj.get("balance_transactions") or []:
        if isinstance(txn, dict):
            fee += int(txn.get("fee") or 0)
    payment_ref = event.payment_ref
    if not payment_ref:
        payment = _payment_for(event)
        payment_ref = payment.provider_ref if payment is not None else ""
    status = str(obj.get("status") or "")
    record_chargeback(
        payment_ref=payment_ref,
        provider=provider,
        provider_ref=str(obj.get("id") or ""),
        amount=int(obj.get("amount") or 0),
        fee=fee,
        status=status if event.type.endswith("closed") else "open",
        reason=str(obj.get("reason") or ""),
        now=now,
    )
