"""Decisions and their measures: violations (the points deducted) and the
sanctions that take capabilities away for a time."""

from __future__ import annotations

from django.conf import settings
from django.contrib.contenttypes.fields import GenericForeignKey
from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from .reports import Report
from .rules import Rule, RuleVersion, version_label

# --------------------------------------------------------------------- violations


class Violation(models.Model):
    """A confirmed breach of a rule: the decision, its point deduction, and what
    an appeal can undo. The deduction counts from ``decided_at`` until
    ``points_expire_at`` (None: stands while the ban stands, S4)."""

    class Status(models.TextChoices):
        CONFIRMED = "confirmed", _("Confirmed")
        OVERRULED = "overruled", _("Overruled on appeal")

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="violations",
        verbose_name=_("user"),
    )
    rule = models.ForeignKey(Rule, on_delete=models.PROTECT, verbose_name=_("rule"))
    rule_version = models.ForeignKey(
        RuleVersion, on_delete=models.PROTECT, verbose_name=_("rule version")
    )
    report = models.OneToOneField(
        Report, null=True, blank=True, on_delete=models.PROTECT, related_name="violation"
    )
    subject_type = models.ForeignKey(ContentType, null=True, blank=True, on_delete=models.PROTECT)
    subject_id = models.CharField(max_length=64, blank=True)
    subject = GenericForeignKey("subject_type", "subject_id")
    subject_repr = models.CharField(_("subject"), max_length=200, blank=True)
    facts = models.TextField(_("facts"))
    automated = models.BooleanField(
        _("found by automation"), default=False, help_text=_("A detector or system event.")
    )
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("decided by"),
    )
    decided_at = models.DateTimeField(_("decided"), db_index=True)
    points_half = models.PositiveSmallIntegerField(_("deduction (half-points)"))
    repeat = models.BooleanField(_("repeat within 90 days"), default=False)
    points_expire_at = models.DateTimeField(_("points restored"), null=True, blank=True)
    points_expired_noted = models.BooleanField(default=False)
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.CONFIRMED
    )
    overruled_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-decided_at", "-id"]
        verbose_name = _("violation")
        verbose_name_plural = _("violations")
        indexes = [models.Index(fields=["user", "rule", "decided_at"])]
        constraints = [
            models.CheckConstraint(condition=Q(points_half__gt=0), name="violation_points_pos"),
        ]

    def __str__(self) -> str:
        return f"{self.rule.code} {version_label(self.rule_version.version)} — {self.user}"


# ----------------------------------------------------------------------- sanctions


class SanctionQuerySet(models.QuerySet):
    def in_force(self, now):
        """Sanctions in force at ``now``: the one definition (the permission gate, the
        payout hold and the ladder read it; ``Sanction.in_force`` is the same rule for
        a row already loaded). Active, begun by ``now``, not yet ended — the clock
        decides, before the lifting job records the end."""
        return self.filter(
            Q(ends_at__isnull=True) | Q(ends_at__gt=now),
            status=Sanction.Status.ACTIVE,
            starts_at__lte=now,
        )


class Sanction(models.Model):
    """Capabilities taken away from a user for a time (``ends_at`` None: until
    lifted). ``can()`` honours a sanction from ``starts_at`` to ``ends_at`` by the
    clock; the lifting job only records that it ended."""

    class Kind(models.TextChoices):
        WARNING = "warning", _("Warning")
        NO_NEW_LISTINGS = "no_new_listings", _("No new listings")
        SELLING_SUSPENDED = "selling_suspended", _("Selling suspended")
        CLOSED = "closed", _("Selling and buying closed")
        MESSAGING_RESTRICTED = "messaging_restricted", _("Messaging restricted")
        REPORTING_RESTRICTED = "reporting_restricted", _("Reporting restricted")
        CONTENT_REMOVED = "content_removed", _("Content removed")
        FREEZE = "freeze", _("Precautionary freeze")

    class Status(models.TextChoices):
        ACTIVE = "active", _("In force")
        ENDED = "ended", _("Ended")
        LIFTED = "lifted", _("Lifted")
        OVERRULED = "overruled", _("Overruled on appeal")

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="sanctions",
        verbose_name=_("user"),
    )

    class Basis(models.TextChoices):
        LADDER = "ladder", _("Points ladder")
        REPEAT = "repeat", _("Same rule six times in 90 days")
        RULE = "rule", _("The rule's own measure")
        FREEZE = "freeze", _("Precaution pending a decision")

    kind = models.CharField(_("measure"), max_length=24, choices=Kind.choices)
    basis = models.CharField(_("basis"), max_length=10, choices=Basis.choices)
    capabilities = models.JSONField(
        _("capabilities removed"), default=list, blank=True, help_text=_("policy.can names.")
    )
    payout_hold_days = models.PositiveSmallIntegerField(
        _("extra payout hold (days)"),
        default=0,
        help_text=_("Payouts due while this is in force wait this many days longer."),
    )
    violation = models.ForeignKey(
        Violation, null=True, blank=True, on_delete=models.PROTECT, related_name="sanctions"
    )
    report = models.ForeignKey(
        Report, null=True, blank=True, on_delete=models.PROTECT, related_name="freezes"
    )
    starts_at = models.DateTimeField(_("from"))
    ends_at = models.DateTimeField(_("until"), null=True, blank=True)
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.ACTIVE, db_index=True
    )
    ended_at = models.DateTimeField(null=True, blank=True)
    end_reason = models.CharField(max_length=200, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    objects = SanctionQuerySet.as_manager()

    class Meta:
        ordering = ["-starts_at", "-id"]
        verbose_name = _("sanction")
        verbose_name_plural = _("sanctions")
        indexes = [models.Index(fields=["user", "status"])]
        constraints = [
            models.CheckConstraint(
                condition=Q(ends_at__isnull=True) | Q(ends_at__gt=models.F("starts_at")),
                name="sanction_ends_after_start",
            ),
            models.CheckConstraint(
                condition=Q(violation__isnull=False) | Q(report__isnull=False),
                name="sanction_has_cause",
            ),
            models.UniqueConstraint(
                fields=["report"],
                condition=Q(kind="freeze", status="active"),
                name="sanction_one_active_freeze_per_case",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} — {self.user}"

    def in_force(self, now) -> bool:
        """This row against ``SanctionQuerySet.in_force`` (tested to agree)."""
        return (
            self.status == self.Status.ACTIVE
            and self.starts_at <= now
            and (self.ends_at is None or self.ends_at > now)
        )
