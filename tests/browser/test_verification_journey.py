"""A user submits real-name verification, a moderator (password + TOTP) approves it in
the admin, and the user sees the verified badge — in a real Chromium."""

import datetime as dt

import pytest
from django.core import mail
from playwright.sync_api import expect

from accounts.models import IdentityVerification
from governance.policy import can
from tests.accounts.identity_helpers import TOTP_SECRET, moderator, png_bytes, ric
from tests.browser.journey_helpers import SHOTS
from tests.factories import TEST_PASSWORD, UserFactory
from tests.mail import send_outbox
from tests.totp import fresh_totp_code

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _totp_code(user) -> str:
    return fresh_totp_code(user, secret=TOTP_SECRET)


def _log_in(page, base, email, next_url="/"):
    page.goto(f"{base}/accounts/login/?next={next_url}")
    page.locator("#id_login").fill(email)
    page.locator("#id_password").fill(TEST_PASSWORD)
    page.get_by_role("button", name="Log in").click()


def test_user_verifies_moderator_approves_user_sees_badge(live_server, page, browser):
    base = live_server.url
    user = UserFactory(display_name="Li Hua")
    birth = dt.date(1990, 3, 14)
    number = ric(birth)

    # The user finds the verification page from the profile.
    _log_in(page, base, user.email, "/me/")
    expect(page.locator('[data-verification="unverified"]')).to_be_visible()
    page.get_by_role("link", name="Verify your identity").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Real-name verification")

    # A typo in the number: a field error, the rest of the form kept.
    page.locator("#id_legal_name").fill("Li Hua")
    page.locator("#id_document_type").select_option("cn_resident_id")
    page.locator("#id_document_number").fill(number[:-1] + ("1" if number[-1] != "1" else "2"))
    page.locator("#id_date_of_birth").fill(birth.isoformat())
    page.locator("#id_country").select_option("CN")
    page.locator("#id_document_image").set_input_files(
        files=[{"name": "id-card.png", "mimeType": "image/png", "buffer": png_bytes((640, 400))}]
    )
    page.get_by_role("button", name="Submit for verification").click()
    expect(page.locator("#id_document_number_error")).to_contain_text("check digit")
    expect(page.locator("#id_legal_name")).to_have_value("Li Hua")
    expect(page.locator("#id_document_number")).to_have_value("")
    page.screenshot(path=f"{SHOTS}/verify-form-error-en.png", full_page=True)

    page.locator("#id_document_number").fill(f"{number[:6]} {number[6:14]} {number[14:]}")
    page.locator("#id_document_image").set_input_files(
        files=[{"name": "id-card.png", "mimeType": "image/png", "buffer": png_bytes((640, 400))}]
    )
    page.get_by_role("button", name="Submit for verification").click()
    expect(page.get_by_role("heading", name="We are checking your documents")).to_be_visible()
    expect(page.locator('[data-verification="pending"]').first).to_be_visible()
    assert number not in page.content()
    page.screenshot(path=f"{SHOTS}/verify-pending-en.png", full_page=True)
    verification = IdentityVerification.objects.get(user=user)

    # The moderator logs in through allauth with a password and a TOTP code.
    mod = moderator(display_name="Mod")
    context = browser.new_context(locale="en-US", viewport={"width": 1280, "height": 900})
    mod_page = context.new_page()
    _log_in(mod_page, base, mod.email, "/admin/")
    mod_page.locator("input[name=code]").fill(_totp_code(mod))
    mod_page.get_by_role("button", name="Log in").click()
    expect(mod_page.locator("#site-name")).to_contain_text("Handoff moderation")

    mod_page.goto(f"{base}/admin/accounts/pendingverification/")
    mod_page.get_by_role("link", name=user.email).click()
    image = mod_page.locator(".identity-image img").first
    expect(image).to_be_visible()
    assert mod_page.evaluate(
        "img => img.complete && img.naturalWidth > 0", image.element_handle()
    ), "the document image loads through the permission-checked view"
    assert number not in mod_page.content()
    mod_page.locator("#id_reason").fill("Photo matches the declared details.")
    mod_page.screenshot(path=f"{SHOTS}/admin-verification-review-en.png", full_page=True)
    mod_page.get_by_role("button", name="Approve").click()
    expect(mod_page.locator(".messagelist")).to_contain_text("Verification approved")
    context.add_cookies([{"name": "django_language", "value": "zh-hans", "url": base}])
    mod_page.goto(f"{base}/admin/accounts/identityverification/{verification.pk}/change/")
    expect(mod_page.locator("#decision")).to_contain_text("撤销")
    mod_page.screenshot(path=f"{SHOTS}/admin-verification-verified-zh-hans.png", full_page=True)
    context.close()

    # The user sees the verified badge and may now buy and sell.
    page.goto(f"{base}/me/")
    expect(page.locator('[data-verification="verified"]')).to_contain_text("Verified")
    page.screenshot(path=f"{SHOTS}/profile-verified-en.png", full_page=True)
    user.refresh_from_db()
    assert can(user, "sell")
    verification.refresh_from_db()
    assert verification.state == "verified" and verification.decided_by == mod
    send_outbox()  # beat's outbox job: the decision only queued the e-mail
    assert any("verified" in m.subject.lower() for m in mail.outbox)

    page.get_by_label("Language").select_option("zh-hans")
    expect(page.locator('[data-verification="verified"]')).to_contain_text("已认证")
    page.screenshot(path=f"{SHOTS}/profile-verified-zh-hans.png", full_page=True)


def test_minor_is_refused_with_a_plain_explanation(live_server, page):
    base = live_server.url
    user = UserFactory()
    _log_in(page, base, user.email, "/verify/")
    page.get_by_label("Language").select_option("zh-hans")
    expect(page.locator("html")).to_have_attribute("lang", "zh-hans")
    birth = dt.date.today() - dt.timedelta(days=16 * 365)
    page.locator("#id_legal_name").fill("小明")
    page.locator("#id_document_type").select_option("cn_resident_id")
    page.locator("#id_document_number").fill(ric(birth))
    page.locator("#id_date_of_birth").fill(birth.isoformat())
    page.locator("#id_country").select_option("CN")
    page.locator("#id_document_image").set_input_files(
        files=[{"name": "id.png", "mimeType": "image/png", "buffer": png_bytes()}]
    )
    page.screenshot(path=f"{SHOTS}/verify-form-zh-hans.png", full_page=True)
    page.get_by_role("button", name="提交认证").click()
    expect(page.get_by_role("heading", name="您无法在 Handoff 买卖账号")).to_be_visible()
    expect(page.locator(".alert-error").first).to_contain_text("年满 18 周岁")
    expect(page.locator("#id_document_number")).to_have_count(0)
    page.screenshot(path=f"{SHOTS}/verify-minor-zh-hans.png", full_page=True)
    user.refresh_from_db()
    assert user.is_minor
