"""Money at the provider for a deal: the buyer's payment, refunds, payouts and
where each seller is paid."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from kernel.crypto import EncryptedTextField

from .deals import Deal
from .ledger import MINOR_UNITS


class Payment(models.Model):
    """The buyer's payment for a deal (one provider payment intent per deal)."""

    class Status(models.TextChoices):
        CREATED = "created", _("Created")
        REQUIRES_ACTION = "requires_action", _("Waiting for authentication")
        FAILED = "failed", _("Declined")
        SUCCEEDED = "succeeded", _("Paid")
        CANCELED = "canceled", _("Cancelled")

    deal = models.OneToOneField(Deal, on_delete=models.PROTECT, related_name="payment")
    provider = models.CharField(max_length=20)
    idempotency_key = models.CharField(max_length=80)
    provider_ref = models.CharField(max_length=255, blank=True)
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.CREATED)
    amount = models.BigIntegerField(help_text=MINOR_UNITS)
    currency = models.CharField(max_length=3)
    processing_fee = models.BigIntegerField(default=0, help_text=MINOR_UNITS)
    error_code = models.CharField(max_length=64, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    succeeded_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("payment")
        verbose_name_plural = _("payments")
        constraints = [
            models.UniqueConstraint(
                fields=["provider", "idempotency_key"], name="payment_idempotency_unique"
            ),
            models.UniqueConstraint(
                fields=["provider", "provider_ref"],
                condition=~Q(provider_ref=""),
                name="payment_provider_ref_unique",
            ),
            models.CheckConstraint(condition=Q(amount__gt=0), name="payment_amount_positive"),
        ]

    def __str__(self) -> str:
        return gettext("payment %(number)s (%(status)s)") % {
            "number": self.pk,
            "status": self.get_status_display(),
        }


class Refund(models.Model):
    """Money going back to the buyer. Marked REQUESTED before the provider call; a
    retry first looks the refund up at the provider (metadata ``refund_id``)."""

    class Status(models.TextChoices):
        REQUESTED = "requested", _("Requested")
        SUCCEEDED = "succeeded", _("Refunded")
        FAILED = "failed", _("Failed — will retry")
        NEEDS_ATTENTION = "needs_attention", _("Needs an operator")

    deal = models.ForeignKey(Deal, on_delete=models.PROTECT, related_name="refunds")
    payment = models.ForeignKey(Payment, on_delete=models.PROTECT, related_name="refunds")
    provider = models.CharField(max_length=20)
    idempotency_key = models.CharField(max_length=80)
    provider_ref = models.CharField(max_length=255, blank=True)
    amount = models.BigIntegerField(help_text=MINOR_UNITS)
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.REQUESTED)
    reason = models.CharField(max_length=200, blank=True)
    attempts = models.PositiveIntegerField(default=0)
    in_flight_since = models.DateTimeField(null=True, blank=True)
    next_attempt_at = models.DateTimeField(null=True, blank=True, db_index=True)
    last_error = models.CharField(max_length=200, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    succeeded_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("refund")
        verbose_name_plural = _("refunds")
        constraints = [
            models.UniqueConstraint(
                fields=["provider", "idempotency_key"], name="refund_idempotency_unique"
            ),
            models.CheckConstraint(condition=Q(amount__gt=0), name="refund_amount_positive"),
        ]

    def __str__(self) -> str:
        return gettext("refund %(number)s (%(status)s)") % {
            "number": self.pk,
            "status": self.get_status_display(),
        }


class SellerPayoutAccount(models.Model):
    """Where a seller is paid: a provider account (Stripe Connect Express) where
    the seller's country is supported, otherwise the manual rail (bank details an
    operator pays by hand)."""

    class Rail(models.TextChoices):
        PROVIDER = "provider", _("Payment provider (Connect)")
        MANUAL = "manual", _("Manual bank transfer")

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="payout_account"
    )
    rail = models.CharField(max_length=10, choices=Rail.choices, default=Rail.PROVIDER)
    country = models.CharField(_("country"), max_length=2)
    provider = models.CharField(max_length=20, blank=True)
    account_ref = models.CharField(max_length=255, blank=True)
    payouts_enabled = models.BooleanField(default=False)
    bank_details = EncryptedTextField(_("bank details"), blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("seller payout account")
        verbose_name_plural = _("seller payout accounts")

    def __str__(self) -> str:
        return gettext("payout account of user %(user)s (%(rail)s)") % {
            "user": self.user_id,
            "rail": self.get_rail_display(),
        }

    @property
    def can_receive(self) -> bool:
        if self.rail == self.Rail.MANUAL:
            return bool(self.bank_details)
        return bool(self.account_ref and self.payouts_enabled)


class Payout(models.Model):
    """The transfer paying the seller for a released deal: its own record, retries,
    idempotency key and status. Marked REQUESTED before the provider call."""

    class Status(models.TextChoices):
        PENDING = "pending", _("Scheduled")
        ON_HOLD = "on_hold", _("Waiting for the seller's payout details")
        REQUESTED = "requested", _("Sending")
        FAILED = "failed", _("Failed — will retry")
        MANUAL = "manual", _("Waiting for a manual bank transfer")
        NEEDS_ATTENTION = "needs_attention", _("Needs an operator")
        HELD = "held", _("Held (moderator watch or account measure)")
        PAID = "paid", _("Paid")

    deal = models.OneToOneField(Deal, on_delete=models.PROTECT, related_name="payout")
    seller = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="payouts"
    )
    amount = models.BigIntegerField(help_text=MINOR_UNITS)
    currency = models.CharField(max_length=3)
    rail = models.CharField(max_length=10, choices=SellerPayoutAccount.Rail.choices, blank=True)
    provider = models.CharField(max_length=20)
    idempotency_key = models.CharField(max_length=80)
    provider_ref = models.CharField(max_length=255, blank=True)
    manual_reference = models.CharField(max_length=120, blank=True)
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.PENDING)
    attempts = models.PositiveIntegerField(default=0)
    in_flight_since = models.DateTimeField(null=True, blank=True)
    next_attempt_at = models.DateTimeField(null=True, blank=True, db_index=True)
    last_error = models.CharField(max_length=200, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    paid_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("payout")
        verbose_name_plural = _("payouts")
        constraints = [
            models.UniqueConstraint(
                fields=["provider", "idempotency_key"], name="payout_idempotency_unique"
            ),
            models.CheckConstraint(condition=Q(amount__gt=0), name="payout_amount_positive"),
        ]
        permissions = [
            ("record_manual_payout", _("Can record a manual payout")),
            ("decide_dispute", _("Can decide disputes, recovery claims and chargebacks")),
            ("watch_deal", _("Can refund or end the watch of a watched deal")),
        ]

    def __str__(self) -> str:
        return gettext("payout %(number)s (%(status)s)") % {
            "number": self.pk,
            "status": self.get_status_display(),
        }
