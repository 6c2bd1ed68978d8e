"""A user reports another user; a moderator (password + TOTP) confirms it in the
admin; the reported user sees the sanction and its reasons on /standing/ and
appeals; a second moderator upholds the appeal and the standing is restored."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from governance.models import Appeal, Report, Violation
from governance.registry import report_url
from tests.browser.journey_helpers import SHOTS
from tests.factories import TEST_PASSWORD, ListingFactory, UserFactory, VerifiedUserFactory
from tests.governance.conftest import TOTP_SECRET, make_moderator
from tests.totp import fresh_totp_code

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
# Screenshots for reviewing the pages by eye (English and Chinese); not committed.


def _code(email) -> str:
    return fresh_totp_code(email, secret=TOTP_SECRET)


def _login(page, base, email, next_url="/"):
    page.goto(f"{base}/accounts/login/?next={next_url}")
    page.locator("#id_login").fill(email)
    page.locator("#id_password").fill(TEST_PASSWORD)
    page.get_by_role("button", name="Log in").click()


def _login_moderator(page, base, email):
    _login(page, base, email, "/admin/")
    page.locator("#id_code").fill(_code(email))
    page.get_by_role("button", name="Log in").click()
    expect(page.locator("#site-name")).to_be_visible()


def _logout(page, base):
    page.goto(base + "/")
    page.get_by_role("button", name="Log out").click()


def _shot(page, name):
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)


def test_report_confirm_standing_appeal_uphold_restores_standing(live_server, page):
    reporter = UserFactory(display_name="Careful Buyer")
    seller = VerifiedUserFactory(display_name="Quick Seller")
    ListingFactory(seller=seller)  # a seller: their name is public on their page
    mod = make_moderator(display_name="First Moderator")
    mod2 = make_moderator(display_name="Second Moderator")
    base = live_server.url

    # --- a user reports another user, naming a rule
    _login(page, base, reporter.email)
    page.goto(base + report_url(seller))
    expect(page.get_by_role("heading", level=1)).to_contain_text("Report this user")
    page.get_by_label("Which rule does it break?").select_option(label="BEH-11 — Forged evidence")
    page.get_by_label("What happened?").fill(
        "The screenshot sent in our dispute was edited: the dates are wrong."
    )
    _shot(page, "report-form-en")
    page.get_by_role("button", name="Send report").click()
    expect(page.get_by_text("Your report was received")).to_be_visible()
    expect(page.locator("table")).to_contain_text("Being reviewed")
    _logout(page, base)
    report = Report.objects.get()

    # --- a moderator claims and confirms it in the admin
    _login_moderator(page, base, mod.email)
    page.goto(base + "/admin/governance/report/")
    expect(page.locator("#result_list")).to_contain_text("BEH-11")
    page.get_by_role("link", name=str(report.pk), exact=True).click()
    expect(page.get_by_text("The screenshot sent in our dispute was edited")).to_be_visible()
    page.get_by_role("button", name="Claim").click()
    page.get_by_role("link", name="Confirm…").click()
    page.locator("#id_facts").fill(
        "The dispute screenshot of deal #12 was edited: its dates contradict the deal timeline."
    )
    _shot(page, "admin-confirm")
    page.get_by_role("button", name="Confirm violation").click()
    expect(page.get_by_text("1 case(s) confirmed.")).to_be_visible()
    page.get_by_role("button", name="Log out").click()

    # --- the seller sees the sanction and its reasons, and appeals
    _login(page, base, seller.email)
    page.goto(base + "/standing/")
    expect(page.get_by_test_id("points-left")).to_have_text("6")
    expect(page.get_by_role("heading", name="No new listings")).to_be_visible()
    expect(page.get_by_text("its dates contradict the deal timeline").first).to_be_visible()
    expect(page.get_by_text("BEH-11 (version 1)").first).to_be_visible()
    _shot(page, "standing-sanctioned-en")
    page.get_by_role("link", name="Appeal", exact=True).click()
    page.get_by_label("Why should the decision be changed?").fill(
        "The screenshot is genuine: my phone was set to another time zone. The original file is attached to the dispute."
    )
    _shot(page, "appeal-form-en")
    page.get_by_role("button", name="Send appeal").click()
    expect(page.get_by_text("Your appeal was sent")).to_be_visible()
    expect(page.locator("table")).to_contain_text("Waiting for a moderator")
    _logout(page, base)
    appeal = Appeal.objects.get()

    # --- a second moderator upholds it (the first may not: tests/governance/test_admin.py)
    _login_moderator(page, base, mod2.email)
    page.goto(f"{base}/admin/governance/appeal/{appeal.pk}/change/")
    page.get_by_role("link", name="Decide…").click()
    page.get_by_label("Uphold: overrule the decision and undo it").check()
    page.get_by_label("Reason (shown to the user)").fill(
        "The original file's metadata confirms the time zone."
    )
    page.get_by_role("button", name="Decide appeal").click()
    expect(page.get_by_text("The appeal was decided.")).to_be_visible()
    page.get_by_role("button", name="Log out").click()

    # --- the seller's standing is restored
    _login(page, base, seller.email)
    page.goto(base + "/standing/")
    expect(page.get_by_test_id("points-left")).to_have_text("12")
    expect(page.get_by_text("Nothing is restricted.")).to_be_visible()
    expect(page.locator("table")).to_contain_text("Overruled on appeal")
    _shot(page, "standing-restored-en")
    assert Violation.objects.get().status == Violation.Status.OVERRULED

    # the same pages in Chinese, for review
    page.get_by_label("Language").select_option("zh-hans")
    expect(page.locator("html")).to_have_attribute("lang", "zh-hans")
    expect(page.get_by_role("heading", level=1)).to_contain_text("我的信用状况")
    _shot(page, "standing-restored-zh")
    page.goto(base + report_url(reporter))
    _shot(page, "report-form-zh")
    page.goto(f"{base}/standing/statements/{seller.statements.first().pk}/")
    _shot(page, "statement-zh")
