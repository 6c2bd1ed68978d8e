"""A moderator reads the admin's values in their language — actions, system
reasons, money, ledger accounts, subjects — in Chromium, in both languages, on the
demo data; screenshots for the docs (admin-values-*)."""

from __future__ import annotations

import io
from importlib import import_module

import pytest
from django.test.utils import override_settings
from playwright.sync_api import expect

from tests.browser.journey_helpers import SHOTS
from tests.governance.conftest import make_moderator

from .journey_helpers import login_moderator, new_page

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _seed():
    from marketplace.management.commands.seed_demo import SEEDERS

    with override_settings(
        EMAIL_BACKEND="django.core.mail.backends.dummy.EmailBackend", NOTIFICATION_EMAILS=False
    ):
        context: dict = {}
        for path in SEEDERS:
            import_module(path).seed(context=context, options={"listings": 40}, out=io.StringIO())


@pytest.mark.parametrize("lang", ["zh-hans", "en"])
def test_moderator_reads_values_not_codes(live_server, browser, lang):
    from accounts.models import AuditEntry
    from escrow.models import Chargeback

    _seed()
    operator = make_moderator(is_superuser=True, display_name="Operator")
    confirmed = AuditEntry.objects.get(action="governance.report_confirmed")
    frozen = Chargeback.objects.get().deal_id
    zh = lang == "zh-hans"
    pages = [
        (
            "audit-log",
            "/admin/accounts/auditentry/",
            "实名认证已通过" if zh else "Identity check approved",
        ),
        (
            "audit-entry",
            f"/admin/accounts/auditentry/{confirmed.pk}/change/",
            "禁止发布新商品" if zh else "No new listings",
        ),
        ("deal", f"/admin/escrow/deal/{frozen}/change/", "欺诈" if zh else "fraudulent (card used"),
        (
            "operations",
            "/admin/escrow/deal/operations/",
            "托管中的买家资金" if zh else "Buyer funds held in escrow",
        ),
        ("listing-events", "/admin/listings/listingevent/", "交易已创建" if zh else "deal opened"),
        ("reports", "/admin/governance/report/?queue=all", "交易 #" if zh else "deal #"),
    ]
    page = new_page(browser, lang)
    login_moderator(page, live_server.url, operator.email, lang)
    for name, path, words in pages:
        page.goto(live_server.url + path)
        page.screenshot(path=str(SHOTS / f"admin-values-{name}-{lang}.png"), full_page=True)
        expect(page.locator("#content")).to_contain_text(words)
