"""The provider events we accepted (the webhook inbox), each once."""

from __future__ import annotations

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

#: The provider's event types we handle, by name (the rows keep the provider's
#: code; a type not listed shows its code).
EVENT_TYPES = {
    "payment_intent.succeeded": _("Payment succeeded"),
    "payment_intent.payment_failed": _("Payment failed"),
    "payment_intent.canceled": _("Payment cancelled"),
    "payment_intent.processing": _("Payment processing"),
    "payment_intent.requires_action": _("Payment awaiting the cardholder's action"),
    "payment_intent.amount_capturable_updated": _("Payment ready to capture"),
    "charge.dispute.created": _("Chargeback opened"),
    "charge.dispute.updated": _("Chargeback updated"),
    "charge.dispute.closed": _("Chargeback closed"),
    "charge.dispute.funds_withdrawn": _("Chargeback: funds withdrawn"),
    "charge.dispute.funds_reinstated": _("Chargeback: funds reinstated"),
    "charge.refunded": _("Charge refunded"),
    "charge.refund.updated": _("Refund updated"),
    "refund.created": _("Refund created"),
    "refund.updated": _("Refund updated"),
    "refund.failed": _("Refund failed"),
    "transfer.created": _("Transfer created"),
    "transfer.updated": _("Transfer updated"),
    "transfer.reversed": _("Transfer reversed"),
    "account.updated": _("Payout account updated"),
}


def event_type_name(code: str) -> str:
    return str(EVENT_TYPES.get(code, code))


class WebhookEvent(models.Model):
    """Every provider event we accepted, once: the unique event id de-duplicates.

    An event is applied only with the provider's own answer (``escrow.webhooks``):
    while the provider cannot be reached it stays PENDING and a job retries it;
    one that contradicts the deal (amount, currency) is REFUSED and shown to
    operators."""

    class Status(models.TextChoices):
        PENDING = "pending", _("Waiting for the provider")
        APPLIED = "applied", _("Applied")
        IGNORED = "ignored", _("Ignored (not ours, or nothing to do)")
        REFUSED = "refused", _("Refused — needs an operator")

    provider = models.CharField(max_length=20)
    event_id = models.CharField(max_length=255)
    type = models.CharField(max_length=80)
    payload = models.JSONField()
    received_at = models.DateTimeField(default=timezone.now)
    processed_at = models.DateTimeField(null=True, blank=True)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.APPLIED)
    attempts = models.PositiveIntegerField(default=0)
    next_attempt_at = models.DateTimeField(null=True, blank=True, db_index=True)
    note = models.CharField(
        max_length=300, blank=True, help_text=_("Why it waits or was refused (the last answer).")
    )

    class Meta:
        verbose_name = _("webhook event")
        verbose_name_plural = _("webhook events")
        constraints = [
            models.UniqueConstraint(fields=["provider", "event_id"], name="webhook_event_unique")
        ]

    def __str__(self) -> str:
        return f"{self.provider}:{self.event_id} {self.type_name}"

    @property
    def type_name(self) -> str:
        return event_type_name(self.type)
