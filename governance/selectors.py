"""Reads the governance pages share, with the access checks: a user sees only
their own reports, violations, statements and appeals (404 otherwise)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import get_object_or_404

from accounts.permissions import is_acting_moderator

from . import points as pts
from .models import Appeal, AppealFile, Report, Rule, Sanction, StatementOfReasons, Violation
from .registry import get_reportable, shown_to
from .services.common import appeal_deadline
from .services.sanctions import deductions


def get_reportable_subject_for_user(user, content_type_id: int, object_id: str):
    """The object behind a report URL, or 404: unknown type, a model that is not
    reportable, a missing object, or one the user may not see."""
    try:
        ct = ContentType.objects.get_for_id(content_type_id)
    except ContentType.DoesNotExist:
        raise Http404
    model = ct.model_class()
    entry = get_reportable(model) if model is not None else None
    if entry is None:
        raise Http404
    try:
        obj = model._default_manager.get(pk=model._meta.pk.to_python(object_id))
    except (model.DoesNotExist, ValidationError, ValueError, TypeError):
        raise Http404
    if entry.visible_to is not None and not entry.visible_to(user, obj):
        raise Http404
    if not shown_to(user, obj):
        raise Http404
    return entry, obj


def rules_for(entry) -> list[Rule]:
    return list(Rule.objects.filter(is_active=True, category__in=entry.categories).order_by("code"))


def reports_filed_by(user):
    return (
        Report.objects.filter(reporter=user).select_related("rule").order_by("-created_at", "-id")
    )


@dataclass
class Standing:
    lost_half: int
    left_half: int
    step: pts.Step
    active_sanctions: list[Sanction]
    violations: list[Violation]
    statements: list[StatementOfReasons]
    now: datetime

    @property
    def left_display(self) -> str:
        return pts.format_half(self.left_half)

    @property
    def lost_display(self) -> str:
        return pts.format_half(self.lost_half)

    @property
    def allowance_display(self) -> str:
        return pts.format_half(pts.ALLOWANCE_HALF)


def standing_for(user, *, now: datetime) -> Standing:
    lost = pts.points_lost(deductions(user), now)
    sanctions = [
        s
        for s in Sanction.objects.filter(user=user, status=Sanction.Status.ACTIVE)
        .select_related("statement", "violation__rule")
        .order_by("-starts_at", "-id")
        if s.in_force(now)
    ]
    violations = list(
        Violation.objects.filter(user=user)
        .select_related("rule", "rule_version")
        .prefetch_related("appeal")
        .order_by("-decided_at", "-id")
    )
    for v in violations:
        v.appeal_until = appeal_deadline(v.decided_at)
        v.existing_appeal = getattr(v, "appeal", None)
        v.can_appeal = (
            v.status == Violation.Status.CONFIRMED
            and v.existing_appeal is None
            and now <= v.appeal_until
        )
        v.points_display = pts.format_half(v.points_half)
        v.counts_now = v.status == Violation.Status.CONFIRMED and pts.Deduction(
            v.decided_at, v.points_expire_at, v.points_half
        ).counts_at(now)
    statements = list(
        StatementOfReasons.objects.filter(user=user)
        .select_related("sanction")
        .order_by("-created_at", "-id")
    )
    return Standing(
        lost_half=lost,
        left_half=pts.points_left(lost),
        step=pts.ladder_step(lost),
        active_sanctions=sanctions,
        violations=violations,
        statements=statements,
        now=now,
    )


def can_appeal(violation: Violation | None, *, now: datetime) -> bool:
    return bool(
        violation is not None
        and violation.status == Violation.Status.CONFIRMED
        and not Appeal.objects.filter(violation=violation).exists()
        and now <= appeal_deadline(violation.decided_at)
    )


def get_statement_for_user(user, pk: int) -> StatementOfReasons:
    return get_object_or_404(
        StatementOfReasons.objects.select_related("sanction", "violation"), pk=pk, user=user
    )


def get_violation_for_user(user, pk: int) -> Violation:
    return get_object_or_404(
        Violation.objects.select_related("rule", "rule_version"), pk=pk, user=user
    )


def get_appeal_file_for_user(user, pk: int) -> AppealFile:
    """The appellant, or an acting moderator allowed to read appeals; 404 for anyone else."""
    item = get_object_or_404(AppealFile.objects.select_related("appeal"), pk=pk)
    if item.appeal.user_id == user.pk:
        return item
    if is_acting_moderator(user) and user.has_perm("governance.view_appealfile"):
        return item
    raise Http404


def appeals_of(user):
    return Appeal.objects.filter(user=user).select_related("violation__rule")


def rules_in_force_by_category() -> list[tuple[str, list[Rule]]]:
    """The catalogue as the platform's published rules: (category label, rules in
    force ordered by code), in the catalogue's category order."""
    from .models import Category

    rules = list(Rule.objects.filter(is_active=True).order_by("code"))
    return [
        (label, [rule for rule in rules if rule.category == value])
        for value, label in Category.choices
        if any(rule.category == value for rule in rules)
    ]
