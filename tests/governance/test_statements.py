"""Statements of reasons carry every field, show on /standing/ and are e-mailed."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from governance import services
from governance.models import StatementOfReasons
from governance.services.common import add_months
from tests.mail import outbox_sent

from .conftest import confirm

pytestmark = pytest.mark.django_db


def test_the_statement_of_reasons_carries_every_field(
    moderator, seller, mailoutbox, django_capture_on_commit_callbacks
):
    now = timezone.now()
    services.record_automatic_findings(subject=seller, text="加我V信 abc_123", now=now)
    report = seller.reports_against.get()
    with outbox_sent(), django_capture_on_commit_callbacks(execute=True):
        services.confirm_report(
            report_id=report.pk,
            moderator=moderator,
            facts="Posted a WeChat handle: “加我V信 abc_123”.",
            now=now,
        )
    statements = {s.measure: s for s in StatementOfReasons.objects.filter(user=seller)}
    assert set(statements) == {"points", "warning"}
    warning = statements["warning"]
    assert warning.measure == "warning"  # the measure
    assert warning.scope == []  # its scope (nothing restricted)
    assert warning.starts_at == now and warning.ends_at == now + timedelta(days=365)  # its end
    assert "abc_123" in warning.facts  # the facts
    assert (warning.rule_code, warning.rule_version) == ("BEH-08", 1)  # rule code and version
    assert warning.automated_detection is True and warning.automated_decision is False
    assert warning.appeal_until == add_months(now, 6)  # how to appeal: until when
    points = statements["points"]
    assert points.points_half == 6 and points.ends_at == now + timedelta(days=365)

    mail = mailoutbox[-1]
    assert mail.to == [seller.email]
    # In the recipient's language (English: they never chose one; Chinese in
    # tests/kernel/test_outbox.py).
    for needle in ("BEH-08", "version 1", "abc_123", "appeal", "Warning"):
        assert needle in mail.body, needle
    assert StatementOfReasons.objects.filter(user=seller, emailed_at__isnull=False).count() == 2


def test_standing_page_shows_points_sanctions_statements_and_appeal_buttons(
    client, moderator, seller
):
    violation = confirm(
        user=seller,
        rule="BEH-11",
        moderator=moderator,
        now=timezone.now(),
        facts="Edited screenshot.",
    )
    client.force_login(seller)
    page = client.get("/standing/")
    body = page.content.decode()
    assert page.status_code == 200
    assert 'data-testid="points-left">6<' in body
    assert "No new listings" in body and "Edited screenshot." in body
    assert f"/standing/decisions/{violation.pk}/appeal/" in body
    statement = StatementOfReasons.objects.filter(user=seller).first()
    detail = client.get(f"/standing/statements/{statement.pk}/")
    assert detail.status_code == 200 and "BEH-11" in detail.content.decode()


def test_standing_page_in_chinese(client, moderator, seller):
    confirm(user=seller, rule="BEH-11", moderator=moderator, now=timezone.now())
    client.force_login(seller)
    client.cookies["django_language"] = "zh-hans"
    body = client.get("/standing/").content.decode()
    assert "伪造证据" in body  # the rule's Chinese title


def test_standing_needs_sign_in(client):
    assert client.get("/standing/").status_code == 302
