"""Access rules in a real Chromium: a display name that would impersonate is refused
beside the field with what was typed kept (English and Chinese); a moderator who
signed in with a password only and then set up an authenticator is asked for a
code before the admin opens, and gets in once the code is given."""

from __future__ import annotations

import re

import pytest
from django.contrib.auth.models import Group
from playwright.sync_api import expect

from accounts.permissions import MODERATORS_GROUP
from tests.browser.journey_helpers import T, login, new_page, shot
from tests.factories import TEST_PASSWORD, UserFactory
from tests.totp import fresh_totp_code

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.mark.parametrize(
    ("lang", "typed", "message"),
    [
        ("en", "ＤＥＭＯ　ＳＥＬＬＥＲ", "Another member already uses this name"),
        ("zh-hans", "客服小美", "显示名称不能包含“客服”"),
    ],
)
def test_an_impersonating_display_name_is_refused_beside_the_field(
    live_server, browser, lang, typed, message
):
    base = live_server.url
    UserFactory(display_name="Demo Seller")
    member = UserFactory(display_name="Plain Name")
    page = new_page(browser, lang)
    page.context.add_cookies([{"name": "django_language", "value": lang, "url": base}])
    login(page, base, member.email, lang, "/me/")
    page.goto(f"{base}/me/")
    field = page.locator("#id_display_name")
    field.fill(typed)
    page.locator("main form button[type=submit]").first.click()
    page.wait_for_load_state()
    expect(page.locator("main")).to_contain_text(message)
    expect(page.locator("#id_display_name")).to_have_value(typed)
    shot(page, "access-display-name-refused", lang)
    member.refresh_from_db()
    assert member.display_name == "Plain Name"


def _code(secret: str, user) -> str:
    """A fresh code for ``secret`` that allauth has not seen for ``user`` yet."""
    return fresh_totp_code(user, secret=secret)


def test_a_password_only_staff_session_is_asked_for_a_code_before_the_admin(live_server, browser):
    base = live_server.url
    staff = UserFactory(is_staff=True, display_name="New Moderator")
    staff.groups.add(Group.objects.get(name=MODERATORS_GROUP))
    page = new_page(browser, "en")
    login(page, base, staff.email, "en", "/admin/")
    # No authenticator yet: the admin sends them to set one up.
    page.goto(f"{base}/admin/")
    expect(page.locator("main h1")).to_have_text(
        re.compile(T("Turn on two-factor authentication first", "en"))
    )
    page.get_by_role("link", name=T("Set up an authenticator app", "en")).click()
    page.wait_for_load_state()
    if "/reauthenticate/" in page.url:  # allauth asks for the password again first
        page.locator("#id_password").fill(TEST_PASSWORD)
        page.locator("main form button[type=submit]").first.click()
        page.wait_for_load_state()
    secret = page.locator("#authenticator_secret").input_value()
    page.locator("#id_code").fill(_code(secret, staff))
    page.locator("main form button[type=submit]").first.click()
    page.wait_for_load_state()

    # The account has an authenticator now, but this session never passed it.
    page.goto(f"{base}/admin/")
    expect(page.locator("main h1")).to_have_text(
        re.compile(T("Confirm with your authenticator app", "en"))
    )
    shot(page, "access-admin-code-needed", "en")
    page.get_by_role("link", name=T("Enter a code", "en")).click()
    page.wait_for_load_state()
    page.locator("#id_code").fill(_code(secret, staff))
    page.locator("#id_code").press("Enter")
    page.wait_for_load_state()
    expect(page.locator("#site-name")).to_be_visible()
    assert page.url.rstrip("/").endswith("/admin")
