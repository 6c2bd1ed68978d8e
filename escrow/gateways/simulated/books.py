"""The simulated provider's own books: its totals and the records a
reconciliation compares ours with."""

from __future__ import annotations

from django.db.models import Sum

from ..base import SUCCEEDED, ProviderRecord


def provider_totals() -> dict[str, int]:
    """The simulated provider's own books, in minor units. A card dispute takes
    its amount and fee out of the balance; a won dispute gives the amount back."""
    from ...models import SimDispute, SimPaymentIntent, SimRefund, SimTransfer

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


class ProviderBooks:
    """The provider's records, as a reconciliation reads them."""

    def provider_records(self, *, now):
        from ...models import SimDispute, SimPaymentIntent, SimRefund, SimTransfer

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
