"""What the scheduled jobs keep: the monthly transparency snapshots and the rescan
job's cursor."""

from __future__ import annotations

from django.db import models
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext_lazy as _


class TransparencySnapshot(models.Model):
    """Figures for one calendar month (UTC), written by the scheduled job only."""

    month = models.DateField(_("month"), unique=True, help_text=_("First day of the month."))
    generated_at = models.DateTimeField(_("generated"))
    complete = models.BooleanField(
        _("month complete"), default=False, help_text=_("False while the month is running.")
    )
    data = models.JSONField(_("figures"))

    class Meta:
        ordering = ["-month"]
        verbose_name = _("transparency snapshot")
        verbose_name_plural = _("transparency snapshots")

    def __str__(self) -> str:
        return date_format(self.month, "YEAR_MONTH_FORMAT")  # "2026年11月", "November 2026"


class RescanState(models.Model):
    """Progress of the rescan job over one registered model's content (a cursor),
    so a rescan after a rules change resumes where it stopped."""

    model_label = models.CharField(max_length=100, unique=True)
    catalogue_revision = models.CharField(max_length=64, blank=True)
    target_revision = models.CharField(max_length=64, blank=True)
    last_pk = models.CharField(max_length=64, blank=True)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("rescan state")
        verbose_name_plural = _("rescan states")

    def __str__(self) -> str:
        return self.model_label
