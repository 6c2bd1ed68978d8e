"""Reports: the cases moderators work through, from users, detectors or moderators."""

from __future__ import annotations

from django.conf import settings
from django.contrib.contenttypes.fields import GenericForeignKey
from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext_lazy as _

from kernel.system_text import system_text

from .rules import Rule


def evidence_facts(item: dict) -> str:
    """What a piece of evidence says, in the reader's language. A system event is
    kept as its message and values (``services.record_system_violation``) and is
    translated when read; anything else reads as it was recorded."""
    message = item.get("message")
    if message:
        # Its values too: a code the system recorded (a card issuer's reason) in words.
        params = {
            k: system_text(v) if isinstance(v, str) else v
            for k, v in (item.get("params") or {}).items()
        }
        try:
            return gettext(message) % params
        except (KeyError, TypeError, ValueError):
            pass  # a message whose values changed shape: the record as written
    return item.get("facts") or ""


class Report(models.Model):
    """A case for moderators: a user's report, a detector's finding or a moderator's
    own observation, about any registered subject (``governance.registry``)."""

    class Source(models.TextChoices):
        USER = "user", _("User report")
        AUTOMATIC = "automatic", _("Automatic detection")
        MODERATOR = "moderator", _("Moderator")

    class Status(models.TextChoices):
        OPEN = "open", _("Open")
        CLAIMED = "claimed", _("Claimed")
        CONFIRMED = "confirmed", _("Confirmed")
        DISMISSED = "dismissed", _("Dismissed")

    PENDING = (Status.OPEN, Status.CLAIMED)

    created_at = models.DateTimeField(_("received"), default=timezone.now, db_index=True)
    source = models.CharField(_("source"), max_length=12, choices=Source.choices)
    reporter = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="reports_filed",
        verbose_name=_("reporter"),
    )
    subject_type = models.ForeignKey(ContentType, on_delete=models.PROTECT)
    subject_id = models.CharField(max_length=64)
    subject = GenericForeignKey("subject_type", "subject_id")
    subject_repr = models.CharField(_("subject"), max_length=200)
    accused = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="reports_against",
        verbose_name=_("reported user"),
    )
    rule = models.ForeignKey(Rule, on_delete=models.PROTECT, verbose_name=_("rule"))
    details = models.TextField(_("details"), blank=True)
    evidence = models.JSONField(
        _("evidence"), default=list, blank=True, help_text=_("Detector findings or facts.")
    )
    confidence = models.PositiveSmallIntegerField(
        _("confidence (%)"), null=True, blank=True, help_text=_("Automatic findings only.")
    )
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.OPEN, db_index=True
    )
    claimed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("claimed by"),
    )
    claimed_at = models.DateTimeField(null=True, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("decided by"),
    )
    decided_at = models.DateTimeField(_("decided"), null=True, blank=True)
    decision_reason = models.TextField(_("reason for the decision"), blank=True)

    class Meta:
        ordering = ["created_at", "id"]
        verbose_name = _("report")
        verbose_name_plural = _("reports")
        permissions = [
            ("decide_report", _("Can claim, confirm and dismiss reports")),
            ("freeze_user", _("Can freeze a user pending an S4 decision")),
        ]
        indexes = [models.Index(fields=["subject_type", "subject_id"])]
        constraints = [
            models.UniqueConstraint(
                fields=["reporter", "subject_type", "subject_id", "rule"],
                condition=Q(status__in=["open", "claimed"], reporter__isnull=False),
                name="report_one_open_per_reporter",
            ),
            models.UniqueConstraint(
                fields=["subject_type", "subject_id", "rule"],
                condition=Q(status__in=["open", "claimed"], source="automatic"),
                name="report_one_open_automatic",
            ),
            models.CheckConstraint(
                condition=Q(confidence__isnull=True) | Q(confidence__lte=100),
                name="report_confidence_percent",
            ),
            models.CheckConstraint(
                condition=Q(status__in=["open", "claimed"]) | Q(decided_at__isnull=False),
                name="report_decided_has_time",
            ),
        ]

    def __str__(self) -> str:
        return f"#{self.pk} {self.rule.code} — {self.subject_name}"

    @property
    def subject_name(self) -> str:
        """The subject as it names itself now, in the reader's language ("交易 #7");
        what was written down when the case was opened once the subject is gone
        (``subject_repr`` stays the record, and what search finds)."""
        subject = self.subject
        return str(subject) if subject is not None else self.subject_repr

    @property
    def is_pending(self) -> bool:
        return self.status in self.PENDING

    @property
    def details_text(self) -> str:
        """``details`` in the reader's language where the system wrote them: a
        detector's findings and a system event are described from the evidence
        (``details`` keeps the English record, which the admin's search reads); a
        person's words as they wrote them."""
        if self.source != self.Source.AUTOMATIC:
            return self.details
        evidence = self.evidence or []
        excerpts = [e["excerpt"] for e in evidence if e.get("excerpt")]
        if excerpts:
            return ngettext(
                "The detector found %(n)s match: %(excerpts)s",
                "The detector found %(n)s matches: %(excerpts)s",
                len(excerpts),
            ) % {"n": len(excerpts), "excerpts": ", ".join(f"“{e}”" for e in excerpts[:5])}
        events = [evidence_facts(e) for e in evidence if e.get("kind") == "system_event"]
        return "\n".join(e for e in events if e) or self.details
