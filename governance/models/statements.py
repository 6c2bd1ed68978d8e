"""Statements of reasons: what a user is told about each measure taken."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .rules import reads_chinese, version_label
from .sanctions import Sanction, Violation


class StatementOfReasons(models.Model):
    """What the user is told about a measure: shown on /standing/ and e-mailed.

    Written once when the measure is taken; every field a statement of reasons
    must carry (GOVERNANCE.md) is a column, so none can be left out.
    """

    # Points deducted, or one of the sanctions: a new kind of sanction is a measure
    # a statement can name without a second list to keep in step.
    Measure = models.TextChoices(
        "Measure",
        [
            ("POINTS", ("points", _("Credit points deducted"))),
            *((kind.name, (kind.value, kind.label)) for kind in Sanction.Kind),
        ],
    )

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="statements"
    )
    violation = models.ForeignKey(
        Violation, null=True, blank=True, on_delete=models.PROTECT, related_name="statements"
    )
    sanction = models.OneToOneField(
        Sanction, null=True, blank=True, on_delete=models.PROTECT, related_name="statement"
    )
    created_at = models.DateTimeField(default=timezone.now)
    measure = models.CharField(_("measure"), max_length=24, choices=Measure.choices)
    scope = models.JSONField(
        _("scope"), default=list, help_text=_("Capabilities removed, or the content concerned.")
    )
    points_half = models.PositiveSmallIntegerField(_("points deducted (half-points)"), default=0)
    starts_at = models.DateTimeField(_("from"))
    ends_at = models.DateTimeField(_("until"), null=True, blank=True)
    facts = models.TextField(_("facts"))
    rule_code = models.CharField(_("rule"), max_length=12)
    rule_version = models.PositiveIntegerField(_("rule version"))
    rule_title_en = models.CharField(max_length=160)
    rule_title_zh = models.CharField(max_length=160)
    automated_detection = models.BooleanField(_("found by automation"))
    automated_decision = models.BooleanField(_("decided by automation"), default=False)
    appeal_until = models.DateTimeField(_("appeal until"), null=True, blank=True)
    emailed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("statement of reasons")
        verbose_name_plural = _("statements of reasons")

    def __str__(self) -> str:
        return f"{self.get_measure_display()} — {self.rule_code} {version_label(self.rule_version)}"

    @property
    def rule_title(self) -> str:
        return self.rule_title_zh if reads_chinese() else self.rule_title_en
