"""The seller's journey in a real Chromium: verify identity, list an account with
screenshots, answer the moderator's rejection by fixing and resubmitting, hand over
to the buyer, and see the payout once the protection window has passed."""

from __future__ import annotations

import datetime as dt
import re
from datetime import timedelta

import pytest
from django.conf import settings
from django.utils import timezone
from playwright.sync_api import expect

from accounts import services as accounts_services
from accounts.models import IdentityVerification
from escrow import services as escrow_services
from escrow import tasks as escrow_tasks
from escrow.models import Deal
from listings import services as listing_services
from listings.models import Listing
from tests.accounts.identity_helpers import moderator, ric
from tests.browser.journey_helpers import fill_verification, login, new_page, png_file, shot
from tests.escrow.conftest import connect_seller, open_and_pay
from tests.factories import UserFactory, VerifiedUserFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_seller_verifies_lists_fixes_rejection_hands_over_and_is_paid(live_server, browser):
    base = live_server.url
    seller = UserFactory(display_name="Lin Studio")
    mod = moderator(display_name="Mod")
    buyer = VerifiedUserFactory(display_name="Buyer Bo")
    page = new_page(browser, "en")
    login(page, base, seller.email)

    # --- selling needs a verified identity: the page says so and links to it
    page.locator(".main-nav").get_by_role("link", name="Sell", exact=True).click()
    page.get_by_role("link", name=re.compile("Verify", re.I)).first.click()
    expect(page).to_have_url(re.compile(r"/verify/"))
    birth = dt.date(1988, 6, 2)
    fill_verification(page, name="Lin Mei", birth=birth, number=ric(birth, seq="456"))
    page.locator("main form button[type=submit]").first.click()
    expect(page.get_by_role("heading", name="We are checking your documents")).to_be_visible()
    accounts_services.approve_verification(
        verification_id=IdentityVerification.objects.get(user=seller).pk, actor=mod, reason="ok"
    )

    # --- list an account, with two screenshots
    page.goto(base + "/sell/")
    page.get_by_role("link", name="List an account").first.click()
    page.get_by_label("Platform").select_option("bilibili")
    page.get_by_label("Account handle or profile URL").fill("@lin_travel_vlog")
    page.get_by_label("Niche / category").fill("travel")
    page.locator("#id_follower_count").fill("86000")
    page.get_by_label("Average views per post").fill("20000")
    page.get_by_label("Average likes per post").fill("1500")
    page.get_by_label("Main audience region").select_option("cn")
    page.get_by_role("button", name="Save and continue").click()
    page.get_by_label("Title").fill("Travel vlog channel, 86K followers")
    page.get_by_label("Price (USD)").fill("2400")
    page.get_by_label("Description").fill("Weekly travel vlogs across China since 2021.")
    page.get_by_role("button", name="Save and continue").click()
    for name in ("analytics.png", "followers.png"):
        page.locator("#id_image").set_input_files(files=[png_file(name)])
        page.get_by_role("button", name="Upload").click()
        expect(page.get_by_text("Screenshot added.")).to_be_visible()
    expect(page.locator(".shot-gallery img")).to_have_count(2)
    shot(page, "sell-screenshots")
    page.get_by_role("button", name="Continue to review").click()
    page.get_by_role("button", name="Submit for review").click()
    expect(page.get_by_text("Submitted for review")).to_be_visible()
    listing = Listing.objects.get(seller=seller)

    # --- the moderator rejects it with a reason; the seller fixes and resubmits
    listing_services.reject_listing(
        moderator=mod,
        listing_id=listing.pk,
        reason="The screenshots show 68,000 followers, not 86,000.",
    )
    page.goto(base + "/sell/")
    expect(page.get_by_text("The screenshots show 68,000 followers")).to_be_visible()
    shot(page, "sell-dashboard-rejected")
    page.get_by_role("link", name="Edit").first.click()
    page.locator("#id_follower_count").fill("68000")
    page.get_by_role("button", name="Save and continue").click()
    page.get_by_role("button", name="Save and continue").click()
    page.get_by_role("button", name="Continue to review").click()
    page.get_by_role("button", name="Submit for review").click()
    expect(page.get_by_text("Submitted for review")).to_be_visible()
    listing.refresh_from_db()
    assert listing.state == Listing.State.PENDING_REVIEW and listing.follower_count == 68_000
    listing_services.mark_ownership_proven(moderator=mod, listing_id=listing.pk)
    listing_services.approve_listing(moderator=mod, listing_id=listing.pk)

    # --- a buyer pays; the seller hands over from the deal page
    connect_seller(seller)
    deal = open_and_pay(buyer, listing, timezone.now())
    page.goto(base + "/deals/")
    page.get_by_role("link", name=re.compile(f"#{deal.pk}")).first.click()
    expect(page.locator(".escrow-state")).to_contain_text("Paid")
    page.get_by_role("link", name="Hand over the account").click()
    page.get_by_label("Login (user name, e-mail or phone)").fill("lin.travel@example.com")
    page.locator("#id_password").fill("Tr4nsfer-me!")
    for box in page.locator("main input[type=checkbox]").all():
        box.check()
    shot(page, "handover")
    page.get_by_role("button", name="Hand over", exact=True).click()
    expect(page.locator(".escrow-state")).to_contain_text("Handed over")

    # --- the buyer accepts; after the protection window the seller is paid
    escrow_services.accept_deal(deal_id=deal.pk, buyer=buyer, now=timezone.now())
    later = timezone.now() + settings.PROTECTION_WINDOW + timedelta(minutes=1)
    assert escrow_tasks.release_after_protection(now=later.isoformat()) == 1
    page.goto(base + "/payouts/")
    expect(page.locator(".escrow-payout-status").first).to_contain_text("Paid")
    shot(page, "payouts")
    assert Deal.objects.get(pk=deal.pk).state == Deal.State.RELEASED
    page.context.close()
