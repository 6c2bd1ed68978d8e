"""Reconciliation: each comparison of our books with the provider's records, and
the differences it found."""

from __future__ import annotations

from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .ledger import MINOR_UNITS


class ReconciliationRun(models.Model):
    """One comparison of our books with the provider's records."""

    provider = models.CharField(max_length=20)
    started_at = models.DateTimeField(default=timezone.now)
    finished_at = models.DateTimeField(null=True, blank=True)
    ours = models.JSONField(default=dict, help_text="Our totals, minor units.")
    theirs = models.JSONField(default=dict, help_text="The provider's totals, minor units.")
    differences_found = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["-started_at", "-id"]
        verbose_name = _("reconciliation run")
        verbose_name_plural = _("reconciliation runs")

    def __str__(self) -> str:
        return f"reconciliation {self.started_at:%Y-%m-%d %H:%M} ({self.differences_found})"


class ReconciliationDifference(models.Model):
    """Something our books and the provider disagree on. ``key`` identifies the
    difference so a later run does not report the same one again."""

    run = models.ForeignKey(ReconciliationRun, on_delete=models.CASCADE, related_name="differences")
    key = models.CharField(max_length=120)
    kind = models.CharField(max_length=40)
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
        return f"{self.kind} {self.reference}"
