"""Reconciliation: each comparison of our books with the provider's records, and
the differences it found."""

from __future__ import annotations

from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from .ledger import MINOR_UNITS


class ReconciliationRun(models.Model):
    """One comparison of our books with the provider's records."""

    provider = models.CharField(max_length=20)
    started_at = models.DateTimeField(default=timezone.now)
    finished_at = models.DateTimeField(null=True, blank=True)
    ours = models.JSONField(default=dict, help_text=_("Our totals, minor units."))
    theirs = models.JSONField(default=dict, help_text=_("The provider's totals, minor units."))
    differences_found = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["-started_at", "-id"]
        verbose_name = _("reconciliation run")
        verbose_name_plural = _("reconciliation runs")

    def __str__(self) -> str:
        from kernel.admin_display import when

        return gettext("reconciliation of %(when)s (%(n)s differences)") % {
            "when": when(self.started_at),
            "n": self.differences_found,
        }


class ReconciliationDifference(models.Model):
    """Something our books and the provider disagree on. ``key`` identifies the
    difference so a later run does not report the same one again."""

    class Kind(models.TextChoices):
        """What disagrees (escrow.reconciliation writes these codes)."""

        PAYMENT_MISSING_AT_PROVIDER = (
            "payment_missing_at_provider",
            _("Paid in our books, not captured at the provider"),
        )
        PAYMENT_AMOUNT = "payment_amount", _("Captured amounts differ")
        PAYMENT_FEE = "payment_fee", _("Processing fees differ")
        PAYMENT_MISSING_IN_BOOKS = (
            "payment_missing_in_books",
            _("Captured at the provider, not in our books"),
        )
        REFUND_MISSING_AT_PROVIDER = (
            "refund_missing_at_provider",
            _("Refunded in our books, unknown to the provider"),
        )
        REFUND_AMOUNT = "refund_amount", _("Refunded amounts differ")
        REFUND_MISSING_IN_BOOKS = (
            "refund_missing_in_books",
            _("Refunded at the provider, not in our books"),
        )
        TRANSFER_MISSING_AT_PROVIDER = (
            "transfer_missing_at_provider",
            _("Paid out in our books, no transfer at the provider"),
        )
        TRANSFER_AMOUNT = "transfer_amount", _("Payout amounts differ")
        TRANSFER_MISSING_IN_BOOKS = (
            "transfer_missing_in_books",
            _("Transferred at the provider, no payout in our books"),
        )
        CHARGEBACK_MISSING_IN_BOOKS = (
            "chargeback_missing_in_books",
            _("Card dispute at the provider, not in our books"),
        )
        CHARGEBACK_STATUS = "chargeback_status", _("Chargeback statuses differ")
        BALANCE = "balance", _("Provider balance differs from our books")

    run = models.ForeignKey(ReconciliationRun, on_delete=models.CASCADE, related_name="differences")
    key = models.CharField(max_length=120)
    kind = models.CharField(max_length=40, choices=Kind.choices)
    reference = models.CharField(max_length=255, blank=True)
    ours = models.BigIntegerField(null=True, blank=True, help_text=MINOR_UNITS)
    theirs = models.BigIntegerField(null=True, blank=True, help_text=MINOR_UNITS)
    detail = models.CharField(max_length=300, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    resolved_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("reconciliation difference")
        verbose_name_plural = _("reconciliation differences")
        constraints = [
            models.UniqueConstraint(
                fields=["key"],
                condition=Q(resolved_at__isnull=True),
                name="recon_difference_open_unique",
            )
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.reference}"
