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

The package is split by capability: ``plumbing`` (faults, ids, signatures,
idempotency, events), ``payments`` (collect and refund), ``payouts`` (transfers
and onboarding), ``disputes`` (card disputes), ``books`` (totals and records for
reconciliation); ``SimulatedGateway`` puts them together here, at the dotted path
the settings name.
"""

from __future__ import annotations

from django.conf import settings

from ..base import PaymentGateway
from ..cards import TEST_CARDS_HELP
from ..payload import parse_stripe_shaped_event
from .books import ProviderBooks, provider_totals
from .disputes import DISPUTE_FEE, DisputeOperations
from .payments import PROCESSING_FEE_BPS, PROCESSING_FEE_FIXED, PaymentOperations
from .payouts import PAYOUT_COUNTRIES, PayoutOperations
from .plumbing import FAULTS, IDEMPOTENCY_TTL, SIGNATURE_TOLERANCE, sign, verify_signature

__all__ = [
    "DISPUTE_FEE",
    "FAULTS",
    "IDEMPOTENCY_TTL",
    "PAYOUT_COUNTRIES",
    "PROCESSING_FEE_BPS",
    "PROCESSING_FEE_FIXED",
    "SIGNATURE_TOLERANCE",
    "SimulatedGateway",
    "provider_totals",
    "sign",
    "verify_signature",
]


class SimulatedGateway(
    PaymentOperations, PayoutOperations, DisputeOperations, ProviderBooks, PaymentGateway
):
    """The simulated provider as a ``PaymentGateway``: its operations come from the
    capability classes; what is left here is its configuration and webhooks."""

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

    def parse_webhook(self, *, payload, signature):
        verify_signature(payload, signature, settings.SIMULATED_GATEWAY_SECRET, SIGNATURE_TOLERANCE)
        return parse_stripe_shaped_event(payload)

    def public_config(self) -> dict:
        return {"test_cards": TEST_CARDS_HELP}
