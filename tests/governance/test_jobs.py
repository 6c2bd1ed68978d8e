"""Penalty jobs: lift expired sanctions, expire points, rescan after a rules
change, transparency snapshots (JSON/CSV match the rows). Each takes ``now`` and
is idempotent."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime, timedelta

import pytest
from django.conf import settings

from governance import services, signals
from governance.models import Report, Rule, Sanction, TransparencySnapshot, Violation
from governance.services.transparency import compute_figures
from marketplace.celery import app

from .conftest import confirm

pytestmark = pytest.mark.django_db


def test_beat_lists_every_governance_job():
    app.loader.import_default_modules()
    tasks = {entry["task"] for entry in settings.CELERY_BEAT_SCHEDULE.values()}
    for name in (
        "governance.lift_expired_sanctions",
        "governance.expire_points",
        "governance.rescan_content",
        "governance.build_transparency_snapshots",
    ):
        assert name in tasks and name in app.tasks


def test_expired_sanctions_are_lifted_once_and_other_apps_are_told(
    moderator, seller, now, django_assert_max_num_queries
):
    confirm(user=seller, rule="BEH-11", moderator=moderator, now=now)  # no new listings, 7 days
    lifted = []
    signals.sanction_lifted.connect(
        lambda sender, **kw: lifted.append(kw["reason"]), weak=False, dispatch_uid="t-lift"
    )
    try:
        assert services.lift_expired_sanctions(now=now + timedelta(days=6)) == 0
        with django_assert_max_num_queries(10):
            assert services.lift_expired_sanctions(now=now + timedelta(days=7)) == 1
        assert services.lift_expired_sanctions(now=now + timedelta(days=8)) == 0
    finally:
        signals.sanction_lifted.disconnect(dispatch_uid="t-lift")
    assert lifted == ["expired"]
    assert Sanction.objects.get(kind="no_new_listings").status == Sanction.Status.ENDED


def test_points_are_marked_restored_after_365_days(moderator, seller, now):
    confirm(user=seller, rule="BEH-07", moderator=moderator, now=now)
    assert services.expire_points(now=now + timedelta(days=364)) == 0
    assert services.expire_points(now=now + timedelta(days=365)) == 1
    assert services.expire_points(now=now + timedelta(days=366)) == 0
    assert Violation.objects.get().points_expired_noted


def test_content_is_rescanned_after_a_rules_change(moderator, now):
    from tests.factories import UserFactory

    UserFactory(display_name="加我V信 abc_123")
    UserFactory(display_name="Ordinary name")
    services.rescan_content(now=now)  # first run: everything is new
    assert Report.objects.filter(rule__code="BEH-08").count() == 1
    assert services.rescan_content(now=now) == 0  # up to date: nothing to do
    rule = Rule.objects.get(code="BEH-08")
    services.update_rule(
        editor=moderator, rule_id=rule.pk, changes={"description_en": "clearer"}, now=now
    )
    assert services.rescan_content(now=now) >= 2  # the change triggers a rescan
    assert Report.objects.filter(rule__code="BEH-08").count() == 1  # deduplicated


def test_transparency_json_and_csv_match_the_underlying_rows(
    client, moderator, moderator2, reporter, seller
):
    t = datetime(2026, 5, 10, 12, tzinfo=UTC)
    services.file_report(reporter=reporter, subject=seller, rule="BEH-07", details="rude", now=t)
    services.record_automatic_findings(subject=seller, text="vx: abc_12345", now=t)
    v = confirm(user=seller, rule="BEH-11", moderator=moderator, now=t + timedelta(hours=2))
    report = Report.objects.get(rule__code="BEH-07")
    services.dismiss_report(
        report_id=report.pk, moderator=moderator, reason="nothing rude", now=t + timedelta(hours=6)
    )
    appeal = services.file_appeal(
        user=seller, violation_id=v.pk, text="not forged", now=t + timedelta(days=1)
    )
    services.decide_appeal(
        appeal_id=appeal.pk,
        moderator=moderator2,
        upheld=True,
        reason="genuine",
        now=t + timedelta(days=2),
    )

    services.build_transparency_snapshots(now=datetime(2026, 6, 3, tzinfo=UTC))
    snapshot = TransparencySnapshot.objects.get(month="2026-05-01")
    assert snapshot.complete

    data = client.get("/transparency/?format=json").json()
    may = next(m for m in data["months"] if m["month"] == "2026-05")
    assert may["reports_received"] == {
        "user": Report.objects.filter(source="user").count(),
        "automatic": Report.objects.filter(source="automatic").count(),
        "moderator": Report.objects.filter(source="moderator").count(),
        "total": Report.objects.count(),
    }
    assert may["violations"]["by_rule"] == [{"rule": "BEH-11", "category": "behaviour", "count": 1}]
    assert may["violations"]["by_category"] == {"behaviour": 1}
    assert (
        may["sanctions"]["no_new_listings"]
        == Sanction.objects.filter(kind="no_new_listings").count()
        == 1
    )
    assert may["sanctions"]["total"] == Sanction.objects.count()
    assert may["appeals"] == {"received": 1, "upheld": 1, "rejected": 0}
    assert may["reversals"] == 1
    # decided: the moderator case after 0 s, BEH-07 after 6 h → median 3 h
    assert may["reports_decided"] == 2 and may["median_seconds_to_decision"] == 3 * 3600
    assert may == {
        **compute_figures(snapshot.month),
        "complete": True,
        "generated_at": may["generated_at"],
    }

    rows = list(
        csv.DictReader(io.StringIO(client.get("/transparency/?format=csv").content.decode()))
    )
    assert {
        "month": "2026-05",
        "complete": "yes",
        "metric": "violations",
        "key": "BEH-11",
        "category": "behaviour",
        "value": "1",
    } in rows


def test_the_transparency_page_reads_only_snapshots(client, moderator, reporter, seller, now):
    services.file_report(reporter=reporter, subject=seller, rule="BEH-07", details="rude", now=now)
    assert "No figures yet" in client.get("/transparency/").content.decode()
    services.build_transparency_snapshots(now=now)
    page = client.get("/transparency/")
    assert page.status_code == 200 and "reports received" in page.content.decode()


def test_snapshots_are_rebuilt_idempotently(now):
    services.build_transparency_snapshots(now=now)
    services.build_transparency_snapshots(now=now)
    assert TransparencySnapshot.objects.count() == 2  # last month and this month
