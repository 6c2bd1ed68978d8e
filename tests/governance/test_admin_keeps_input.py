"""Moderator forms in the admin keep what was typed when the service refuses
(e.g. the case was decided by someone else meanwhile)."""

from __future__ import annotations

import pytest
from django.utils import timezone

from governance import services
from governance.models import Appeal
from tests.totp import force_login_with_second_factor

from .conftest import confirm, make_moderator

pytestmark = pytest.mark.django_db
QUEUE = "/admin/governance/report/"


def test_a_refused_single_decision_keeps_the_facts_typed(client, moderator, moderator2, seller):
    report = services.file_report(
        reporter=make_moderator(display_name="R"),
        subject=seller,
        rule="BEH-07",
        details="rude messages",
        now=timezone.now(),
    )
    services.dismiss_report(
        report_id=report.pk, moderator=moderator2, reason="fine", now=timezone.now()
    )
    force_login_with_second_factor(client, moderator)
    response = client.post(
        f"{QUEUE}{report.pk}/decide/confirm/",
        {"facts": "Insults in the chat, three times.", "reason": "checked"},
        follow=True,
    )
    body = response.content.decode()
    assert response.status_code == 200
    assert "already decided by Mod Two" in body
    assert "Insults in the chat, three times." in body


def test_a_refused_appeal_decision_keeps_the_reason_typed(client, moderator, moderator2, seller):
    violation = confirm(user=seller, rule="BEH-11", moderator=moderator, now=timezone.now())
    appeal = services.file_appeal(
        user=seller, violation_id=violation.pk, text="not forged", now=timezone.now()
    )
    third = make_moderator(display_name="Mod Three")
    force_login_with_second_factor(client, moderator2)
    assert client.get(f"/admin/governance/appeal/{appeal.pk}/decide/").status_code == 200
    services.decide_appeal(
        appeal_id=appeal.pk, moderator=third, upheld=False, reason="Forged.", now=timezone.now()
    )
    response = client.post(
        f"/admin/governance/appeal/{appeal.pk}/decide/",
        {"decision": "uphold", "reason": "The file's metadata is genuine."},
    )
    body = response.content.decode()
    assert response.status_code == 200
    assert "The file&#x27;s metadata is genuine." in body
    assert "Mod Three" in body
    assert Appeal.objects.get().decided_by == third
