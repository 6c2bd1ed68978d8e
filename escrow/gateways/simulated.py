"""The simulated gateway: the embedded default, a provider that lives in our own
database and behaves like Stripe in test mode.

- The card form is on our own site. Cards act like Stripe's test mode
  (``escrow.gateways.cards``): a number failing its checksum, an expired card, a
  bad expiry or security code are refused with Stripe's codes;
  ``4242 4242 4242 4242`` succeeds; ``4000 0000 0000 0002`` is declined
  (``card_declined``), ``…9995`` for insufficient funds, ``…0069`` as expired,
  ``…0127`` for an incorrect CVC; ``4000 0025 0000 3155`` requires authentication
  (a confirm step, like 3-D Secure); a number that is not a test card is declined.
- Funds are captured at once; the provider keeps a processing fee of 2.9 % + 30
  minor units (rounded half up), also when the payment is later refunded.
- Idempotency keys are remembered for 24 hours: a replay with the same parameters
  returns the stored response, different parameters are refused
  (``IdempotencyConflict``). After 24 hours the key is forgotten, as Stripe does.
- It keeps its own totals (``provider_totals``): captured, refunded, transferred,
  fees — the figures a reconciliation compares our books with.
- It sends itself signed, Stripe-shaped events (``payment_intent.succeeded`` …):
  after commit a Celery task signs each one and hands it to our webhook handler
  (the same verification code as ``/webhooks/stripe/``), a moment later, as a
  real provider would.

Its rows are written outside our own transactions (services never call a gateway
inside ``transaction.atomic``), so like a real provider it remembers what it did
even when our side rolls back.

``FAULTS`` lets tests make the outside world misbehave: ``FAULTS["transfer"] =
"before"`` fails the next transfer without doing it, ``"after"`` does it and then
loses the response (the caller sees a retryable error); ``FAULTS["retrieve"]``
makes the next read of a payment or dispute fail as if the provider were down.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import secrets
import time
from datetime import datetime, timedelta

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Sum

from kernel.money import apply_bps

from ..enqueue import enqueue
from .base import (
    CANCELED,
    REQUIRES_ACTION,
    REQUIRES_PAYMENT_METHOD,
    SUCCEEDED,
    DisputeResult,
    GatewayError,
    IdempotencyConflict,
    PaymentGateway,
    PaymentResult,
    ProviderRecord,
    RefundResult,
    SellerAccount,
    TransferResult,
    WebhookVerificationError,
)
from .cards import (
    AUTHENTICATION_CARDS,
    DECLINING_CARDS,
    TEST_CARDS_HELP,
    card_digits,
    card_error,
)
from .payload import parse_stripe_shaped_event

logger = logging.getLogger(__name__)

IDEMPOTENCY_TTL = timedelta(hours=24)
SIGNATURE_TOLERANCE = 300  # seconds, as the Stripe SDK
PROCESSING_FEE_BPS = 290
PROCESSING_FEE_FIXED = 30
#: What the provider keeps for handling a card dispute (Stripe: 15.00 USD).
DISPUTE_FEE = 1500

# Countries where the simulated "Connect" can pay sellers; others use the manual rail.
PAYOUT_COUNTRIES = frozenset(
    "US CA GB IE DE FR ES IT NL BE AT PT FI SE DK NO CH PL CZ AU NZ JP SG HK MY TH".split()
)

#: operation name → "before" | "after"; consumed by the next call of that operation.
FAULTS: dict[str, str] = {}


def _new_id(prefix: str) -> str:
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


def provider_totals() -> dict[str, int]:
    """The simulated provider's own books, in minor units. A card dispute takes
    its amount and fee out of the balance; a won dispute gives the amount back."""
    from ..models import SimDispute, SimPaymentIntent, SimRefund, SimTransfer

    succeeded = SimPaymentIntent.objects.filter(status=SUCCEEDED)
    captured = succeeded.aggregate(s=Sum("amount"))["s"] or 0
    fees = succeeded.aggregate(s=Sum("processing_fee"))["s"] or 0
    refunded = SimRefund.objects.aggregate(s=Sum("amount"))["s"] or 0
    transferred = SimTransfer.objects.aggregate(s=Sum("amount"))["s"] or 0
    disputed = SimDispute.objects.exclude(status="won").aggregate(s=Sum("amount"))["s"] or 0
    dispute_fees = SimDispute.objects.aggregate(s=Sum("fee"))["s"] or 0
    return {
        "captured": captured,
        "refunded": refunded,
        "transferred": transferred,
        "fees": fees,
        "disputed": disputed,
        "dispute_fees": dispute_fees,
        "balance": captured - fees - refunded - transferred - disputed - dispute_fees,
    }


class SimulatedGateway(PaymentGateway):
    name = "simulated"
    payment_template = "escrow/gateways/simulated_form.html"
    payout_countries = PAYOUT_COUNTRIES

    @classmethod
    def check_configuration(cls) -> list[str]:
        if settings.PRODUCTION:
            return ["the simulated gateway moves no real money; set PAYMENT_GATEWAY to Stripe."]
        if len(settings.SIMULATED_GATEWAY_SECRET) < 16:
            return ["SIMULATED_GATEWAY_SECRET must be at least 16 characters."]
        return []

    # ---------------------------------------------------------------- plumbing

    def _fault(self, operation: str) -> str | None:
        return FAULTS.pop(operation, None)

    def _idempotent(self, key: str, params: dict, now: datetime, produce):
        """Run ``produce()`` once per key (within 24 h); replay its stored response."""
        from ..models import SimIdempotencyKey

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
        from ..models import SimEvent

        event_id = _new_id("evt")
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
        from ..models import SimPaymentIntent

        qs = SimPaymentIntent.objects.select_for_update() if lock else SimPaymentIntent.objects
        try:
            return qs.get(pk=ref)
        except SimPaymentIntent.DoesNotExist:
            raise GatewayError(f"No such payment_intent: {ref}", code="resource_missing")

    # ------------------------------------------------------------------ collect

    def create_payment(self, *, amount, currency, idempotency_key, metadata, now):
        from ..models import SimPaymentIntent

        if amount <= 0:
            raise GatewayError("Amount must be positive.", code="amount_too_small")

        def produce():
            pi = SimPaymentIntent.objects.create(
                id=_new_id("pi"),
                amount=amount,
                currency=currency.upper(),
                metadata=metadata,
                created_at=now,
            )
            return {"id": pi.id}

        params = {"amount": amount, "currency": currency.upper(), "metadata": metadata}
        response = self._idempotent(idempotency_key, params, now, produce)
        return self._result(self._intent(response["id"]))

    def _unreachable(self, operation: str) -> None:
        if self._fault(operation):
            raise GatewayError(
                "Simulated network error.", code="api_connection_error", retryable=True
            )

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
        from ..models import SimRefund

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
                id=_new_id("re"),
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
        from ..models import SimRefund

        qs = SimRefund.objects.filter(payment_intent_id=payment_ref)
        for key, value in metadata.items():
            qs = qs.filter(**{f"metadata__{key}": value})
        refund = qs.first()
        if refund is None:
            return None
        return RefundResult(ref=refund.id, status="succeeded", amount=refund.amount)

    # ------------------------------------------------------------------ pay out

    def transfer(
        self, *, amount, currency, destination, source_payment_ref, idempotency_key, metadata, now
    ):
        from ..models import SimConnectedAccount, SimTransfer

        fault = self._fault("transfer")
        if fault == "before":
            raise GatewayError(
                "Simulated network error.", code="api_connection_error", retryable=True
            )

        def produce():
            account = SimConnectedAccount.objects.filter(pk=destination).first()
            if account is None or not account.payouts_enabled:
                raise GatewayError("Destination cannot receive payouts.", code="account_invalid")
            if source_payment_ref:
                source = self._intent(source_payment_ref)
                if source.status != SUCCEEDED or amount > source.amount - source.amount_refunded:
                    raise GatewayError(
                        "Transfer exceeds the source charge.", code="insufficient_funds"
                    )
            transfer = SimTransfer.objects.create(
                id=_new_id("tr"),
                amount=amount,
                currency=currency.upper(),
                destination=destination,
                source_transaction=source_payment_ref,
                metadata=metadata,
                created_at=now,
            )
            return {"id": transfer.id, "amount": amount, "destination": destination}

        params = {
            "amount": amount,
            "currency": currency.upper(),
            "destination": destination,
            "source": source_payment_ref,
            "metadata": metadata,
        }
        response = self._idempotent(idempotency_key, params, now, produce)
        if fault == "after":
            raise GatewayError(
                "Simulated lost response.", code="api_connection_error", retryable=True
            )
        return TransferResult(
            ref=response["id"], amount=response["amount"], destination=response["destination"]
        )

    def find_transfer(self, *, metadata, now):
        from ..models import SimTransfer

        qs = SimTransfer.objects.all()
        for key, value in metadata.items():
            qs = qs.filter(**{f"metadata__{key}": value})
        transfer = qs.order_by("created_at").first()
        if transfer is None:
            return None
        return TransferResult(
            ref=transfer.id, amount=transfer.amount, destination=transfer.destination
        )

    # ------------------------------------------------------------------ onboard

    def onboard_seller(self, *, email, country, account_ref, return_url, refresh_url):
        from ..models import SimConnectedAccount

        account = (
            SimConnectedAccount.objects.filter(pk=account_ref).first() if account_ref else None
        )
        if account is None:
            account = SimConnectedAccount.objects.create(
                id=_new_id("acct"), email=email, country=country.upper()
            )
        # The simulated onboarding form is always completed at once.
        account.payouts_enabled = account.country in PAYOUT_COUNTRIES
        account.save()
        return SellerAccount(
            ref=account.id,
            payouts_enabled=account.payouts_enabled,
            country=account.country,
            onboarding_url=return_url,
        )

    def retrieve_seller_account(self, *, ref):
        from ..models import SimConnectedAccount

        account = SimConnectedAccount.objects.filter(pk=ref).first()
        if account is None:
            raise GatewayError(f"No such account: {ref}", code="resource_missing")
        return SellerAccount(
            ref=account.id, payouts_enabled=account.payouts_enabled, country=account.country
        )

    # ----------------------------------------------------------------- webhooks

    def retrieve_dispute(self, *, ref, now):
        from ..models import SimDispute

        self._unreachable("retrieve")

        dispute = SimDispute.objects.select_related("payment_intent").filter(pk=ref).first()
        if dispute is None:
            raise GatewayError(f"No such dispute: {ref}", code="resource_missing")
        return DisputeResult(
            ref=dispute.id,
            payment_ref=dispute.payment_intent_id,
            amount=dispute.amount,
            currency=dispute.payment_intent.currency.upper(),
            fee=dispute.fee,
            status=dispute.status,
            reason=dispute.reason,
        )

    def parse_webhook(self, *, payload, signature):
        verify_signature(payload, signature, settings.SIMULATED_GATEWAY_SECRET, SIGNATURE_TOLERANCE)
        return parse_stripe_shaped_event(payload)

    def public_config(self) -> dict:
        return {"test_cards": TEST_CARDS_HELP}

    # ---------------------------------------------------------- card disputes

    def open_chargeback(self, *, payment_ref, now, reason="fraudulent", amount=None):
        """The outside world: the buyer's bank disputes the charge. Takes the
        amount and the dispute fee out of the balance and sends
        ``charge.dispute.created``. Returns the dispute id."""
        from ..models import SimDispute

        with transaction.atomic():
            pi = self._intent(payment_ref, lock=True)
            if pi.status != SUCCEEDED:
                raise GatewayError("Payment not captured.", code="charge_not_captured")
            amount = amount if amount is not None else pi.amount - pi.amount_refunded
            dispute = SimDispute.objects.create(
                id=_new_id("dp"),
                payment_intent=pi,
                amount=amount,
                fee=DISPUTE_FEE,
                reason=reason,
                created_at=now,
            )
            self._emit("charge.dispute.created", self._dispute_dict(dispute), now)
        return dispute.id

    def close_chargeback(self, *, dispute_ref, won, now):
        """The card network decides: ``won`` returns the amount (the fee stays
        with the provider). Sends ``charge.dispute.closed``."""
        from ..models import SimDispute

        with transaction.atomic():
            dispute = SimDispute.objects.select_for_update().get(pk=dispute_ref)
            if dispute.status in ("won", "lost"):
                return dispute.id
            dispute.status = "won" if won else "lost"
            dispute.save()
            self._emit("charge.dispute.closed", self._dispute_dict(dispute), now)
        return dispute.id

    @staticmethod
    def _dispute_dict(dispute) -> dict:
        return {
            "id": dispute.id,
            "object": "dispute",
            "amount": dispute.amount,
            "currency": dispute.payment_intent.currency.lower(),
            "payment_intent": dispute.payment_intent_id,
            "charge": dispute.payment_intent_id,
            "status": dispute.status,
            "reason": dispute.reason,
            "balance_transactions": [{"fee": dispute.fee}],
        }

    # -------------------------------------------------------------- reconcile

    def provider_records(self, *, now):
        from ..models import SimDispute, SimPaymentIntent, SimRefund, SimTransfer

        records = [
            ProviderRecord(
                kind="payment",
                ref=pi.id,
                amount=pi.amount,
                currency=pi.currency,
                fee=pi.processing_fee,
                status=pi.status,
                metadata=pi.metadata,
                created=pi.created_at,
            )
            for pi in SimPaymentIntent.objects.filter(status=SUCCEEDED)
        ]
        records += [
            ProviderRecord(
                kind="refund",
                ref=r.id,
                amount=r.amount,
                payment_ref=r.payment_intent_id,
                metadata=r.metadata,
                created=r.created_at,
            )
            for r in SimRefund.objects.all()
        ]
        records += [
            ProviderRecord(
                kind="transfer",
                ref=t.id,
                amount=t.amount,
                currency=t.currency,
                payment_ref=t.source_transaction,
                metadata=t.metadata,
                created=t.created_at,
            )
            for t in SimTransfer.objects.all()
        ]
        records += [
            ProviderRecord(
                kind="dispute",
                ref=d.id,
                amount=d.amount,
                fee=d.fee,
                status=d.status,
                payment_ref=d.payment_intent_id,
                created=d.created_at,
            )
            for d in SimDispute.objects.all()
        ]
        return records
