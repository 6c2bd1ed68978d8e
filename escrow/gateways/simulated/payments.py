"""The simulated provider collects and refunds: payment intents through the
card checks of Stripe's test mode (``escrow.gateways.cards``), and refunds."""

from __future__ import annotations

from django.db import transaction

from kernel.money import apply_bps

from ..base import (
    CANCELED,
    REQUIRES_ACTION,
    REQUIRES_PAYMENT_METHOD,
    SUCCEEDED,
    GatewayError,
    RefundResult,
)
from ..cards import AUTHENTICATION_CARDS, DECLINING_CARDS, card_digits, card_error
from .plumbing import SimulatedPlumbing, new_id

PROCESSING_FEE_BPS = 290
PROCESSING_FEE_FIXED = 30


class PaymentOperations(SimulatedPlumbing):
    """Collecting the buyer's money and giving it back."""

    # ------------------------------------------------------------------ collect

    def create_payment(self, *, amount, currency, idempotency_key, metadata, now):
        from ...models import SimPaymentIntent

        if amount <= 0:
            raise GatewayError("Amount must be positive.", code="amount_too_small")

        def produce():
            pi = SimPaymentIntent.objects.create(
                id=new_id("pi"),
                amount=amount,
                currency=currency.upper(),
                metadata=metadata,
                created_at=now,
            )
            return {"id": pi.id}

        params = {"amount": amount, "currency": currency.upper(), "metadata": metadata}
        response = self._idempotent(idempotency_key, params, now, produce)
        return self._result(self._intent(response["id"]))

    def retrieve_payment(self, *, ref, now):
        self._unreachable("retrieve")
        return self._result(self._intent(ref))

    def confirm_payment(self, *, ref, card, now):
        number = card_digits(card)
        with transaction.atomic():
            pi = self._intent(ref, lock=True)
            if pi.status in (SUCCEEDED, CANCELED, REQUIRES_ACTION):
                # A double click or a replay: the payment is already decided or
                # waiting for its authentication step.
                return self._result(pi)
            error = card_error(card, now) or DECLINING_CARDS.get(number, "")
            if error:
                pi.last_error = error
            elif number in AUTHENTICATION_CARDS:
                pi.status, pi.last_error = REQUIRES_ACTION, ""
            else:
                self._succeed(pi, now)
            if pi.last_error:
                pi.status = REQUIRES_PAYMENT_METHOD
                pi.save()
                self._emit("payment_intent.payment_failed", self._intent_dict(pi), now)
            else:
                pi.save()
            return self._result(pi)

    def _succeed(self, pi, now) -> None:
        pi.status, pi.last_error = SUCCEEDED, ""
        pi.processing_fee = apply_bps(pi.amount, PROCESSING_FEE_BPS) + PROCESSING_FEE_FIXED
        pi.save()
        self._emit("payment_intent.succeeded", self._intent_dict(pi), now)

    def complete_authentication(self, *, ref, success, now):
        with transaction.atomic():
            pi = self._intent(ref, lock=True)
            if pi.status != REQUIRES_ACTION:
                return self._result(pi)
            if success:
                self._succeed(pi, now)
            else:
                pi.status, pi.last_error = REQUIRES_PAYMENT_METHOD, "authentication_failed"
                pi.save()
                self._emit("payment_intent.payment_failed", self._intent_dict(pi), now)
            return self._result(pi)

    def cancel_payment(self, *, ref, now):
        with transaction.atomic():
            pi = self._intent(ref, lock=True)
            if pi.status == SUCCEEDED:
                raise GatewayError("A succeeded payment cannot be canceled.", code="invalid_state")
            if pi.status != CANCELED:
                pi.status = CANCELED
                pi.save()
                self._emit("payment_intent.canceled", self._intent_dict(pi), now)
            return self._result(pi)

    # ------------------------------------------------------------------- refund

    def refund(self, *, payment_ref, amount, idempotency_key, metadata, now):
        from ...models import SimRefund

        fault = self._fault("refund")
        if fault == "before":
            raise GatewayError(
                "Simulated network error.", code="api_connection_error", retryable=True
            )

        def produce():
            pi = self._intent(payment_ref, lock=True)
            if pi.status != SUCCEEDED:
                raise GatewayError("Payment not captured.", code="charge_not_captured")
            if amount <= 0 or amount > pi.amount - pi.amount_refunded:
                raise GatewayError("Charge already refunded.", code="charge_already_refunded")
            refund = SimRefund.objects.create(
                id=new_id("re"),
                payment_intent=pi,
                amount=amount,
                metadata=metadata,
                created_at=now,
            )
            pi.amount_refunded += amount
            pi.save()
            self._emit(
                "charge.refunded",
                {**self._intent_dict(pi), "object": "charge", "payment_intent": pi.id},
                now,
            )
            return {"id": refund.id, "amount": amount}

        params = {"payment": payment_ref, "amount": amount, "metadata": metadata}
        response = self._idempotent(idempotency_key, params, now, produce)
        if fault == "after":
            raise GatewayError(
                "Simulated lost response.", code="api_connection_error", retryable=True
            )
        return RefundResult(ref=response["id"], status="succeeded", amount=response["amount"])

    def find_refund(self, *, payment_ref, metadata, now):
        from ...models import SimRefund

        qs = SimRefund.objects.filter(payment_intent_id=payment_ref)
        for key, value in metadata.items():
            qs = qs.filter(**{f"metadata__{key}": value})
        refund = qs.first()
        if refund is None:
            return None
        return RefundResult(ref=refund.id, status="succeeded", amount=refund.amount)
