"""Operators see the e-mail outbox in the admin (what waits, what went out, what
was given up), in both languages; screenshots for the docs."""

from __future__ import annotations

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from accounts.outbox import queue_email
from tests.browser.journey_helpers import SHOTS
from tests.factories import VerifiedUserFactory
from tests.governance.conftest import make_moderator

from .journey_helpers import login_moderator, new_page

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.mark.parametrize("lang", ["en", "zh-hans"])
def test_operator_reads_the_outbox(live_server, browser, lang):
    operator = make_moderator(is_superuser=True, display_name="Operator")
    user = VerifiedUserFactory(language="zh-hans")
    sent = queue_email(to="ops@example.com", subject="[Handoff] [operators] Payout 1 failed")
    sent.email_state, sent.emailed_at = "sent", timezone.now()
    sent.save()
    queue_email(to="ops@example.com", subject="[Handoff] [operators] Reconciliation")
    failed = queue_email(kind="governance.report_outcome", user=user, params={"report": 1})
    failed.email_state, failed.email_attempts = "failed", 6
    failed.save()

    page = new_page(browser, lang)
    login_moderator(page, live_server.url, operator.email, lang)
    page.goto(f"{live_server.url}/admin/accounts/email/")
    expect(page.locator("#result_list")).to_contain_text("ops@example.com")
    # The kind by name, in the reader's language (the row keeps the code).
    outcome = "举报处理结果" if lang == "zh-hans" else "Outcome of a report"
    expect(page.locator("#result_list")).to_contain_text(outcome)
    expect(page.locator("#result_list")).not_to_contain_text("governance.report_outcome")
    page.screenshot(path=str(SHOTS / f"outbox-admin-{lang}.png"), full_page=True)
