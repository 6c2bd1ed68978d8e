"""The Stripe gateway: PaymentIntents (automatic capture) confirmed in the browser by
the Payment Element (including the card's authentication step), ``payment_intent.*``
webhooks, Connect Express onboarding and Transfers ("separate charges and
transfers": the money stays in the platform balance while in escrow).

- A transfer is created only when the connected account has ``payouts_enabled``;
  it names ``source_transaction`` (the charge) and ``transfer_group`` ``deal-<id>``,
  so a retry can find it by listing the group and matching our metadata.
- Sellers in countries Stripe Connect cannot pay use the manual rail (see
  ``SellerPayoutAccount``); this gateway never sees them.

Tests run it against localstripe (collect, refund, signed webhooks) with the
Connect endpoints stubbed at the HTTP layer (``http_client``).
"""

from __future__ import annotations

import stripe
from django.conf import settings

from . import payload
from .base import (
    SUCCEEDED,
    CardDeclined,
    DisputeResult,
    GatewayError,
    PaymentGateway,
    PaymentResult,
    ProviderRecord,
    RefundResult,
    SellerAccount,
    TransferResult,
    WebhookVerificationError,
)
from .payload import parse_stripe_shaped_event
from .simulated import PAYOUT_COUNTRIES

SIGNATURE_TOLERANCE = 300


def _error(exc: stripe.StripeError) -> GatewayError:
    code = getattr(exc, "code", None) or type(exc).__name__
    if isinstance(exc, stripe.CardError):
        return CardDeclined(str(exc.user_message or exc), code=code)
    retryable = (
        isinstance(exc, stripe.APIConnectionError | stripe.RateLimitError | stripe.APIError)
        or (getattr(exc, "http_status", 0) or 0) >= 500
    )
    return GatewayError(str(exc), code=str(code), retryable=retryable)


def _d(obj):
    """Stripe objects → plain dicts at the boundary (nested objects too)."""
    return obj.to_dict() if hasattr(obj, "to_dict") else obj


def _id(value) -> str:
    """localstripe returns expanded objects where Stripe returns ids."""
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    return value.get("id", "") if hasattr(value, "get") else getattr(value, "id", "")


#: Currencies whose amounts Stripe counts otherwise than ISO 4217's minor units,
#: or only in multiples of ten or a hundred (Stripe's "special cases"); every
#: amount here is in ISO minor units (kernel.money), so these are refused.
STRIPE_SPECIAL_CURRENCIES = frozenset(
    {"ISK", "HUF", "TWD", "UGX", "BHD", "JOD", "KWD", "OMR", "TND"}
)


class StripeGateway(PaymentGateway):
    name = "stripe"
    payment_template = "escrow/gateways/stripe_form.html"
    payout_countries = PAYOUT_COUNTRIES

    def __init__(
        self, *, http_client=None, api_key: str | None = None, api_base: str | None = None
    ):
        api_base = api_base if api_base is not None else settings.STRIPE_API_BASE
        kwargs = {}
        if api_base:
            kwargs["base_addresses"] = {"api": api_base}
        if http_client is not None:
            kwargs["http_client"] = http_client
        self.client = stripe.StripeClient(
            api_key or settings.STRIPE_SECRET_KEY or "sk_test_unset",
            max_network_retries=2,
            **kwargs,
        )

    @classmethod
    def check_configuration(cls) -> list[str]:
        problems = []
        if not settings.STRIPE_SECRET_KEY:
            problems.append("STRIPE_SECRET_KEY is not set.")
        if not settings.STRIPE_PUBLISHABLE_KEY:
            problems.append("STRIPE_PUBLISHABLE_KEY is not set.")
        if not settings.STRIPE_WEBHOOK_SECRET:
            problems.append("STRIPE_WEBHOOK_SECRET is not set.")
        currency = settings.SETTLEMENT_CURRENCY.upper()
        if currency in STRIPE_SPECIAL_CURRENCIES:
            problems.append(
                f"SETTLEMENT_CURRENCY={currency}: Stripe's amounts in {currency} do not follow "
                "ISO 4217 minor units (https://docs.stripe.com/currencies#special-cases) and "
                "this gateway does not convert them; choose another settlement currency."
            )
        return problems

    # ------------------------------------------------------------------ collect

    def _result(self, pi) -> PaymentResult:
        status = pi["status"]
        fee = 0
        charge = pi.get("latest_charge")
        if status == SUCCEEDED and charge is not None:
            fee = self._fee(charge)
        error = pi.get("last_payment_error") or {}
        return PaymentResult(
            ref=pi["id"],
            status=status,
            amount=int(pi["amount"]),
            currency=str(pi["currency"]).upper(),
            client_secret=pi.get("client_secret") or "",
            processing_fee=fee,
            error_code=(error.get("code") or "") if status != SUCCEEDED else "",
            error_message=(error.get("message") or "") if status != SUCCEEDED else "",
            charge_ref=_id(charge),
        )

    def _fee(self, charge) -> int:
        """What Stripe keeps (the charge's balance transaction); 0 if unknown."""
        try:
            if isinstance(charge, str):
                charge = _d(
                    self.client.v1.charges.retrieve(
                        charge, params={"expand": ["balance_transaction"]}
                    )
                )
            txn = charge.get("balance_transaction")
            if isinstance(txn, str):
                txn = _d(self.client.v1.balance_transactions.retrieve(txn))
            return int(txn.get("fee") or 0) if txn else 0
        except (stripe.StripeError, AttributeError, TypeError, ValueError, OverflowError):
            return 0

    def create_payment(self, *, amount, currency, idempotency_key, metadata, now):
        try:
            pi = _d(
                self.client.v1.payment_intents.create(
                    params={
                        "amount": amount,
                        "currency": currency.lower(),
                        "payment_method_types": ["card"],
                        "capture_method": "automatic",
                        "metadata": metadata,
                    },
                    options={"idempotency_key": idempotency_key},
                )
            )
        except stripe.StripeError as exc:
            raise _error(exc)
        return self._result(pi)

    def retrieve_payment(self, *, ref, now):
        try:
            return self._result(_d(self.client.v1.payment_intents.retrieve(ref)))
        except stripe.StripeError as exc:
            raise _error(exc)

    def confirm_payment(self, *, ref, card, now):
        raise GatewayError("With Stripe the Payment Element confirms in the browser.")

    def complete_authentication(self, *, ref, success, now):
        # The Payment Element runs the authentication step; we only read the outcome.
        return self.retrieve_payment(ref=ref, now=now)

    def cancel_payment(self, *, ref, now):
        try:
            return self._result(_d(self.client.v1.payment_intents.cancel(ref)))
        except stripe.StripeError as exc:
            raise _error(exc)

    # ------------------------------------------------------------------- refund

    def refund(self, *, payment_ref, amount, idempotency_key, metadata, now):
        try:
            refund = _d(
                self.client.v1.refunds.create(
                    params={"payment_intent": payment_ref, "amount": amount, "metadata": metadata},
                    options={"idempotency_key": idempotency_key},
                )
            )
        except stripe.StripeError as exc:
            raise _error(exc)
        status = refund.get("status") or "succeeded"
        if status == "failed":
            raise GatewayError("The refund failed at Stripe.", code="refund_failed")
        return RefundResult(ref=refund["id"], status=status, amount=int(refund["amount"]))

    def find_refund(self, *, payment_ref, metadata, now):
        try:
            pi = _d(self.client.v1.payment_intents.retrieve(payment_ref))
            charge = _id(pi.get("latest_charge"))
            if not charge:
                return None
            refunds = _d(self.client.v1.refunds.list(params={"charge": charge, "limit": 100}))
        except stripe.StripeError as exc:
            raise _error(exc)
        for refund in refunds.get("data", []):
            stored = refund.get("metadata") or {}
            if all(str(stored.get(k)) == str(v) for k, v in metadata.items()):
                return RefundResult(
                    ref=refund["id"], status=refund.get("status") or "", amount=refund["amount"]
                )
        return None

    # ------------------------------------------------------------------ pay out

    def transfer(
        self, *, amount, currency, destination, source_payment_ref, idempotency_key, metadata, now
    ):
        try:
            account = _d(self.client.v1.accounts.retrieve(destination))
            if not account.get("payouts_enabled"):
                raise GatewayError(
                    "The connected account cannot receive payouts yet.", code="payouts_disabled"
                )
            params = {
                "amount": amount,
                "currency": currency.lower(),
                "destination": destination,
                "transfer_group": f"deal-{metadata.get('deal_id', '')}",
                "metadata": metadata,
            }
            if source_payment_ref:
                pi = _d(self.client.v1.payment_intents.retrieve(source_payment_ref))
                params["source_transaction"] = _id(pi.get("latest_charge"))
            transfer = _d(
                self.client.v1.transfers.create(
                    params=params, options={"idempotency_key": idempotency_key}
                )
            )
        except stripe.StripeError as exc:
            raise _error(exc)
        return TransferResult(
            ref=transfer["id"], amount=int(transfer["amount"]), destination=destination
        )

    def find_transfer(self, *, metadata, now):
        try:
            transfers = _d(
                self.client.v1.transfers.list(
                    params={"transfer_group": f"deal-{metadata.get('deal_id', '')}", "limit": 100}
                )
            )
        except stripe.StripeError as exc:
            raise _error(exc)
        for transfer in transfers.get("data", []):
            stored = transfer.get("metadata") or {}
            if all(str(stored.get(k)) == str(v) for k, v in metadata.items()):
                return TransferResult(
                    ref=transfer["id"],
                    amount=int(transfer["amount"]),
                    destination=_id(transfer.get("destination")),
                )
        return None

    # ------------------------------------------------------------------ onboard

    def onboard_seller(self, *, email, country, account_ref, return_url, refresh_url):
        try:
            if not account_ref:
                account = _d(
                    self.client.v1.accounts.create(
                        params={
                            "type": "express",
                            "country": country.upper(),
                            "email": email,
                            "capabilities": {"transfers": {"requested": True}},
                        }
                    )
                )
                account_ref = account["id"]
            else:
                account = _d(self.client.v1.accounts.retrieve(account_ref))
            link = _d(
                self.client.v1.account_links.create(
                    params={
                        "account": account_ref,
                        "refresh_url": refresh_url,
                        "return_url": return_url,
                        "type": "account_onboarding",
                    }
                )
            )
        except stripe.StripeError as exc:
            raise _error(exc)
        return SellerAccount(
            ref=account_ref,
            payouts_enabled=bool(account.get("payouts_enabled")),
            country=str(account.get("country") or country).upper(),
            onboarding_url=link["url"],
        )

    def retrieve_seller_account(self, *, ref):
        try:
            account = _d(self.client.v1.accounts.retrieve(ref))
        except stripe.StripeError as exc:
            raise _error(exc)
        return SellerAccount(
            ref=ref,
            payouts_enabled=bool(account.get("payouts_enabled")),
            country=str(account.get("country") or ""),
        )

    # ----------------------------------------------------------------- webhooks

    def retrieve_dispute(self, *, ref, now):
        try:
            dispute = _d(self.client.v1.disputes.retrieve(ref))
        except stripe.StripeError as exc:
            raise _error(exc)
        try:
            return DisputeResult(
                ref=payload.ref(dispute.get("id"), field="id", required=True),
                payment_ref=payload.ref(dispute.get("payment_intent"), field="payment_intent"),
                amount=payload.amount(dispute.get("amount"), field="amount"),
                currency=payload.currency(dispute.get("currency")),
                fee=payload.fee_total(dispute.get("balance_transactions")),
                status=payload.word(dispute.get("status"), field="status"),
                reason=payload.word(dispute.get("reason"), field="reason"),
            )
        except payload.MalformedPayload as exc:
            raise GatewayError(str(exc), code="malformed_response")

    def parse_webhook(self, *, payload, signature):
        try:
            stripe.WebhookSignature.verify_header(
                payload.decode("utf-8") if isinstance(payload, bytes) else payload,
                signature,
                settings.STRIPE_WEBHOOK_SECRET,
                SIGNATURE_TOLERANCE,
            )
        except (stripe.SignatureVerificationError, ValueError, UnicodeDecodeError) as exc:
            raise WebhookVerificationError(str(exc))
        return parse_stripe_shaped_event(payload)

    def public_config(self) -> dict:
        return {"publishable_key": settings.STRIPE_PUBLISHABLE_KEY}

    # -------------------------------------------------------------- reconcile

    def provider_records(self, *, now):
        """Stripe's own books: the platform's balance transactions (with their
        sources expanded), mapped to our kinds by the source object — charges to
        their PaymentIntent (with the fee Stripe kept), refunds, transfers (with
        our metadata) and disputes (with the dispute fee)."""
        records = []
        try:
            page = self.client.v1.balance_transactions.list(
                params={"limit": 100, "expand": ["data.source"]}
            )
            for txn in page.auto_paging_iter():
                txn = _d(txn)
                record = self._record(txn)
                if record is not None:
                    records.append(record)
        except stripe.StripeError as exc:
            raise _error(exc)
        return records

    @staticmethod
    def _record(txn) -> ProviderRecord | None:
        from datetime import UTC, datetime

        source = txn.get("source") or {}
        if isinstance(source, str):
            return None
        kind = source.get("object")
        created = datetime.fromtimestamp(int(txn.get("created") or 0), tz=UTC)
        currency = str(txn.get("currency") or "").upper()
        amount = abs(int(txn.get("amount") or 0))
        fee = int(txn.get("fee") or 0)
        if kind == "charge":
            return ProviderRecord(
                kind="payment",
                ref=_id(source.get("payment_intent")) or source.get("id", ""),
                amount=amount,
                currency=currency,
                fee=fee,
                status="succeeded",
                metadata=source.get("metadata") or {},
                created=created,
            )
        if kind == "refund":
            return ProviderRecord(
                kind="refund",
                ref=source.get("id", ""),
                amount=amount,
                currency=currency,
                payment_ref=_id(source.get("payment_intent")),
                metadata=source.get("metadata") or {},
                created=created,
            )
        if kind == "transfer":
            return ProviderRecord(
                kind="transfer",
                ref=source.get("id", ""),
                amount=amount,
                currency=currency,
                metadata=source.get("metadata") or {},
                created=created,
            )
        if kind == "dispute":
            return ProviderRecord(
                kind="dispute",
                ref=source.get("id", ""),
                amount=amount,
                currency=currency,
                fee=fee,
                status=str(source.get("status") or ""),
                payment_ref=_id(source.get("payment_intent")),
                created=created,
            )
        return None
