"""Reports and their decisions: file, detect, claim, confirm, dismiss, freeze."""

from __future__ import annotations

from datetime import datetime

from django.contrib.contenttypes.models import ContentType
from django.db import IntegrityError, transaction

from accounts.services import record_audit

from .. import points as pts
from .. import signals
from ..detectors import Finding, scan_text
from ..exceptions import (
    AlreadyFrozen,
    ClaimedByOther,
    DuplicateReport,
    NoAccusedUser,
    NotFreezable,
    NotReportable,
    OwnCase,
    ReportingNotAllowed,
    RuleNotApplicable,
    SelfReport,
    StaleCase,
    UnknownRule,
)
from ..models import Report, Rule, Sanction, Severity, StatementOfReasons, Violation
from ..registry import get_reportable
from . import sanctions as sx
from .common import lock_user, require_moderator, require_reason, who

MAX_EVIDENCE = 20


def _rule(rule_or_code) -> Rule:
    if isinstance(rule_or_code, Rule):
        return rule_or_code
    rule = Rule.objects.filter(code=rule_or_code, is_active=True).first()
    if rule is None:
        raise UnknownRule(code=rule_or_code)
    return rule


def _owner(subject):
    entry = get_reportable(subject)
    if entry is None:
        raise NotReportable()
    owner = entry.owner(subject)
    return entry, owner


def file_report(*, reporter, subject, rule, details: str = "", now: datetime) -> Report:
    """A signed-in user reports ``subject`` (a registered model instance) for
    breaking ``rule`` (a Rule or its code).

    Refused (nothing written): the subject is not reportable or not visible to
    the reporter; the rule does not apply to this kind of subject; the reporter
    answers for the subject (reporting oneself or one's own content); the same
    reporter already has an open report on the same subject for the same rule;
    the reporter may not report (policy.can).
    """
    from ..policy import can

    if not can(reporter, "report"):
        raise ReportingNotAllowed()
    entry, owner = _owner(subject)
    if entry.visible_to is not None and not entry.visible_to(reporter, subject):
        raise NotReportable()
    try:
        rule = _rule(rule)
    except UnknownRule:
        raise RuleNotApplicable()
    if rule.category not in entry.categories or not rule.is_active:
        raise RuleNotApplicable()
    if owner is not None and owner.pk == reporter.pk:
        raise SelfReport()
    ct = ContentType.objects.get_for_model(subject)
    duplicate = Report.objects.filter(
        reporter=reporter,
        subject_type=ct,
        subject_id=str(subject.pk),
        rule=rule,
        status__in=Report.PENDING,
    )
    if duplicate.exists():
        raise DuplicateReport()
    try:
        with transaction.atomic():
            return Report.objects.create(
                created_at=now,
                source=Report.Source.USER,
                reporter=reporter,
                subject_type=ct,
                subject_id=str(subject.pk),
                subject_repr=str(subject)[:200],
                accused=owner,
                rule=rule,
                details=details.strip(),
                # the report's own text is read too: moderators see what it carries
                evidence=[
                    {**f.as_evidence(), "source": "report_text"} for f in scan_text(details.strip())
                ][:MAX_EVIDENCE],
            )
    except IntegrityError:  # a concurrent identical report won the race
        raise DuplicateReport()


def open_moderator_case(*, moderator, subject, rule, details: str, now: datetime) -> Report:
    """A moderator opens a case on something they noticed themselves."""
    require_moderator(moderator, "governance.decide_report")
    entry, owner = _owner(subject)
    rule = _rule(rule)
    with transaction.atomic():
        report = Report.objects.create(
            created_at=now,
            source=Report.Source.MODERATOR,
            reporter=None,
            subject_type=ContentType.objects.get_for_model(subject),
            subject_id=str(subject.pk),
            subject_repr=str(subject)[:200],
            accused=owner,
            rule=rule,
            details=require_reason(details),
        )
        record_audit(
            actor=moderator, action="governance.case_opened", target=report, reason=details
        )
        return report


def _automatic_report(
    *, subject, rule: Rule, accused, evidence: list[dict], confidence: int, details: str, now
):
    """Create or extend the one pending automatic report for (subject, rule).
    Caller is inside a transaction."""
    ct = ContentType.objects.get_for_model(subject)
    report = (
        Report.objects.select_for_update(of=("self",))
        .filter(
            source=Report.Source.AUTOMATIC,
            subject_type=ct,
            subject_id=str(subject.pk),
            rule=rule,
            status__in=Report.PENDING,
        )
        .first()
    )
    if report is not None:
        known = {(e.get("excerpt"), e.get("facts")) for e in report.evidence}
        added = [e for e in evidence if (e.get("excerpt"), e.get("facts")) not in known]
        if added:
            report.evidence = (report.evidence + added)[:MAX_EVIDENCE]
            report.confidence = max(report.confidence or 0, confidence)
            report.save(update_fields=["evidence", "confidence"])
        return report, False
    try:
        with transaction.atomic():
            report = Report.objects.create(
                created_at=now,
                source=Report.Source.AUTOMATIC,
                subject_type=ct,
                subject_id=str(subject.pk),
                subject_repr=str(subject)[:200],
                accused=accused,
                rule=rule,
                details=details,
                evidence=evidence[:MAX_EVIDENCE],
                confidence=confidence,
            )
            return report, True
    except IntegrityError:  # created concurrently: extend that one instead
        return _automatic_report(
            subject=subject,
            rule=rule,
            accused=accused,
            evidence=evidence,
            confidence=confidence,
            details=details,
            now=now,
        )


def record_automatic_findings(
    *, subject, text: str | None = None, findings: list[Finding] | None = None, now: datetime
) -> list[Report]:
    """Turn detector findings on ``subject``'s text into automatic reports (one
    pending report per subject and rule; later findings extend it). Never
    sanctions: a moderator decides. Returns the reports created or extended."""
    entry, owner = _owner(subject)
    if findings is None:
        findings = scan_text(text)
    by_rule: dict[str, list[Finding]] = {}
    for finding in findings:
        by_rule.setdefault(finding.rule_code, []).append(finding)
    reports = []
    with transaction.atomic():
        for code, group in sorted(by_rule.items()):
            rule = Rule.objects.filter(code=code, is_active=True).first()
            if rule is None:
                continue
            confidence = round(max(f.confidence for f in group) * 100)
            excerpts = ", ".join(f"“{f.excerpt}”" for f in group[:5])
            report, _created = _automatic_report(
                subject=subject,
                rule=rule,
                accused=owner,
                evidence=[f.as_evidence() for f in group],
                confidence=confidence,
                details=f"Detector found {len(group)} match(es): {excerpts}"[:2000],
                now=now,
            )
            reports.append(report)
    return reports


def record_system_violation(
    *,
    user,
    rule_code: str,
    facts: str,
    facts_params: dict | None = None,
    subject=None,
    now: datetime,
) -> Report:
    """Escrow reports a transaction event that may break a transaction rule (e.g.
    ``TRX-01`` when a delivery deadline passed and the buyer was refunded,
    ``TRX-03`` when a recovery claim was upheld, ``TRX-04`` after a chargeback).

    The event is a fact the system recorded, but not yet a violation: this opens
    an automatic case (confidence 100) against ``user`` that a moderator confirms
    or dismisses — an outage, a stolen card or a platform's own lock can explain
    it. ``subject`` (e.g. the deal) must be a registered reportable model or None
    (the user is then the subject). Repeated events on the same subject and rule
    extend the pending case.

    ``facts`` is an English message marked for translation (``gettext_noop``)
    with ``%(name)s`` for each of ``facts_params`` (numbers, codes, or words
    someone wrote): kept as both, it reads in each moderator's and each user's
    language (``models.evidence_facts``); the English text is the record."""
    rule = _rule(rule_code)
    params = facts_params or {}
    written = facts % params
    subject = subject if subject is not None else user
    _owner(subject)  # only registered subjects
    with transaction.atomic():
        report, _created = _automatic_report(
            subject=subject,
            rule=rule,
            accused=user,
            evidence=[
                {
                    "kind": "system_event",
                    "facts": written,
                    "message": facts,
                    "params": params,
                    "at": now.isoformat(),
                }
            ],
            confidence=100,
            details=written,
            now=now,
        )
        return report


def _lock_pending(report_id: int, moderator) -> Report:
    report = (
        Report.objects.select_for_update(of=("self",))
        .select_related("rule", "decided_by", "claimed_by")
        .get(pk=report_id)
    )
    if not report.is_pending:
        raise StaleCase(who=who(report.decided_by))
    if report.status == Report.Status.CLAIMED and report.claimed_by_id != moderator.pk:
        raise ClaimedByOther(who=who(report.claimed_by))
    return report


def claim_report(*, report_id: int, moderator, now: datetime) -> Report:
    """Take an open case (idempotent for the moderator who holds it)."""
    return _move_claim(report_id, moderator, now, to=Report.Status.CLAIMED)


def release_report(*, report_id: int, moderator, now: datetime) -> Report:
    """Give a claimed case back to the queue (only its holder can)."""
    return _move_claim(report_id, moderator, now, to=Report.Status.OPEN)


def _move_claim(report_id: int, moderator, now: datetime, *, to: str) -> Report:
    """A pending case to ``to`` (CLAIMED by ``moderator``, or OPEN again), audited;
    nothing happens when it is there already. Someone else's claim and a decided
    case are refused (``_lock_pending``)."""
    require_moderator(moderator, "governance.decide_report")
    with transaction.atomic():
        report = _lock_pending(report_id, moderator)
        if report.status == to:
            return report
        claimed = to == Report.Status.CLAIMED
        before = report.status
        report.status = to
        report.claimed_by = moderator if claimed else None
        report.claimed_at = now if claimed else None
        report.save(update_fields=["status", "claimed_by", "claimed_at"])
        record_audit(
            actor=moderator,
            action="governance.report_claimed" if claimed else "governance.report_released",
            target=report,
            before={"status": before},
            after={"status": to},
        )
        return report


def _end_freezes(report: Report, *, now, reason: str) -> list[Sanction]:
    ended = []
    for freeze in (
        Sanction.objects.select_for_update()
        .filter(report=report, kind=Sanction.Kind.FREEZE, status=Sanction.Status.ACTIVE)
        .order_by("pk")
    ):
        sx.end_sanction(freeze, status=Sanction.Status.LIFTED, reason=reason, now=now)
        ended.append(freeze)
    return ended


def confirm_report(
    *, report_id: int, moderator, facts: str, reason: str = "", now: datetime
) -> Violation:
    """Confirm a case: record the violation under the rule's current version,
    deduct points (×1.5 for the same rule within 90 days), take the measures of
    the ladder and the rule, end a precautionary freeze, tell the user (statement
    of reasons) and the reporter. Lock order: report → user."""
    require_moderator(moderator, "governance.decide_report")
    facts = require_reason(facts)
    with transaction.atomic():
        report = _lock_pending(report_id, moderator)
        if report.accused_id is None:
            raise NoAccusedUser()
        if report.accused_id == moderator.pk:
            raise OwnCase()
        user = lock_user(report.accused_id)
        rule = Rule.objects.get(pk=report.rule_id)
        version = rule.current_version
        repeat = Violation.objects.filter(
            user=user,
            rule=rule,
            status=Violation.Status.CONFIRMED,
            decided_at__gt=now - pts.REPEAT_WINDOW,
            decided_at__lte=now,
        ).exists()
        before = sx.points_lost_now(user, now)
        violation = Violation.objects.create(
            user=user,
            rule=rule,
            rule_version=version,
            report=report,
            subject_type_id=report.subject_type_id,
            subject_id=report.subject_id,
            subject_repr=report.subject_repr,
            facts=facts,
            automated=report.source == Report.Source.AUTOMATIC,
            decided_by=moderator,
            decided_at=now,
            points_half=pts.deduction_half(version.points_half, repeat=repeat),
            repeat=repeat,
            points_expire_at=pts.expiry_for(now, severity=version.severity),
        )
        _end_freezes(report, now=now, reason="case decided: violation confirmed")
        made = sx.apply_decision(
            violation=violation, before_half=before, now=now, moderator=moderator
        )
        report.status = Report.Status.CONFIRMED
        report.decided_by = moderator
        report.decided_at = now
        report.decision_reason = (reason or "").strip()
        if report.claimed_by_id is None:
            report.claimed_by, report.claimed_at = moderator, now
        report.save()
        signals.violation_confirmed.send(sender=Violation, violation=violation)
        record_audit(
            actor=moderator,
            action="governance.report_confirmed",
            target=report,
            reason=reason or facts,
            before={"status": "open", "points_lost_half": before},
            after={
                "status": "confirmed",
                "violation": violation.pk,
                "rule": f"{rule.code} v{version.version}",
                "points_half": violation.points_half,
                "sanctions": [s.kind for s in made],
            },
        )
        statement_ids = list(
            StatementOfReasons.objects.filter(violation=violation).values_list("pk", flat=True)
        )
        sx.queue_statements_email(statement_ids)
        _notify_reporter(report)
        return violation


def dismiss_report(*, report_id: int, moderator, reason: str, now: datetime) -> Report:
    """Dismiss a case with a reason the reporter is told; ends a freeze."""
    require_moderator(moderator, "governance.decide_report")
    reason = require_reason(reason)
    with transaction.atomic():
        report = _lock_pending(report_id, moderator)
        _end_freezes(report, now=now, reason="case decided: dismissed")
        previous = report.status
        report.status = Report.Status.DISMISSED
        report.decided_by = moderator
        report.decided_at = now
        report.decision_reason = reason
        if report.claimed_by_id is None:
            report.claimed_by, report.claimed_at = moderator, now
        report.save()
        record_audit(
            actor=moderator,
            action="governance.report_dismissed",
            target=report,
            reason=reason,
            before={"status": previous},
            after={"status": "dismissed"},
        )
        _notify_reporter(report)
        return report


def freeze_user(*, report_id: int, moderator, reason: str, now: datetime) -> Sanction:
    """Precautionary freeze on an open S4 case (stolen account, fake identity,
    phishing …): no new deals, payouts held, listings hidden, until the case is
    decided (confirm or dismiss ends it)."""
    require_moderator(moderator, "governance.freeze_user")
    reason = require_reason(reason)
    with transaction.atomic():
        report = _lock_pending(report_id, moderator)
        if report.rule.severity != Severity.S4 or report.accused_id is None:
            raise NotFreezable()
        if report.accused_id == moderator.pk:
            raise OwnCase()
        user = lock_user(report.accused_id)
        if Sanction.objects.filter(
            report=report, kind=Sanction.Kind.FREEZE, status=Sanction.Status.ACTIVE
        ).exists():
            raise AlreadyFrozen()
        sanction = sx.create_sanction(
            user=user,
            kind=Sanction.Kind.FREEZE,
            basis=Sanction.Basis.FREEZE,
            now=now,
            report=report,
            facts=reason,
            created_by=moderator,
        )
        record_audit(
            actor=moderator,
            action="governance.user_frozen",
            target=user,
            reason=reason,
            after={"report": report.pk, "sanction": sanction.pk},
        )
        sx.queue_statements_email([sanction.statement.pk])
        return sanction


def _notify_reporter(report: Report) -> None:
    if report.reporter_id and report.source == Report.Source.USER:
        from ..notifications import queue_report_outcome

        queue_report_outcome(report)
