"""Card disputes (chargebacks) at the simulated provider: opened and closed by
"the card network" (tests, the demo), read by our webhook handling."""

from __future__ import annotations

from django.db import transaction

from ..base import SUCCEEDED, DisputeResult, GatewayError
from .plumbing import SimulatedPlumbing, new_id

#: What the provider keeps for handling a card dispute (Stripe: 15.00 USD).
DISPUTE_FEE = 1500


class DisputeOperations(SimulatedPlumbing):
    """Card disputes: the outside world opens and closes them; we read them."""

    def retrieve_dispute(self, *, ref, now):
        from ...models import SimDispute

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

    def open_chargeback(self, *, payment_ref, now, reason="fraudulent", amount=None):
        """The outside world: the buyer's bank disputes the charge. Takes the
        amount and the dispute fee out of the balance and sends
        ``charge.dispute.created``. Returns the dispute id."""
        from ...models import SimDispute

        with transaction.atomic():
            pi = self._intent(payment_ref, lock=True)
            if pi.status != SUCCEEDED:
                raise GatewayError("Payment not captured.", code="charge_not_captured")
            amount = amount if amount is not None else pi.amount - pi.amount_refunded
            dispute = SimDispute.objects.create(
                id=new_id("dp"),
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
        from ...models import SimDispute

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
