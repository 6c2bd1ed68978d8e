"""Confirming and dismissing cases: violations tied to the rule version, points,
the ladder through policy.can, repeats, freezes, stale items, audit."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from accounts.models import AuditEntry
from governance import services
from governance.enforcement import blocked_capabilities
from governance.exceptions import ClaimedByOther, NotFreezable, OwnCase, StaleCase
from governance.models import Report, Rule, Sanction, StatementOfReasons, Violation
from governance.policy import can, payouts_held_until
from governance.services.sanctions import points_lost_now
from tests.factories import VerifiedUserFactory
from tests.mail import outbox_sent

from .conftest import confirm

pytestmark = pytest.mark.django_db


def _abilities(user, now):
    blocked = blocked_capabilities(user, now=now)
    return {
        c: c not in blocked
        for c in ("list", "sell", "buy", "message", "withdraw", "report", "appeal")
    }


def test_confirming_records_the_violation_under_the_current_rule_version(
    moderator, reporter, seller, now
):
    rule = Rule.objects.get(code="BEH-07")
    services.update_rule(
        editor=moderator, rule_id=rule.pk, changes={"description_en": "v2 text"}, now=now
    )
    violation = confirm(user=seller, rule="BEH-07", moderator=moderator, now=now, reporter=reporter)
    assert violation.rule_version.version == 2
    assert violation.points_half == 6 and not violation.repeat
    assert violation.points_expire_at == now + timedelta(days=365)
    assert violation.report.status == Report.Status.CONFIRMED
    assert violation.report.decided_by == moderator
    entry = AuditEntry.objects.get(action="governance.report_confirmed")
    assert entry.actor == moderator and entry.after["rule"] == "BEH-07 v2"


LADDER_CASES = {
    "warning": (["BEH-02"], {"list": True, "sell": True, "buy": True}),
    "no_new_listings": (["BEH-11"], {"list": False, "sell": True, "buy": True}),
    "selling_suspended": (["BEH-02", "BEH-11"], {"list": False, "sell": False, "buy": True}),
    "closed": (["BEH-11", "BEH-03"], {"list": False, "sell": False, "buy": False}),
}


@pytest.mark.parametrize("step", list(LADDER_CASES))
def test_each_ladder_step_removes_the_right_capabilities_through_policy_can(step, moderator):
    seller = VerifiedUserFactory()
    rules, expected = LADDER_CASES[step]
    now = timezone.now()
    for offset, rule in enumerate(rules):
        confirm(
            user=seller, rule=rule, moderator=moderator, now=now - timedelta(minutes=10 - offset)
        )
    assert {c: can(seller, c) for c in expected} == expected
    # never taken by the ladder: messages, reports, appeals
    assert can(seller, "message") and can(seller, "report") and can(seller, "appeal")
    assert Sanction.objects.filter(user=seller, kind=step, status="active").exists()


def test_ladder_durations_and_payout_holds(moderator, seller, now):
    confirm(user=seller, rule="BEH-11", moderator=moderator, now=now)  # 6 points
    assert not _abilities(seller, now + timedelta(days=7) - timedelta(seconds=1))["list"]
    assert _abilities(seller, now + timedelta(days=7))["list"]
    t3 = now + timedelta(days=1)
    confirm(user=seller, rule="BEH-02", moderator=moderator, now=t3)  # 9 points
    assert not _abilities(seller, t3 + timedelta(days=30) - timedelta(seconds=1))["sell"]
    assert _abilities(seller, t3 + timedelta(days=30))["sell"]
    release = t3 + timedelta(days=3)
    assert payouts_held_until(seller, release_at=release, now=t3) == release + timedelta(days=14)
    # a payout due after the suspension ended is not held
    later = t3 + timedelta(days=31)
    assert payouts_held_until(seller, release_at=later, now=later) == later
    t4 = now + timedelta(days=2)
    confirm(user=seller, rule="LST-05", moderator=moderator, now=t4)  # 12 points
    closed = Sanction.objects.get(user=seller, kind="closed")
    # the closure lasts until the points fall below 12: when the first deduction expires
    assert closed.ends_at == now + timedelta(days=365)
    assert payouts_held_until(
        seller, release_at=t4, now=t4, last_protection_end=t4 + timedelta(days=7)
    ) == t4 + timedelta(days=97)


def test_one_decision_crossing_several_steps_applies_only_the_most_severe(moderator, seller, now):
    confirm(user=seller, rule="ADM-02", moderator=moderator, now=now)  # S4: 12 points at once
    kinds = sorted(Sanction.objects.filter(user=seller).values_list("kind", flat=True))
    assert kinds == ["closed"]
    assert Sanction.objects.get(user=seller).ends_at is None  # S4 stands while the ban stands
    assert points_lost_now(seller, now + timedelta(days=800)) == 24


def test_the_same_rule_within_90_days_costs_one_and_a_half(moderator, seller, now):
    first = confirm(user=seller, rule="LST-04", moderator=moderator, now=now)
    second = confirm(user=seller, rule="LST-04", moderator=moderator, now=now + timedelta(days=89))
    third = confirm(
        user=seller, rule="LST-04", moderator=moderator, now=now + timedelta(days=89 + 91)
    )
    assert (first.points_half, second.points_half, third.points_half) == (2, 3, 2)
    assert second.repeat and not third.repeat


def test_points_expire_after_365_days(moderator, seller, now):
    confirm(user=seller, rule="BEH-07", moderator=moderator, now=now)
    assert points_lost_now(seller, now + timedelta(days=364)) == 6
    assert points_lost_now(seller, now + timedelta(days=365)) == 0


def test_six_times_the_same_rule_in_90_days_suspends_selling_whatever_the_points(moderator, seller):
    start = timezone.now() - timedelta(days=51)
    for i in range(6):
        confirm(user=seller, rule="BEH-05", moderator=moderator, now=start + timedelta(days=i * 10))
    at = start + timedelta(days=50)
    assert points_lost_now(seller, at) == 1 + 2 * 5  # 5.5 points: below the 6-point step
    suspension = Sanction.objects.get(user=seller, kind="selling_suspended")
    assert suspension.basis == Sanction.Basis.REPEAT
    assert not can(seller, "sell")


def test_rule_measures_come_with_the_points(moderator, seller):
    now = timezone.now()
    confirm(
        user=seller, rule="BEH-12", moderator=moderator, now=now
    )  # threats: messaging restricted
    assert not can(seller, "message")
    assert not _abilities(seller, now + timedelta(days=6))["message"]
    assert _abilities(seller, now + timedelta(days=7, seconds=1))["message"]


def test_dismissing_needs_a_reason_and_tells_the_reporter(
    moderator, reporter, seller, now, mailoutbox, django_capture_on_commit_callbacks
):
    report = services.file_report(
        reporter=reporter, subject=seller, rule="BEH-07", details="rude", now=now
    )
    with outbox_sent(), django_capture_on_commit_callbacks(execute=True):
        services.dismiss_report(
            report_id=report.pk, moderator=moderator, reason="Polite messages only.", now=now
        )
    report.refresh_from_db()
    assert (
        report.status == Report.Status.DISMISSED
        and report.decision_reason == "Polite messages only."
    )
    assert Violation.objects.count() == 0 and Sanction.objects.count() == 0
    assert mailoutbox[0].to == [reporter.email] and "Polite messages only." in mailoutbox[0].body


def test_a_stale_item_decided_by_someone_else_is_refused_and_nothing_is_written_twice(
    moderator, moderator2, reporter, seller, now
):
    report = services.file_report(
        reporter=reporter, subject=seller, rule="BEH-07", details="rude", now=now
    )
    services.confirm_report(report_id=report.pk, moderator=moderator, facts="facts", now=now)
    audit_count = AuditEntry.objects.count()
    with pytest.raises(StaleCase, match="Mod One"):
        services.confirm_report(report_id=report.pk, moderator=moderator2, facts="facts", now=now)
    with pytest.raises(StaleCase):
        services.dismiss_report(report_id=report.pk, moderator=moderator2, reason="no", now=now)
    # BEH-07: 3 points (a warning) and messaging restricted — once each
    assert Violation.objects.count() == 1 and Sanction.objects.count() == 2
    assert StatementOfReasons.objects.count() == 3
    assert AuditEntry.objects.count() == audit_count


def test_a_case_claimed_by_another_moderator_cannot_be_decided(
    moderator, moderator2, reporter, seller, now
):
    report = services.file_report(
        reporter=reporter, subject=seller, rule="BEH-07", details="rude", now=now
    )
    services.claim_report(report_id=report.pk, moderator=moderator, now=now)
    with pytest.raises(ClaimedByOther):
        services.dismiss_report(report_id=report.pk, moderator=moderator2, reason="no", now=now)
    services.release_report(report_id=report.pk, moderator=moderator, now=now)
    services.dismiss_report(report_id=report.pk, moderator=moderator2, reason="no", now=now)


def test_claiming_and_releasing_a_case_are_audited_once_and_only_by_the_holder(
    moderator, moderator2, reporter, seller, now
):
    report = services.file_report(
        reporter=reporter, subject=seller, rule="BEH-07", details="rude", now=now
    )
    for _ in range(2):  # the second claim and release change nothing
        services.claim_report(report_id=report.pk, moderator=moderator, now=now)
    report.refresh_from_db()
    assert (report.status, report.claimed_by, report.claimed_at) == ("claimed", moderator, now)
    with pytest.raises(ClaimedByOther):
        services.release_report(report_id=report.pk, moderator=moderator2, now=now)
    with pytest.raises(ClaimedByOther):
        services.claim_report(report_id=report.pk, moderator=moderator2, now=now)
    for _ in range(2):
        services.release_report(report_id=report.pk, moderator=moderator, now=now)
    report.refresh_from_db()
    assert (report.status, report.claimed_by, report.claimed_at) == ("open", None, None)
    trail = [
        (e.action, e.actor, e.before, e.after)
        for e in AuditEntry.objects.filter(target_id=str(report.pk)).order_by("pk")
        if e.action.startswith("governance.report_")
    ]
    assert trail == [
        ("governance.report_claimed", moderator, {"status": "open"}, {"status": "claimed"}),
        ("governance.report_released", moderator, {"status": "claimed"}, {"status": "open"}),
    ]


def test_a_moderator_cannot_decide_a_case_against_themselves(moderator, reporter, now):
    report = services.file_report(
        reporter=reporter, subject=moderator, rule="BEH-07", details="rude", now=now
    )
    with pytest.raises(OwnCase):
        services.confirm_report(report_id=report.pk, moderator=moderator, facts="x", now=now)


def test_precautionary_freeze_on_an_s4_case_ends_with_the_decision(moderator, reporter):
    now = timezone.now()
    seller = VerifiedUserFactory()
    report = services.file_report(
        reporter=reporter, subject=seller, rule="ADM-02", details="fake passport", now=now
    )
    services.freeze_user(
        report_id=report.pk, moderator=moderator, reason="Documents look forged.", now=now
    )
    assert not can(seller, "buy") and not can(seller, "sell") and not can(seller, "withdraw")
    assert can(seller, "message") and can(seller, "appeal")
    assert payouts_held_until(seller, release_at=now, now=now) is None
    services.dismiss_report(
        report_id=report.pk, moderator=moderator, reason="Documents checked: genuine.", now=now
    )
    assert can(seller, "buy") and can(seller, "sell") and can(seller, "withdraw")
    assert payouts_held_until(seller, release_at=now, now=now) == now
    freeze = Sanction.objects.get(kind="freeze")
    assert freeze.status == Sanction.Status.LIFTED and freeze.statement.measure == "freeze"


def test_only_s4_cases_can_be_frozen(moderator, reporter, seller, now):
    report = services.file_report(
        reporter=reporter, subject=seller, rule="BEH-07", details="rude", now=now
    )
    with pytest.raises(NotFreezable):
        services.freeze_user(report_id=report.pk, moderator=moderator, reason="x", now=now)
    assert Sanction.objects.count() == 0


def test_non_moderators_cannot_decide(reporter, seller, now):
    from governance.exceptions import NotAModerator

    report = services.file_report(
        reporter=reporter, subject=seller, rule="BEH-07", details="rude", now=now
    )
    with pytest.raises(NotAModerator):
        services.confirm_report(report_id=report.pk, moderator=seller, facts="x", now=now)


def test_signals_tell_other_apps_about_bans(moderator, seller, now):
    from governance import signals

    seen = []

    def receiver(sender, **kwargs):
        seen.append(kwargs["user"].pk)

    signals.user_banned.connect(receiver, weak=False, dispatch_uid="test-ban")
    try:
        confirm(user=seller, rule="TRX-03", moderator=moderator, now=now)
    finally:
        signals.user_banned.disconnect(dispatch_uid="test-ban")
    assert seen == [seller.pk]
