"""Points, the ladder and the measures a decision takes (called by the report and
appeal services inside their transactions; the caller holds the user's row lock)."""

from __future__ import annotations

from datetime import datetime

from .. import points as pts
from .. import signals
from ..enforcement import TERMS
from ..models import DefaultSanction, Sanction, StatementOfReasons, Violation
from .common import appeal_deadline

LADDER_KINDS = {
    pts.Step.WARNING: Sanction.Kind.WARNING,
    pts.Step.NO_NEW_LISTINGS: Sanction.Kind.NO_NEW_LISTINGS,
    pts.Step.SELLING_SUSPENDED: Sanction.Kind.SELLING_SUSPENDED,
    pts.Step.CLOSED: Sanction.Kind.CLOSED,
}
KIND_STEP = {kind: step for step, kind in LADDER_KINDS.items()}
RULE_MEASURES = {
    DefaultSanction.RESTRICT_MESSAGING: Sanction.Kind.MESSAGING_RESTRICTED,
    DefaultSanction.RESTRICT_REPORTING: Sanction.Kind.REPORTING_RESTRICTED,
}


def deductions(user, *, exclude_id: int | None = None) -> list[pts.Deduction]:
    rows = Violation.objects.filter(user=user)
    if exclude_id is not None:
        rows = rows.exclude(pk=exclude_id)
    return _deductions(rows).get(user.pk, [])


def deductions_by_user(user_ids) -> dict[int, list[pts.Deduction]]:
    """``deductions`` of several users in one query (lists of cases)."""
    found = _deductions(Violation.objects.filter(user_id__in=user_ids))
    return {pk: found.get(pk, []) for pk in user_ids}


def _deductions(violations) -> dict[int, list[pts.Deduction]]:
    """The confirmed ones of ``violations`` as deductions, by user id."""
    found: dict[int, list[pts.Deduction]] = {}
    for user_id, decided_at, expires_at, half in violations.filter(
        status=Violation.Status.CONFIRMED
    ).values_list("user_id", "decided_at", "points_expire_at", "points_half"):
        found.setdefault(user_id, []).append(pts.Deduction(decided_at, expires_at, half))
    return found


def points_lost_now(user, now: datetime) -> int:
    return pts.points_lost(deductions(user), now)


def _in_force(user, now):
    return list(Sanction.objects.in_force(now).filter(user=user))


def _statement_for(
    sanction: Sanction, violation: Violation | None, facts: str, now
) -> StatementOfReasons:
    rule_version = violation.rule_version if violation else sanction.report.rule.current_version
    scope = list(sanction.capabilities)
    if sanction.kind == Sanction.Kind.CONTENT_REMOVED and violation is not None:
        scope = [violation.subject_repr]
    return StatementOfReasons.objects.create(
        user=sanction.user,
        violation=violation,
        sanction=sanction,
        created_at=now,
        measure=sanction.kind,
        scope=scope,
        points_half=0,
        starts_at=sanction.starts_at,
        ends_at=sanction.ends_at,
        facts=facts,
        rule_code=rule_version.rule.code,
        rule_version=rule_version.version,
        rule_title_en=rule_version.title_en,
        rule_title_zh=rule_version.title_zh,
        automated_detection=violation.automated if violation else False,
        automated_decision=False,
        appeal_until=appeal_deadline(violation.decided_at) if violation else None,
    )


def create_sanction(
    *,
    user,
    kind: str,
    basis: str,
    now: datetime,
    violation: Violation | None = None,
    report=None,
    ends_at: datetime | None = None,
    facts: str,
    created_by=None,
    hold: bool = True,
) -> Sanction:
    terms = TERMS[kind]
    if ends_at is None and terms.duration is not None:
        ends_at = now + terms.duration
    sanction = Sanction.objects.create(
        user=user,
        kind=kind,
        basis=basis,
        capabilities=list(terms.capabilities),
        payout_hold_days=terms.payout_hold_days if hold else 0,
        violation=violation,
        report=report,
        starts_at=now,
        ends_at=ends_at,
        created_by=created_by,
    )
    _statement_for(sanction, violation, facts, now)
    signals.sanction_applied.send(sender=Sanction, sanction=sanction, user=user)
    if kind == Sanction.Kind.CLOSED:
        signals.user_banned.send(sender=Sanction, user=user, sanction=sanction)
    elif kind == Sanction.Kind.FREEZE:
        signals.user_frozen.send(sender=Sanction, user=user, sanction=sanction)
    return sanction


def end_sanction(sanction: Sanction, *, status: str, reason: str, now: datetime) -> None:
    """Record that ``sanction`` ended (caller holds the user's lock)."""
    sanction.status = status
    sanction.ended_at = now
    sanction.end_reason = reason[:200]
    sanction.save(update_fields=["status", "ended_at", "end_reason"])
    signals.sanction_lifted.send(
        sender=Sanction, sanction=sanction, user=sanction.user, reason=reason
    )
    if sanction.kind == Sanction.Kind.CLOSED:
        signals.user_unbanned.send(sender=Sanction, user=sanction.user, sanction=sanction)
    elif sanction.kind == Sanction.Kind.FREEZE:
        signals.user_unfrozen.send(sender=Sanction, user=sanction.user, sanction=sanction)


def closure_end(user, now: datetime, *, exclude_id: int | None = None) -> datetime | None:
    return pts.below_threshold_at(deductions(user, exclude_id=exclude_id), pts.ALLOWANCE_HALF, now)


def apply_decision(
    *, violation: Violation, before_half: int, now: datetime, moderator
) -> list[Sanction]:
    """Take the measures a newly confirmed ``violation`` calls for: the most severe
    ladder step crossed (or selling suspended for a sixth repeat in 90 days), the
    rule's own measure, and the points statement. Caller holds the user's lock."""
    user = violation.user
    rule_version = violation.rule_version
    after_half = before_half + violation.points_half
    facts = violation.facts
    in_force = _in_force(user, now)
    in_force_kinds = {s.kind for s in in_force}
    made: list[Sanction] = []

    StatementOfReasons.objects.create(
        user=user,
        violation=violation,
        created_at=now,
        measure=StatementOfReasons.Measure.POINTS,
        scope=[],
        points_half=violation.points_half,
        starts_at=now,
        ends_at=violation.points_expire_at,
        facts=facts,
        rule_code=violation.rule.code,
        rule_version=rule_version.version,
        rule_title_en=rule_version.title_en,
        rule_title_zh=rule_version.title_zh,
        automated_detection=violation.automated,
        automated_decision=False,
        appeal_until=appeal_deadline(violation.decided_at),
    )

    step = pts.step_for_decision(before_half, after_half)
    basis = Sanction.Basis.LADDER
    if rule_version.default_sanction == DefaultSanction.CLOSE_ACCOUNT and step < pts.Step.CLOSED:
        if (
            pts.ladder_step(after_half) == pts.Step.CLOSED
            and Sanction.Kind.CLOSED not in in_force_kinds
        ):
            step, basis = pts.Step.CLOSED, Sanction.Basis.RULE
    repeats = Violation.objects.filter(
        user=user,
        rule=violation.rule,
        status=Violation.Status.CONFIRMED,
        decided_at__gt=now - pts.REPEAT_WINDOW,
        decided_at__lte=now,
    ).count()
    repeat_suspension = repeats >= pts.REPEAT_SUSPENSION_COUNT and step < pts.Step.SELLING_SUSPENDED
    if repeat_suspension:
        step, basis = pts.Step.SELLING_SUSPENDED, Sanction.Basis.REPEAT

    if step != pts.Step.NONE:
        kind = LADDER_KINDS[step]
        already = any(
            KIND_STEP.get(s.kind, 0) >= step
            for s in in_force
            if s.kind in KIND_STEP and s.kind != Sanction.Kind.WARNING
        )
        if not already or kind == Sanction.Kind.WARNING:
            ends_at = None
            if kind == Sanction.Kind.CLOSED:
                ends_at = closure_end(user, now)
            elif kind == Sanction.Kind.WARNING:
                ends_at = violation.points_expire_at
            made.append(
                create_sanction(
                    user=user,
                    kind=kind,
                    basis=basis,
                    now=now,
                    violation=violation,
                    ends_at=ends_at,
                    facts=facts,
                    created_by=moderator,
                    hold=basis != Sanction.Basis.REPEAT,
                )
            )
    # A closure in force lasts until the points fall below 12: a new deduction may extend it.
    for sanction in in_force:
        if sanction.kind == Sanction.Kind.CLOSED:
            new_end = closure_end(user, now)
            if new_end != sanction.ends_at and (
                new_end is None or (sanction.ends_at is not None and new_end > sanction.ends_at)
            ):
                sanction.ends_at = new_end
                sanction.save(update_fields=["ends_at"])

    extra = RULE_MEASURES.get(rule_version.default_sanction)
    if extra is not None and extra not in in_force_kinds:
        made.append(
            create_sanction(
                user=user,
                kind=extra,
                basis=Sanction.Basis.RULE,
                now=now,
                violation=violation,
                facts=facts,
                created_by=moderator,
            )
        )
    if (
        rule_version.default_sanction == DefaultSanction.REMOVE_CONTENT
        and violation.subject_type_id
        and violation.subject_type.model_class() is not type(user)
    ):
        made.append(
            create_sanction(
                user=user,
                kind=Sanction.Kind.CONTENT_REMOVED,
                basis=Sanction.Basis.RULE,
                now=now,
                violation=violation,
                facts=facts,
                created_by=moderator,
            )
        )
        subject = violation.subject
        if subject is not None:
            signals.content_removal_requested.send(
                sender=Violation, subject=subject, violation=violation
            )
    return made


def undo_decision(*, violation: Violation, now: datetime, reason: str) -> None:
    """Undo everything ``violation``'s decision did (an upheld appeal): its points
    stop counting, its sanctions and holds are overruled, and ladder measures of
    later decisions that no longer reach their step are lifted. Caller holds the
    user's and the violation's locks."""
    user = violation.user
    violation.status = Violation.Status.OVERRULED
    violation.overruled_at = now
    violation.save(update_fields=["status", "overruled_at"])
    for sanction in violation.sanctions.exclude(status=Sanction.Status.OVERRULED).order_by("pk"):
        end_sanction(sanction, status=Sanction.Status.OVERRULED, reason=reason, now=now)
        if sanction.kind == Sanction.Kind.CONTENT_REMOVED and violation.subject is not None:
            signals.content_reinstated.send(
                sender=Violation, subject=violation.subject, violation=violation
            )
    signals.violation_overruled.send(sender=Violation, violation=violation)
    reassess(user, now=now, reason=reason)


def reassess(user, *, now: datetime, reason: str) -> list[Sanction]:
    """Lift ladder measures that the user's remaining (confirmed) deductions no
    longer justify, and shorten a closure to when the points now fall below 12."""
    lifted = []
    current = deductions(user)
    for sanction in (
        Sanction.objects.select_related("violation")
        .filter(user=user, status=Sanction.Status.ACTIVE, basis=Sanction.Basis.LADDER)
        .order_by("pk")
    ):
        if not sanction.in_force(now) or sanction.violation is None:
            continue
        v = sanction.violation
        earlier = [d for d in deductions(user, exclude_id=v.pk) if d.decided_at <= v.decided_at]
        before = pts.points_lost(earlier, v.decided_at)
        step = pts.ladder_step(before + v.points_half)
        if step < KIND_STEP.get(sanction.kind, pts.Step.NONE):
            end_sanction(sanction, status=Sanction.Status.LIFTED, reason=reason, now=now)
            lifted.append(sanction)
            continue
        if sanction.kind == Sanction.Kind.CLOSED:
            new_end = pts.below_threshold_at(current, pts.ALLOWANCE_HALF, now)
            if new_end is not None and new_end <= now:
                end_sanction(sanction, status=Sanction.Status.LIFTED, reason=reason, now=now)
                lifted.append(sanction)
            elif new_end != sanction.ends_at:
                sanction.ends_at = new_end
                sanction.save(update_fields=["ends_at"])
    return lifted


def queue_statements_email(statement_ids: list[int]) -> None:
    """The statements' e-mail, in the outbox with the decision (caller's transaction)."""
    from ..notifications import queue_statements

    queue_statements(statement_ids)
