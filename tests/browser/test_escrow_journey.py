"""A buyer pays with the test card, the seller hands over, the buyer re-authenticates,
sees the credentials and accepts; the release job runs past the protection window
and the seller's payout shows as paid."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.conf import settings
from django.utils import timezone
from playwright.sync_api import expect

from escrow import services, tasks
from escrow.models import Deal
from tests.browser.journey_helpers import SHOTS
from tests.factories import TEST_PASSWORD, ListingFactory, VerifiedUserFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def login(page, base, email):
    page.goto(base + "/accounts/login/")
    page.locator("#id_login").fill(email)
    page.locator("#id_password").fill(TEST_PASSWORD)
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("button", name="Log out")).to_be_visible()


def logout(page):
    page.get_by_role("button", name="Log out").click()


def test_buyer_pays_seller_hands_over_buyer_accepts_and_seller_is_paid(live_server, page):
    base = live_server.url
    seller = VerifiedUserFactory(display_name="Studio Lin")
    buyer = VerifiedUserFactory(display_name="Buyer Bo")
    listing = ListingFactory(
        seller=seller, title="Retro gaming channel", platform="youtube", price=150_000
    )
    services.connect_payout_account(user=seller, country="US", return_url="x", refresh_url="x")

    # The buyer buys with escrow and pays with the test card.
    login(page, base, buyer.email)
    page.goto(f"{base}/listings/{listing.pk}/")
    page.get_by_role("button", name="Buy with escrow").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Pay for deal")
    expect(page.locator(".escrow-summary")).to_contain_text("$1,575.00")
    page.screenshot(path=f"{SHOTS}/escrow-pay-en.png", full_page=True)
    page.get_by_label("I have read the platform's transfer policy").check()
    page.get_by_role("button", name="Continue to payment").click()
    page.get_by_label("Card number").fill("4242 4242 4242 4242")
    page.get_by_label("Expiry (MM/YY)").fill("12/34")
    page.get_by_label("CVC").fill("123")
    page.get_by_role("button", name=re.compile(r"^Pay ")).click()
    expect(page.locator(".escrow-state")).to_contain_text("Paid")
    deal = Deal.objects.get(listing=listing)
    assert deal.state == Deal.State.FUNDED
    logout(page)

    # The seller hands over the credentials and confirms the checklist.
    login(page, base, seller.email)
    page.goto(f"{base}/deals/{deal.pk}/")
    page.get_by_role("link", name="Hand over the account").click()
    page.get_by_label("Login (user name, e-mail or phone)").fill("retro@example.com")
    page.locator("#id_password").fill("Tr4nsfer-me!")
    for box in page.locator("input[type=checkbox]").all():
        box.check()
    page.screenshot(path=f"{SHOTS}/escrow-handover-en.png", full_page=True)
    page.get_by_role("button", name="Hand over").click()
    expect(page.locator(".escrow-state")).to_contain_text("Handed over")
    logout(page)

    # The buyer re-authenticates, sees the credentials and accepts.
    login(page, base, buyer.email)
    page.goto(f"{base}/deals/{deal.pk}/")
    page.screenshot(path=f"{SHOTS}/escrow-deal-en.png", full_page=True)
    page.get_by_role("link", name="Show the credentials").click()
    expect(page).to_have_url(re.compile(r"/accounts/reauthenticate/"))
    page.locator("#id_password").fill(TEST_PASSWORD)
    page.get_by_role("button", name=re.compile("Confirm", re.I)).click()
    expect(page.locator(".escrow-credentials")).to_contain_text("Tr4nsfer-me!")
    page.screenshot(path=f"{SHOTS}/escrow-credentials-en.png", full_page=True)
    page.get_by_role("button", name="Accept the account").click()
    expect(page.locator(".escrow-state")).to_contain_text("Accepted")
    logout(page)

    # The release job runs with now past the protection window.
    later = timezone.now() + settings.PROTECTION_WINDOW + timedelta(minutes=1)
    assert tasks.release_after_protection(now=later.isoformat()) == 1

    # The seller sees the payout as paid.
    login(page, base, seller.email)
    page.goto(f"{base}/payouts/")
    expect(page.locator(".escrow-payout-status")).to_contain_text("Paid")
    page.screenshot(path=f"{SHOTS}/escrow-payouts-en.png", full_page=True)
    page.goto(f"{base}/deals/")
    page.get_by_label("Language").select_option("zh-hans")
    expect(page.locator("html")).to_have_attribute("lang", "zh-hans")
    page.screenshot(path=f"{SHOTS}/escrow-my-deals-zh-hans.png", full_page=True)
    page.goto(f"{base}/deals/{deal.pk}/")
    page.screenshot(path=f"{SHOTS}/escrow-deal-zh-hans.png", full_page=True)
