"""The simulated provider's plumbing: the injected faults, ids, signed events,
idempotency keys and the payment-intent helpers every operation uses."""

from __future__ import annotations

import hashlib
import hmac
import json
import secrets
import time
from datetime import datetime, timedelta

from django.conf import settings
from django.db import IntegrityError, transaction

from ...enqueue import enqueue
from ..base import (
    SUCCEEDED,
    GatewayError,
    IdempotencyConflict,
    PaymentResult,
    WebhookVerificationError,
)

IDEMPOTENCY_TTL = timedelta(hours=24)
SIGNATURE_TOLERANCE = 300  # seconds, as the Stripe SDK

#: operation name → "before" | "after"; consumed by the next call of that operation.
FAULTS: dict[str, str] = {}


def new_id(prefix: str) -> str:
    return f"{prefix}_sim_{secrets.token_hex(10)}"


def sign(payload: bytes, *, secret: str | None = None, timestamp: int | None = None) -> str:
    """A ``Stripe-Signature`` style header for ``payload``."""
    secret = secret if secret is not None else settings.SIMULATED_GATEWAY_SECRET
    timestamp = int(time.time()) if timestamp is None else timestamp
    mac = hmac.new(secret.encode(), f"{timestamp}.".encode() + payload, hashlib.sha256)
    return f"t={timestamp},v1={mac.hexdigest()}"


def verify_signature(payload: bytes, header: str, secret: str, tolerance: int) -> None:
    try:
        parts = dict(item.split("=", 1) for item in header.split(","))
        timestamp = int(parts["t"])
        given = [v for k, v in (p.split("=", 1) for p in header.split(",")) if k == "v1"]
    except (ValueError, KeyError):
        raise WebhookVerificationError("Malformed signature header.")
    expected = hmac.new(secret.encode(), f"{timestamp}.".encode() + payload, hashlib.sha256)
    if not any(hmac.compare_digest(expected.hexdigest(), v) for v in given):
        raise WebhookVerificationError("Signature mismatch.")
    if abs(time.time() - timestamp) > tolerance:
        raise WebhookVerificationError("Timestamp outside the tolerance zone.")


class SimulatedPlumbing:
    """What every operation of the simulated provider shares: faults, idempotency,
    the events it sends, and reading and describing a payment intent."""

    def _fault(self, operation: str) -> str | None:
        return FAULTS.pop(operation, None)

    def _idempotent(self, key: str, params: dict, now: datetime, produce):
        """Run ``produce()`` once per key (within 24 h); replay its stored response."""
        from ...models import SimIdempotencyKey

        digest = hashlib.sha256(json.dumps(params, sort_keys=True).encode()).hexdigest()
        SimIdempotencyKey.objects.filter(key=key, created_at__lt=now - IDEMPOTENCY_TTL).delete()
        stored = SimIdempotencyKey.objects.filter(key=key).first()
        if stored is not None:
            if stored.request_hash != digest:
                raise IdempotencyConflict()
            return stored.response
        with transaction.atomic():
            response = produce()
            try:
                with transaction.atomic():
                    SimIdempotencyKey.objects.create(
                        key=key, request_hash=digest, response=response, created_at=now
                    )
            except IntegrityError:
                # A concurrent request with the same key won; Stripe answers the
                # loser with a conflict and performs nothing.
                transaction.set_rollback(True)
                raise GatewayError("Concurrent request with the same key.", retryable=True)
        return response

    def _emit(self, type_: str, obj: dict, now: datetime) -> None:
        from ...models import SimEvent

        event_id = new_id("evt")
        payload = json.dumps(
            {
                "id": event_id,
                "object": "event",
                "type": type_,
                "created": int(now.timestamp()),
                "data": {"object": obj},
            }
        )
        SimEvent.objects.create(id=event_id, type=type_, payload=payload, created_at=now)
        # Like a real provider, the event arrives a moment later, from elsewhere:
        # a worker delivers it (signed) once this write has committed.
        # By name: the gateway sits below the tasks and never imports them.
        enqueue("escrow.deliver_simulated_event", event_id)

    @staticmethod
    def _intent_dict(pi) -> dict:
        return {
            "id": pi.id,
            "object": "payment_intent",
            "status": pi.status,
            "amount": pi.amount,
            "currency": pi.currency.lower(),
            "metadata": pi.metadata,
            "processing_fee": pi.processing_fee,
            "last_payment_error": {"code": pi.last_error} if pi.last_error else None,
        }

    @staticmethod
    def _result(pi) -> PaymentResult:
        return PaymentResult(
            ref=pi.id,
            status=pi.status,
            amount=pi.amount,
            currency=pi.currency,
            client_secret=f"{pi.id}_secret",
            processing_fee=pi.processing_fee if pi.status == SUCCEEDED else 0,
            error_code=pi.last_error,
            charge_ref=pi.id if pi.status == SUCCEEDED else "",
        )

    def _intent(self, ref: str, *, lock: bool = False):
        from ...models import SimPaymentIntent

        qs = SimPaymentIntent.objects.select_for_update() if lock else SimPaymentIntent.objects
        try:
            return qs.get(pk=ref)
        except SimPaymentIntent.DoesNotExist:
            raise GatewayError(f"No such payment_intent: {ref}", code="resource_missing")

    def _unreachable(self, operation: str) -> None:
        if self._fault(operation):
            raise GatewayError(
                "Simulated network error.", code="api_connection_error", retryable=True
            )
