"""A verified seller lists an account with a screenshot and submits it; a moderator
(staff + MFA, logged in through allauth with a TOTP code) approves it in the admin;
a buyer finds it with search and a follower filter and opens it."""

import pytest
from allauth.mfa.totp.internal.auth import (
    TOTP,
)
from django.contrib.auth.models import Group
from PIL import Image
from playwright.sync_api import expect

from accounts.permissions import MODERATORS_GROUP
from listings.models import Listing
from tests.browser.journey_helpers import SHOTS as SCREENSHOTS
from tests.factories import TEST_PASSWORD, UserFactory, VerifiedUserFactory
from tests.totp import fresh_totp_code

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
SECRET = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"


def _code(user) -> str:
    return fresh_totp_code(user, secret=SECRET)


def _login(page, base, email):
    page.goto(base + "/accounts/login/")
    page.locator("#id_login").fill(email)
    page.locator("#id_password").fill(TEST_PASSWORD)
    page.get_by_role("button", name="Log in").click()


def _logout(page):
    page.get_by_role("button", name="Log out").click()


def test_seller_lists_moderator_approves_buyer_finds_and_opens(live_server, page, tmp_path):
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    seller = VerifiedUserFactory(display_name="Lin Studio")
    mod = UserFactory(is_staff=True, display_name="Mod")
    mod.groups.add(Group.objects.get(name=MODERATORS_GROUP))
    TOTP.activate(mod, SECRET)
    buyer = VerifiedUserFactory()
    shot = tmp_path / "analytics.png"
    Image.new("RGB", (900, 600), "teal").save(shot)
    base = live_server.url

    # --- the seller lists an account
    _login(page, base, seller.email)
    page.get_by_role("link", name="Sell", exact=True).click()
    page.get_by_role("link", name="List an account").first.click()
    page.get_by_label("Platform").select_option("xiaohongshu")
    page.get_by_label("Account handle or profile URL").fill("@secret_beauty_handle")
    page.get_by_label("Niche / category").fill("美妆")
    page.locator("#id_follower_count").fill("86000")
    page.get_by_label("Average views per post").fill("20000")
    page.get_by_label("Average likes per post").fill("1500")
    page.get_by_label("Main audience region").select_option("cn")
    page.get_by_role("button", name="Save and continue").click()

    page.get_by_label("Title").fill("美妆博主账号出售 — original reviews")
    page.get_by_label("Price (USD)").fill("2400")
    page.get_by_label("Description").fill("Original beauty reviews. 粉丝以18到30岁女性为主。")
    page.get_by_role("button", name="Save and continue").click()

    page.locator("#id_image").set_input_files(str(shot))
    page.get_by_role("button", name="Upload").click()
    expect(page.get_by_text("Screenshot added.")).to_be_visible()
    page.screenshot(path=str(SCREENSHOTS / "listing-screenshots-step.png"), full_page=True)
    page.get_by_role("button", name="Continue to review").click()
    page.get_by_role("button", name="Submit for review").click()
    expect(page.get_by_text("Submitted for review")).to_be_visible()
    code = Listing.objects.get(seller=seller).ownership_code
    expect(page.locator(".ownership-code")).to_contain_text(code)
    page.screenshot(path=str(SCREENSHOTS / "listing-submitted.png"), full_page=True)
    _logout(page)

    # --- the moderator approves it in the admin (allauth login + TOTP)
    page.goto(base + "/admin/")
    page.locator("#id_login").fill(mod.email)
    page.locator("#id_password").fill(TEST_PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.locator("#id_code").fill(_code(mod))
    page.get_by_role("button", name="Log in").click()
    page.goto(base + "/admin/listings/pendinglisting/?platform__exact=xiaohongshu")
    page.get_by_role("link", name="美妆博主账号出售 — original reviews").click()
    expect(page.get_by_text(code)).to_be_visible()
    expect(page.locator(".listing-review-shots img")).to_have_count(1)
    page.screenshot(path=str(SCREENSHOTS / "listing-admin-review.png"), full_page=True)
    page.get_by_role("button", name="Mark ownership proven").click()
    page.get_by_role("button", name="Approve and publish").click()
    expect(page.get_by_text("Listing approved and published.")).to_be_visible()
    assert Listing.objects.get(seller=seller).state == Listing.State.PUBLISHED
    _logout_admin = page.get_by_role("button", name="Log out")
    _logout_admin.click()

    # --- a buyer finds it with search and a follower filter, and opens it
    _login(page, base, buyer.email)
    page.get_by_role("link", name="Browse", exact=True).click()
    page.get_by_label("Search").fill("美妆")
    page.get_by_label("Min. followers").fill("50000")
    page.get_by_role("button", name="Apply filters").click()
    expect(page.locator("#results-count")).to_contain_text("1 listing")
    page.screenshot(path=str(SCREENSHOTS / "listing-catalogue.png"), full_page=True)
    page.get_by_role("link", name="美妆博主账号出售").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("美妆博主账号出售")
    expect(page.locator("#transfer-policy")).to_contain_text("Xiaohongshu")
    expect(page.get_by_text("Lin Studio")).to_be_visible()
    img = page.locator(".shot-gallery img").first
    expect(img).to_be_visible()
    # Served (through the screenshot view until the worker's move publishes it):
    # wait for the load to finish before reading its size.
    page.wait_for_function("i => i.complete", arg=img.element_handle())
    assert img.evaluate("i => i.naturalWidth") > 0
    assert "secret_beauty_handle" not in page.content()
    page.screenshot(path=str(SCREENSHOTS / "listing-detail.png"), full_page=True)

    # A higher follower minimum hides it.
    page.goto(base + "/listings/?q=美妆&min_followers=100000")
    expect(page.get_by_text("No listings match")).to_be_visible()
