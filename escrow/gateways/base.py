"""The payment-gateway adapter: the only way escrow talks to a payment provider.

Frozen dataclasses cross the boundary; no provider object leaks into services.
Every call that moves money takes an ``idempotency_key`` derived from our own ids
(``payment-<id>``, ``refund-<id>``, ``payout-<id>``) and ``metadata`` naming our
record, so a retry after the provider forgot the key can still find what the first
attempt did (``find_transfer`` / ``find_refund``).

``now`` is passed through so the simulated provider can honour time moved by tests;
real providers ignore it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime


class GatewayError(Exception):
    """The provider refused or could not be reached.

    ``retryable`` is True when the outcome is unknown or temporary (network error,
    timeout, 5xx): the caller keeps its record "requested" and retries later, after
    looking the operation up first.
    """

    def __init__(self, message: str = "", *, code: str = "gateway_error", retryable: bool = False):
        super().__init__(message or code)
        self.code = code
        self.retryable = retryable


class CardDeclined(GatewayError):
    def __init__(self, message: str = "Your card was declined.", *, code: str = "card_declined"):
        super().__init__(message, code=code, retryable=False)


class IdempotencyConflict(GatewayError):
    def __init__(self, message: str = "Idempotency key reused with different parameters."):
        super().__init__(message, code="idempotency_key_in_use", retryable=False)


class WebhookVerificationError(GatewayError):
    def __init__(self, message: str = "Webhook signature could not be verified."):
        super().__init__(message, code="bad_signature", retryable=False)


# Payment statuses, as Stripe names them.
REQUIRES_PAYMENT_METHOD = "requires_payment_method"
REQUIRES_ACTION = "requires_action"
PROCESSING = "processing"
SUCCEEDED = "succeeded"
CANCELED = "canceled"


@dataclass(frozen=True)
class PaymentResult:
    ref: str
    status: str
    amount: int
    currency: str
    client_secret: str = ""
    processing_fee: int = 0
    error_code: str = ""
    error_message: str = ""
    charge_ref: str = ""


@dataclass(frozen=True)
class RefundResult:
    ref: str
    status: str  # "succeeded" | "pending" | "failed"
    amount: int


@dataclass(frozen=True)
class TransferResult:
    ref: str
    amount: int
    destination: str


@dataclass(frozen=True)
class SellerAccount:
    ref: str
    payouts_enabled: bool
    country: str = ""
    onboarding_url: str = ""


@dataclass(frozen=True)
class WebhookEvent:
    id: str
    type: str
    payment_ref: str = ""
    status: str = ""
    amount: int = 0
    processing_fee: int = 0
    account_ref: str = ""
    payouts_enabled: bool | None = None
    error_code: str = ""
    #: the event's object (``payment_intent``, ``refund``, ``dispute`` …) and its id
    object_type: str = ""
    object_ref: str = ""
    currency: str = ""
    #: whether the event named an amount at all (``amount`` is 0 otherwise)
    has_amount: bool = False
    metadata: dict = field(default_factory=dict, compare=False)
    raw: dict = field(default_factory=dict, compare=False, repr=False)


@dataclass(frozen=True)
class DisputeResult:
    """A card dispute as the provider reports it. ``status`` is Stripe's
    (``needs_response`` … ``won`` / ``lost``); ``fee`` what the provider kept."""

    ref: str
    payment_ref: str
    amount: int
    currency: str
    fee: int = 0
    status: str = ""
    reason: str = ""


@dataclass(frozen=True)
class ProviderRecord:
    """One money movement as the provider's own books show it (reconciliation).

    ``kind``: payment | refund | transfer | dispute. ``amount`` and ``fee`` are
    positive minor units; ``payment_ref`` names the payment a refund or dispute
    belongs to; ``metadata`` is what we attached (our record ids)."""

    kind: str
    ref: str
    amount: int
    currency: str = ""
    fee: int = 0
    status: str = ""
    payment_ref: str = ""
    metadata: dict = field(default_factory=dict, compare=False)
    created: datetime | None = None


class PaymentGateway:
    """Interface every gateway implements. ``name`` is stored on our records."""

    name = "abstract"
    #: template rendering the card form on the payment page
    payment_template = ""
    #: Sellers in these countries can be paid through the provider; others get
    #: the manual rail (an operator records the bank transfer).
    payout_countries: frozenset[str] = frozenset()

    @classmethod
    def check_configuration(cls) -> list[str]:
        return []

    # collect
    def create_payment(
        self, *, amount: int, currency: str, idempotency_key: str, metadata: dict, now: datetime
    ) -> PaymentResult:
        raise NotImplementedError

    def retrieve_payment(self, *, ref: str, now: datetime) -> PaymentResult:
        raise NotImplementedError

    def confirm_payment(self, *, ref: str, card: dict, now: datetime) -> PaymentResult:
        """Confirm on the server with an on-site card form (simulated gateway only;
        with Stripe the Payment Element confirms in the browser)."""
        raise NotImplementedError

    def complete_authentication(self, *, ref: str, success: bool, now: datetime) -> PaymentResult:
        raise NotImplementedError

    def cancel_payment(self, *, ref: str, now: datetime) -> PaymentResult:
        raise NotImplementedError

    # refund
    def refund(
        self, *, payment_ref: str, amount: int, idempotency_key: str, metadata: dict, now: datetime
    ) -> RefundResult:
        raise NotImplementedError

    def find_refund(
        self, *, payment_ref: str, metadata: dict, now: datetime
    ) -> RefundResult | None:
        raise NotImplementedError

    # pay out
    def transfer(
        self,
        *,
        amount: int,
        currency: str,
        destination: str,
        source_payment_ref: str,
        idempotency_key: str,
        metadata: dict,
        now: datetime,
    ) -> TransferResult:
        raise NotImplementedError

    def find_transfer(self, *, metadata: dict, now: datetime) -> TransferResult | None:
        """The transfer whose metadata contains ``metadata``, or None."""
        raise NotImplementedError

    # onboard
    def onboard_seller(
        self, *, email: str, country: str, account_ref: str, return_url: str, refresh_url: str
    ) -> SellerAccount:
        raise NotImplementedError

    def retrieve_seller_account(self, *, ref: str) -> SellerAccount:
        raise NotImplementedError

    def retrieve_dispute(self, *, ref: str, now: datetime) -> DisputeResult:
        """The provider's own record of a card dispute (webhooks never decide alone)."""
        raise NotImplementedError

    # webhooks
    def parse_webhook(self, *, payload: bytes, signature: str) -> WebhookEvent:
        """Verify signature and timestamp tolerance, then parse. Raises
        ``WebhookVerificationError`` for anything forged, stale or malformed."""
        raise NotImplementedError

    def public_config(self) -> dict:
        """Values the payment page may show the browser (publishable key …)."""
        return {}

    # reconcile
    def provider_records(self, *, now: datetime) -> list[ProviderRecord]:
        """Every payment, refund, transfer and card dispute the provider holds for
        this platform (its own books), for ``escrow.reconciliation``."""
        raise NotImplementedError
