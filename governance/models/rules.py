"""The rules catalogue: categories, severities, each rule and the versions its
substance went through (violations point at a version)."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone, translation
from django.utils.translation import gettext_lazy as _

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


def reads_chinese() -> bool:
    """Whether the active language is Chinese: bilingual texts then show their zh side."""
    return (translation.get_language() or "").lower().startswith("zh")


def version_label(number) -> str:
    """A rule's version as the reader says it ("version 2", "版本 2"), not "v2"."""
    return translation.gettext("version %(n)s") % {"n": number}


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
        return self.title_zh if reads_chinese() else self.title_en

    @property
    def description(self) -> str:
        return self.description_zh if reads_chinese() else self.description_en

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
        return f"{self.rule.code} {version_label(self.version)}"
