"""Governance data: the rules catalogue, reports, violations, sanctions, statements
of reasons, appeals and the transparency snapshots.

Points are stored as integers of half-points everywhere (``*_half`` fields): 24
half-points are the 12 points every user has in a rolling 365-day window.
Writes go through ``governance.services``; these models hold the invariants the
database can keep (constraints, one appeal per decision, one open report per
reporter+subject+rule).
"""

from __future__ import annotations

from django.conf import settings
from django.contrib.contenttypes.fields import GenericForeignKey
from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.db.models import Q
from django.utils import timezone, translation
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from kernel.private_files import private_storage

# ---------------------------------------------------------------------- choices


class Category(models.TextChoices):
    ADMISSION = "admission", _("Admission")
    LISTING_CONTENT = "listing_content", _("Listing content")
    BEHAVIOUR = "behaviour", _("Behaviour")
    TRANSACTION = "transaction", _("Transaction")


class Severity(models.TextChoices):
    S1 = "S1", _("S1 — minor")
    S2 = "S2", _("S2 — serious")
    S3 = "S3", _("S3 — grave")
    S4 = "S4", _("S4 — critical")


#: Allowed half-point deductions per severity (GOVERNANCE.md: S1 0.5 or 1, S2 3, S3 6, S4 12).
SEVERITY_HALF_POINTS = {"S1": (1, 2), "S2": (6,), "S3": (12,), "S4": (24,)}


class DefaultSanction(models.TextChoices):
    POINTS = "points", _("Points only (the ladder decides)")
    REMOVE_CONTENT = "remove_content", _("Remove the content concerned")
    RESTRICT_MESSAGING = "restrict_messaging", _("Messaging restricted for 7 days")
    RESTRICT_REPORTING = "restrict_reporting", _("Reporting restricted for 30 days")
    CLOSE_ACCOUNT = "close_account", _("Selling and buying closed")


class Detection(models.TextChoices):
    AUTOMATIC = "automatic", _("Automatic detector")
    REPORT = "report", _("User reports")
    MODERATOR = "moderator", _("Moderator review")
    SYSTEM = "system", _("Transaction records")


def _zh() -> bool:
    return (translation.get_language() or "").lower().startswith("zh")


# ---------------------------------------------------------------------- catalogue


class RuleSubstance(models.Model):
    """The fields whose change makes a new rule version."""

    title_en = models.CharField(_("title (English)"), max_length=160)
    title_zh = models.CharField(_("title (Chinese)"), max_length=160)
    description_en = models.TextField(_("description (English)"))
    description_zh = models.TextField(_("description (Chinese)"))
    severity = models.CharField(_("severity"), max_length=2, choices=Severity.choices)
    points_half = models.PositiveSmallIntegerField(
        _("deduction (half-points)"),
        help_text=_("Half-points deducted: S1 1 or 2, S2 6, S3 12, S4 24."),
    )
    default_sanction = models.CharField(
        _("default sanction"),
        max_length=24,
        choices=DefaultSanction.choices,
        default=DefaultSanction.POINTS,
    )
    detection = models.CharField(_("usually detected by"), max_length=12, choices=Detection.choices)
    effective_from = models.DateField(_("effective from"))

    SUBSTANCE_FIELDS = (
        "title_en",
        "title_zh",
        "description_en",
        "description_zh",
        "severity",
        "points_half",
        "default_sanction",
        "detection",
    )

    class Meta:
        abstract = True

    @property
    def title(self) -> str:
        return self.title_zh if _zh() else self.title_en

    @property
    def description(self) -> str:
        return self.description_zh if _zh() else self.description_en

    def substance(self) -> dict:
        return {name: getattr(self, name) for name in self.SUBSTANCE_FIELDS}


_POINTS_MATCH_SEVERITY = (
    Q(severity="S1", points_half__in=[1, 2])
    | Q(severity="S2", points_half=6)
    | Q(severity="S3", points_half=12)
    | Q(severity="S4", points_half=24)
)


class Rule(RuleSubstance):
    """One rule of the catalogue. ``code`` is stable for ever; ``version`` goes up
    whenever the substance changes (``services.update_rule``)."""

    code = models.CharField(_("code"), max_length=12, unique=True)
    category = models.CharField(_("category"), max_length=20, choices=Category.choices)
    version = models.PositiveIntegerField(_("version"), default=1)
    is_active = models.BooleanField(
        _("in force"), default=True, help_text=_("Retired rules stay for past decisions.")
    )
    updated_at = models.DateTimeField(_("updated"), default=timezone.now)

    class Meta:
        ordering = ["code"]
        verbose_name = _("rule")
        verbose_name_plural = _("rules catalogue")
        constraints = [
            models.CheckConstraint(condition=_POINTS_MATCH_SEVERITY, name="rule_points_match"),
        ]

    def __str__(self) -> str:
        return f"{self.code} {self.title}"

    @property
    def current_version(self) -> RuleVersion:
        return self.versions.get(version=self.version)


class RuleVersion(RuleSubstance):
    """A rule as it stood from ``effective_from``; violations point at one of these."""

    rule = models.ForeignKey(Rule, on_delete=models.PROTECT, related_name="versions")
    version = models.PositiveIntegerField(_("version"))
    created_at = models.DateTimeField(default=timezone.now)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    change_note = models.CharField(_("change note"), max_length=300, blank=True)

    class Meta:
        ordering = ["rule__code", "-version"]
        verbose_name = _("rule version")
        verbose_name_plural = _("rule versions")
        constraints = [
            models.UniqueConstraint(fields=["rule", "version"], name="ruleversion_unique"),
            models.CheckConstraint(
                condition=_POINTS_MATCH_SEVERITY, name="ruleversion_points_match"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.rule.code} v{self.version}"


# ------------------------------------------------------------------------ reports


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
            ("decide_report", "Can claim, confirm and dismiss reports"),
            ("freeze_user", "Can freeze a user pending an S4 decision"),
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
        return f"#{self.pk} {self.rule.code} — {self.subject_repr}"

    @property
    def is_pending(self) -> bool:
        return self.status in self.PENDING


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
        return f"{self.rule.code} v{self.rule_version.version} — {self.user}"


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


class StatementOfReasons(models.Model):
    """What the user is told about a measure: shown on /standing/ and e-mailed.

    Written once when the measure is taken; every field a statement of reasons
    must carry (GOVERNANCE.md) is a column, so none can be left out.
    """

    class Measure(models.TextChoices):
        POINTS = "points", _("Credit points deducted")
        WARNING = "warning", _("Warning")
        NO_NEW_LISTINGS = "no_new_listings", _("No new listings")
        SELLING_SUSPENDED = "selling_suspended", _("Selling suspended")
        CLOSED = "closed", _("Selling and buying closed")
        MESSAGING_RESTRICTED = "messaging_restricted", _("Messaging restricted")
        REPORTING_RESTRICTED = "reporting_restricted", _("Reporting restricted")
        CONTENT_REMOVED = "content_removed", _("Content removed")
        FREEZE = "freeze", _("Precautionary freeze")

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
        return f"{self.get_measure_display()} — {self.rule_code} v{self.rule_version}"

    @property
    def rule_title(self) -> str:
        return self.rule_title_zh if _zh() else self.rule_title_en


# ------------------------------------------------------------------------- appeals


class Appeal(models.Model):
    """The one appeal against one decision (violation)."""

    class Status(models.TextChoices):
        PENDING = "pending", _("Waiting for a moderator")
        UPHELD = "upheld", _("Upheld — decision overruled")
        REJECTED = "rejected", _("Rejected")

    violation = models.OneToOneField(
        Violation, on_delete=models.PROTECT, related_name="appeal", verbose_name=_("decision")
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="appeals"
    )
    text = models.TextField(_("your appeal"))
    created_at = models.DateTimeField(_("filed"), default=timezone.now, db_index=True)
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.PENDING, db_index=True
    )
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    reason = models.TextField(_("reason"), blank=True)

    class Meta:
        ordering = ["created_at", "id"]
        verbose_name = _("appeal")
        verbose_name_plural = _("appeals")
        permissions = [("decide_appeal", "Can decide appeals")]
        constraints = [
            models.CheckConstraint(
                condition=Q(status="pending") | (Q(decided_at__isnull=False) & ~Q(reason="")),
                name="appeal_decided_has_reason",
            ),
        ]

    def __str__(self) -> str:
        return gettext("appeal #%(number)s (%(rule)s)") % {
            "number": self.pk,
            "rule": self.violation.rule.code,
        }


class AppealFile(models.Model):
    """An attachment to an appeal, kept in private storage and served only through
    a permission-checked view."""

    appeal = models.ForeignKey(Appeal, on_delete=models.CASCADE, related_name="files")
    file = models.FileField(storage=private_storage, upload_to="appeals/%Y/%m/", max_length=200)
    original_name = models.CharField(max_length=200)
    size = models.PositiveIntegerField(help_text="Bytes.")
    uploaded_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("appeal file")
        verbose_name_plural = _("appeal files")

    def __str__(self) -> str:
        return self.original_name


# ---------------------------------------------------------------- transparency


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
        return f"{self.month:%Y-%m}"


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
