"""Filing reports: validation, refusals (nothing written), automatic findings,
transaction events, the report page and its rate limit."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.contrib.contenttypes.models import ContentType
from django.test import override_settings
from django.utils import timezone

from accounts.models import AuditEntry
from governance import services
from governance.exceptions import (
    DuplicateReport,
    NotReportable,
    RuleNotApplicable,
    SelfReport,
)
from governance.models import Report, Violation
from governance.registry import report_url
from tests.factories import ListingFactory, UserFactory, VerifiedUserFactory

pytestmark = pytest.mark.django_db


def test_a_user_reports_another_user(reporter, seller, now):
    report = services.file_report(
        reporter=reporter, subject=seller, rule="BEH-07", details="insults in chat", now=now
    )
    assert report.status == Report.Status.OPEN
    assert report.source == Report.Source.USER
    assert report.accused == seller and report.subject == seller
    assert report.rule.code == "BEH-07"


def test_reporting_oneself_is_refused_and_nothing_is_written(reporter, now):
    with pytest.raises(SelfReport):
        services.file_report(
            reporter=reporter, subject=reporter, rule="BEH-07", details="x", now=now
        )
    assert Report.objects.count() == 0


def test_reporting_the_same_thing_twice_is_refused_once_is_kept(reporter, seller, now):
    services.file_report(reporter=reporter, subject=seller, rule="BEH-07", details="first", now=now)
    with pytest.raises(DuplicateReport):
        services.file_report(
            reporter=reporter, subject=seller, rule="BEH-07", details="again", now=now
        )
    assert Report.objects.count() == 1
    # another rule is another report
    services.file_report(
        reporter=reporter, subject=seller, rule="BEH-12", details="threat", now=now
    )
    assert Report.objects.count() == 2


def test_a_rule_that_does_not_apply_to_users_is_refused(reporter, seller, now):
    with pytest.raises(RuleNotApplicable):
        services.file_report(reporter=reporter, subject=seller, rule="LST-03", details="x", now=now)
    assert Report.objects.count() == 0


def test_models_that_are_not_registered_cannot_be_reported(reporter, now):
    with pytest.raises(NotReportable):
        services.file_report(
            reporter=reporter,
            subject=Report.objects.model.rule.field.related_model.objects.first(),
            rule="BEH-07",
            details="x",
            now=now,
        )


def test_automatic_findings_become_one_report_per_rule_and_never_sanction(seller, now):
    reports = services.record_automatic_findings(
        subject=seller, text="加我V信 abc_123，私下交易更便宜", now=now
    )
    assert sorted(r.rule.code for r in reports) == ["BEH-08", "BEH-09"]
    assert all(r.source == Report.Source.AUTOMATIC and r.confidence >= 80 for r in reports)
    contact = next(r for r in reports if r.rule.code == "BEH-08")
    assert contact.evidence[0]["excerpt"].startswith("加我V信")
    # scanning again extends, never duplicates
    services.record_automatic_findings(
        subject=seller, text="加我V信 abc_123", now=now + timedelta(hours=1)
    )
    services.record_automatic_findings(
        subject=seller, text="电话 13800138000", now=now + timedelta(hours=2)
    )
    assert Report.objects.filter(rule__code="BEH-08").count() == 1
    assert len(Report.objects.get(rule__code="BEH-08").evidence) == 2
    assert Violation.objects.count() == 0
    assert (
        services.record_automatic_findings(subject=seller, text="10万粉丝 ¥12,800", now=now) == []
    )


def test_a_transaction_event_opens_a_case_for_a_moderator(seller, now):
    report = services.record_system_violation(
        user=seller,
        rule_code="TRX-01",
        facts="Deal #7: delivery deadline passed; buyer refunded.",
        subject=None,
        now=now,
    )
    assert report.source == Report.Source.AUTOMATIC and report.confidence == 100
    assert report.accused == seller and report.status == Report.Status.OPEN
    assert Violation.objects.count() == 0


def test_report_page_files_a_report_and_lists_it_under_my_reports(client, reporter, public_seller):
    client.force_login(reporter)
    seller = public_seller
    url = report_url(seller)
    page = client.get(url)
    assert page.status_code == 200
    rule_pk = Report.rule.field.related_model.objects.get(code="BEH-07").pk
    response = client.post(
        url, {"rule": rule_pk, "details": "He insulted me twice in the deal chat."}
    )
    assert response.status_code == 302
    assert Report.objects.filter(reporter=reporter, accused=seller).count() == 1
    mine = client.get("/reports/mine/")
    assert "BEH-07" in mine.content.decode()


def test_report_page_keeps_input_and_shows_errors_by_field(client, reporter, public_seller):
    client.force_login(reporter)
    response = client.post(report_url(public_seller), {"rule": "", "details": "short"})
    assert response.status_code == 200
    body = response.content.decode()
    assert 'id="id_rule_error"' in body and 'id="id_details_error"' in body
    assert "short" in body


def test_reporting_twice_through_the_page_shows_a_message_not_an_error(
    client, reporter, public_seller
):
    client.force_login(reporter)
    rule_pk = Report.rule.field.related_model.objects.get(code="BEH-07").pk
    data = {"rule": rule_pk, "details": "He insulted me twice in the deal chat."}
    client.post(report_url(public_seller), data)
    response = client.post(report_url(public_seller), data)
    assert response.status_code == 200
    assert "already reported" in response.content.decode()
    assert Report.objects.count() == 1


def test_report_page_for_oneself_shows_a_message(client, reporter):
    client.force_login(reporter)
    rule_pk = Report.rule.field.related_model.objects.get(code="BEH-07").pk
    response = client.post(
        report_url(reporter), {"rule": rule_pk, "details": "reporting myself here"}
    )
    assert response.status_code == 200
    assert "cannot report yourself" in response.content.decode()


def test_report_page_answers_404_for_unknown_or_unregistered_subjects(client, reporter):
    client.force_login(reporter)
    user_ct = ContentType.objects.get(app_label="accounts", model="user").pk
    audit_ct = ContentType.objects.get_for_model(AuditEntry).pk
    assert client.get(f"/report/{user_ct}/999999/").status_code == 404
    assert client.get(f"/report/{user_ct}/abc/").status_code == 404
    assert client.get(f"/report/{audit_ct}/1/").status_code == 404
    assert client.get("/report/99999/1/").status_code == 404
    inactive = UserFactory(is_active=False)
    assert client.get(f"/report/{user_ct}/{inactive.pk}/").status_code == 404


def test_the_report_page_of_a_member_opens_only_where_their_name_is_shown(client, reporter):
    """No listing of names by id: a member's report page opens for those who see the
    name elsewhere (a seller's public page, a deal's counterpart) and for the member;
    any other member's id answers 404, as an unknown id does."""
    from escrow.services import open_deal

    client.force_login(reporter)
    stranger = VerifiedUserFactory(display_name="Private Person")
    response = client.get(report_url(stranger))
    assert response.status_code == 404 and "Private Person" not in response.content.decode()
    assert client.get(report_url(ListingFactory().seller)).status_code == 200  # a seller
    assert client.get(report_url(reporter)).status_code == 200  # oneself: the page says no
    listing = ListingFactory(seller=reporter)
    open_deal(buyer=stranger, listing_id=listing.pk, now=timezone.now())
    assert client.get(report_url(stranger)).status_code == 200  # now a deal's counterpart


def test_report_page_needs_a_signed_in_user(client, seller):
    response = client.get(report_url(seller))
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


@pytest.fixture
def public_seller(seller):
    """The seller with a published listing: their name is public on their page."""
    ListingFactory(seller=seller)
    return seller


@override_settings(SITE_RATE_LIMITS={"report": "2/h"})
def test_report_submissions_are_rate_limited(client, reporter):
    client.force_login(reporter)
    others = [ListingFactory().seller for _ in range(3)]
    rule_pk = Report.rule.field.related_model.objects.get(code="BEH-07").pk
    codes = [
        client.post(
            report_url(o), {"rule": rule_pk, "details": "rude messages in the chat"}
        ).status_code
        for o in others
    ]
    assert codes == [302, 302, 429]
    assert Report.objects.count() == 2


TRX01 = (
    "Deal #%(deal)s: the credentials were not handed over by the delivery deadline; "
    "the buyer was refunded."
)  # escrow's message (escrow.services.settlement)


def test_a_system_event_reads_in_each_readers_language(seller, now):
    from django.utils import translation

    report = services.record_system_violation(
        user=seller, rule_code="TRX-01", facts=TRX01, facts_params={"deal": 7}, now=now
    )
    report.refresh_from_db()
    assert report.details == TRX01 % {"deal": 7}  # the English record, which search reads
    with translation.override("zh-hans"):
        chinese = report.details_text
    with translation.override("en"):
        english = report.details_text
    assert english == TRX01 % {"deal": 7}
    assert chinese.startswith("交易 #7：") and "Deal" not in chinese


@pytest.mark.parametrize("lang", ["en", "zh-hans"])
def test_a_detector_case_reads_in_the_moderators_language(client, moderator, seller, now, lang):
    from django.utils import translation

    from tests.totp import force_login_with_second_factor

    [report] = services.record_automatic_findings(
        subject=seller, text="加我微信 abc_12345 或电话 13800138000", now=now
    )
    force_login_with_second_factor(client, moderator)
    client.cookies["django_language"] = lang
    html = client.get(f"/admin/governance/report/{report.pk}/change/").content.decode()
    with translation.override(lang):
        found = str(report.details_text)
        phone = "phone number" if lang == "en" else "手机号码"
    assert found.split("“")[0] in html and phone in html
    if lang != "en":
        assert "Detector found" not in html and "<td>phone</td>" not in html
