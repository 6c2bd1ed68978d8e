"""The moderator workflow through the admin, as a staff user with MFA."""

from __future__ import annotations

import pytest
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.contrib.auth.models import Group
from django.utils import timezone

from accounts.models import AuditEntry
from accounts.permissions import MODERATORS_GROUP
from governance import services
from governance.apps import MODERATOR_PERMISSIONS
from governance.models import Appeal, Report, Violation
from tests.totp import force_login_with_second_factor

from .conftest import confirm, make_moderator

pytestmark = pytest.mark.django_db
QUEUE = "/admin/governance/report/"


@pytest.fixture
def mod_client(client, moderator):
    # TOTP is activated and the session passed it: the admin lets the moderator in
    force_login_with_second_factor(client, moderator)
    return client


def _report(reporter, seller, rule="BEH-07"):
    return services.file_report(
        reporter=reporter, subject=seller, rule=rule, details="rude messages", now=timezone.now()
    )


def test_moderators_hold_only_the_governance_permissions_they_need():
    group = Group.objects.get(name=MODERATORS_GROUP)
    codenames = set(
        group.permissions.filter(content_type__app_label="governance").values_list(
            "codename", flat=True
        )
    )
    assert codenames == set(MODERATOR_PERMISSIONS)
    assert "change_rule" not in codenames and "change_report" not in codenames


def test_queue_lists_pending_cases_with_filters(mod_client, reporter, seller):
    _report(reporter, seller)
    services.record_automatic_findings(subject=seller, text="tg: @fast_trade", now=timezone.now())
    page = mod_client.get(QUEUE)
    assert page.status_code == 200
    body = page.content.decode()
    assert "BEH-07" in body and "BEH-08" in body
    assert "BEH-07" not in mod_client.get(QUEUE + "?source__exact=automatic").content.decode()
    assert (
        mod_client.get(
            QUEUE + "?rule__category__exact=behaviour&age=1d&status__exact=open"
        ).status_code
        == 200
    )


def test_change_page_is_read_only_and_shows_the_evidence(mod_client, seller):
    services.record_automatic_findings(subject=seller, text="tg: @fast_trade", now=timezone.now())
    report = Report.objects.get()
    body = mod_client.get(f"{QUEUE}{report.pk}/change/").content.decode()
    assert "tg: @fast_trade" in body
    assert 'name="_save"' not in body
    assert mod_client.post(f"{QUEUE}{report.pk}/change/", {"details": "x"}).status_code == 403


def test_claim_then_confirm_through_the_intermediate_form(mod_client, moderator, reporter, seller):
    report = _report(reporter, seller)
    assert mod_client.post(f"{QUEUE}{report.pk}/claim/").status_code == 302
    report.refresh_from_db()
    assert report.status == "claimed" and report.claimed_by == moderator
    page = mod_client.get(f"{QUEUE}{report.pk}/decide/confirm/")
    assert page.status_code == 200 and "rude messages" in page.content.decode()
    # a missing reason keeps the form with an error
    assert mod_client.post(f"{QUEUE}{report.pk}/decide/confirm/", {"facts": ""}).status_code == 200
    response = mod_client.post(
        f"{QUEUE}{report.pk}/decide/confirm/",
        {"facts": "Insults in the chat.", "reason": "checked"},
    )
    assert response.status_code == 302
    violation = Violation.objects.get()
    assert (
        violation.user == seller
        and violation.decided_by == moderator
        and violation.facts == "Insults in the chat."
    )
    actions = set(AuditEntry.objects.filter(actor=moderator).values_list("action", flat=True))
    assert {"governance.report_claimed", "governance.report_confirmed"} <= actions


def test_bulk_dismiss_with_a_reason(mod_client, reporter, seller):
    from tests.factories import UserFactory

    reports = [_report(reporter, seller), _report(UserFactory(), seller)]
    data = {"action": "dismiss_selected", ACTION_CHECKBOX_NAME: [r.pk for r in reports]}
    page = mod_client.post(QUEUE, data)
    assert page.status_code == 200 and "Reason (shown to the reporter)" in page.content.decode()
    response = mod_client.post(QUEUE, {**data, "apply": "1", "reason": "No rule broken."})
    assert response.status_code == 302
    assert set(Report.objects.values_list("status", flat=True)) == {"dismissed"}
    assert AuditEntry.objects.filter(action="governance.report_dismissed").count() == 2


def test_a_stale_item_is_refused_with_a_clear_message(mod_client, reporter, seller, moderator2):
    report = _report(reporter, seller)
    services.dismiss_report(
        report_id=report.pk, moderator=moderator2, reason="fine", now=timezone.now()
    )
    data = {
        "action": "confirm_selected",
        ACTION_CHECKBOX_NAME: [report.pk],
        "apply": "1",
        "facts": "x",
    }
    response = mod_client.post(QUEUE, data, follow=True)
    body = response.content.decode()
    assert "already decided by Mod Two" in body
    assert Violation.objects.count() == 0
    assert Report.objects.get().status == "dismissed"


def test_appeal_is_decided_in_the_admin_by_another_moderator(client, moderator, moderator2, seller):
    violation = confirm(user=seller, rule="BEH-11", moderator=moderator, now=timezone.now())
    appeal = services.file_appeal(
        user=seller, violation_id=violation.pk, text="not forged", now=timezone.now()
    )
    force_login_with_second_factor(client, moderator)
    response = client.post(
        f"/admin/governance/appeal/{appeal.pk}/decide/",
        {"decision": "uphold", "reason": "x"},
        follow=True,
    )
    assert "another moderator must decide the appeal" in response.content.decode()
    assert Appeal.objects.get().status == "pending"
    force_login_with_second_factor(client, moderator2)
    assert client.get(f"/admin/governance/appeal/{appeal.pk}/change/").status_code == 200
    response = client.post(
        f"/admin/governance/appeal/{appeal.pk}/decide/",
        {"decision": "uphold", "reason": "Genuine file."},
    )
    assert response.status_code == 302
    assert Appeal.objects.get().status == "upheld"
    assert Violation.objects.get().status == "overruled"


def test_moderators_read_rules_but_cannot_edit_them(mod_client):
    assert mod_client.get("/admin/governance/rule/").status_code == 200
    from governance.models import Rule

    rule = Rule.objects.get(code="BEH-08")
    assert (
        mod_client.post(f"/admin/governance/rule/{rule.pk}/change/", {"title_en": "x"}).status_code
        == 403
    )


def test_an_operator_edits_a_rule_in_the_admin_and_a_new_version_is_kept(client):
    from allauth.mfa.totp.internal.auth import TOTP

    from governance.models import Rule
    from tests.factories import UserFactory

    operator = UserFactory(is_staff=True, is_superuser=True)
    TOTP.activate(operator, "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP")
    force_login_with_second_factor(client, operator)
    rule = Rule.objects.get(code="LST-04")
    data = {f: getattr(rule, f) for f in Rule.SUBSTANCE_FIELDS}
    data.update(category=rule.category, is_active="on", description_en="Sharper wording.")
    data.update(
        {
            "versions-TOTAL_FORMS": "0",
            "versions-INITIAL_FORMS": "0",
            "versions-MIN_NUM_FORMS": "0",
            "versions-MAX_NUM_FORMS": "1000",
        }
    )
    response = client.post(f"/admin/governance/rule/{rule.pk}/change/", data)
    assert response.status_code == 302, response.content.decode()[:3000]
    rule.refresh_from_db()
    assert rule.version == 2 and rule.description_en == "Sharper wording."
    assert rule.versions.count() == 2


def test_staff_without_mfa_cannot_reach_the_queue(client):
    staff = make_moderator()
    from allauth.mfa.models import Authenticator

    Authenticator.objects.filter(user=staff).delete()
    client.force_login(staff)
    assert client.get(QUEUE).status_code in (302, 403)


def test_the_bulk_decision_page_shows_every_case_without_a_query_per_case(
    mod_client, moderator, reporter
):
    """Each case on the page names its subject and shows the accused's record
    (points, measures in force, past violations): the queries do not grow with
    the number of cases ticked."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from tests.factories import VerifiedUserFactory

    def page_queries(n):
        reports = []
        for _ in range(n):
            accused = VerifiedUserFactory()
            confirm(user=accused, rule="BEH-07", moderator=moderator, now=timezone.now())
            reports.append(_report(reporter, accused, rule="BEH-01"))
        data = {"action": "confirm_selected", ACTION_CHECKBOX_NAME: [r.pk for r in reports]}
        with CaptureQueriesContext(connection) as queries:
            page = mod_client.post(QUEUE, data)
        assert page.status_code == 200
        html = page.content.decode()
        assert all(r.accused.email in html or str(r.accused) in html for r in reports)
        assert html.count("BEH-07") >= n  # each accused's earlier violation
        return len(queries)

    assert page_queries(2) == page_queries(6)
