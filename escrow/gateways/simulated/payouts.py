"""The simulated provider pays sellers out: its "Connect" accounts and the
transfers to them."""

from __future__ import annotations

from ..base import SUCCEEDED, GatewayError, SellerAccount, TransferResult
from .plumbing import SimulatedPlumbing, new_id

# Countries where the simulated "Connect" can pay sellers; others use the manual rail.
PAYOUT_COUNTRIES = frozenset(
    "US CA GB IE DE FR ES IT NL BE AT PT FI SE DK NO CH PL CZ AU NZ JP SG HK MY TH".split()
)


class PayoutOperations(SimulatedPlumbing):
    """Paying sellers: transfers to connected accounts, and onboarding them."""

    # ------------------------------------------------------------------ pay out

    def transfer(
        self, *, amount, currency, destination, source_payment_ref, idempotency_key, metadata, now
    ):
        from ...models import SimConnectedAccount, SimTransfer

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
                id=new_id("tr"),
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
        from ...models import SimTransfer

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
        from ...models import SimConnectedAccount

        account = (
            SimConnectedAccount.objects.filter(pk=account_ref).first() if account_ref else None
        )
        if account is None:
            account = SimConnectedAccount.objects.create(
                id=new_id("acct"), email=email, country=country.upper()
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
        from ...models import SimConnectedAccount

        account = SimConnectedAccount.objects.filter(pk=ref).first()
        if account is None:
            raise GatewayError(f"No such account: {ref}", code="resource_missing")
        return SellerAccount(
            ref=account.id, payouts_enabled=account.payouts_enabled, country=account.country
        )
