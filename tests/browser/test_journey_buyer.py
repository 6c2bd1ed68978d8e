"""The buyer's whole journey in a real Chromium, in English and in Chinese: sign up,
confirm the e-mail, verify identity (a moderator approves), search and filter, open a
listing, pay with the test card, read the handover, accept, and — once the release
job has paid the seller after the protection window — review the seller, whose
profile and other listings then show the review."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.conf import settings
from django.core import mail
from django.utils import timezone, translation
from playwright.sync_api import expect

from accounts import services as accounts_services
from accounts.models import IdentityVerification, User
from escrow import tasks as escrow_tasks
from escrow.models import Deal, Review
from listings.services import refresh_search_vector
from tests.accounts.identity_helpers import moderator
from tests.browser.journey_helpers import (
    T,
    fill_verification,
    last_mail_link,
    login,
    new_page,
    pay_with_card,
    shot,
)
from tests.escrow.conftest import connect_seller, hand_over
from tests.factories import ListingFactory, VerifiedUserFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
PASSWORD = "Blue-Kite-Harbour-42"


def label(choice, lang: str) -> str:
    with translation.override(lang):
        return str(choice.label)


@pytest.mark.parametrize("lang", ["en", "zh-hans"])
def test_buyer_signs_up_verifies_finds_pays_inspects_accepts_and_reviews(
    live_server, browser, lang
):
    base = live_server.url
    seller = VerifiedUserFactory(display_name="Studio Lin")
    connect_seller(seller)
    wanted = ListingFactory(
        seller=seller,
        title="Retro gaming channel with loyal fans",
        platform="youtube",
        niche="gaming",
        follower_count=240_000,
        price=150_000,
    )
    others = [
        ListingFactory(seller=seller, title="Small gaming page", follower_count=900),
        ListingFactory(seller=seller, title="Gaming clips account", platform="tiktok"),
    ]
    for listing in [wanted, *others]:
        refresh_search_vector(listing)  # factories skip the service that indexes
    page = new_page(browser, "en")

    # --- the language is chosen with the switcher and remembered (cookie)
    page.goto(base + "/")
    if lang != "en":
        page.locator("#lang-select").select_option(lang)
        expect(page.locator("html")).to_have_attribute("lang", lang)
    shot(page, "home", lang)

    # --- sign up; the confirmation e-mail arrives; confirm it
    page.locator(".header-tools a[href$='/signup/']").click()
    expect(page.locator("html")).to_have_attribute("lang", lang)
    page.locator("#id_email").fill("new.buyer@example.com")
    page.locator("#id_password1").fill(PASSWORD)
    page.locator("#id_password2").fill(PASSWORD)
    shot(page, "signup", lang)
    page.locator("main form button[type=submit]").first.click()
    expect(page).to_have_url(re.compile(r"/accounts/confirm-email/"))
    assert mail.outbox and mail.outbox[-1].to == ["new.buyer@example.com"]
    page.goto(last_mail_link("/accounts/confirm-email/"))
    page.locator("main form button[type=submit]").first.click()
    login(page, base, "new.buyer@example.com", lang, password=PASSWORD)
    buyer = User.objects.get(email="new.buyer@example.com")

    # --- verify identity from the profile; a moderator approves
    page.goto(base + "/me/")
    page.get_by_role("link", name=T("Verify your identity", lang)).first.click()
    fill_verification(page, name="Wang Fang")
    shot(page, "verify", lang)
    page.locator("main form button[type=submit]").first.click()
    expect(
        page.get_by_role("heading", name=T("We are checking your documents", lang))
    ).to_be_visible()
    verification = IdentityVerification.objects.get(user=buyer)
    accounts_services.approve_verification(
        verification_id=verification.pk, actor=moderator(), reason="Document matches."
    )

    # --- search and filter, open the listing
    page.goto(base + "/")
    page.locator(".main-nav").get_by_role("link", name=T("Browse", lang), exact=True).click()
    page.locator("#id_q").fill("gaming")
    page.locator("input[name=platform][value=youtube]").check()
    page.locator("#id_min_followers").fill("100000")
    page.locator(".filters button[type=submit]").click()
    expect(page.locator("#results-count")).to_contain_text("1")
    shot(page, "catalogue", lang)
    page.get_by_role("link", name=re.compile("Retro gaming channel")).first.click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Retro gaming channel")
    shot(page, "listing", lang)

    # --- pay with the test card; the money is shown the way the language writes it
    page.get_by_role("button", name=T("Buy with escrow", lang)).click()
    total = "US$1,575.00" if lang == "en" else "1,575.00 美元"
    expect(page.locator(".escrow-summary")).to_contain_text(total)
    page.locator("input[type=checkbox]").first.check()
    page.get_by_role("button", name=T("Continue to payment", lang)).click()
    shot(page, "pay", lang)
    pay_with_card(page, lang)
    expect(page.locator(".escrow-state")).to_contain_text(label(Deal.State.FUNDED, lang))
    deal = Deal.objects.get(listing=wanted)
    assert deal.buyer == buyer and deal.state == Deal.State.FUNDED

    # --- the seller hands over (their side is the seller journey)
    hand_over(deal, timezone.now())

    # --- read the handover (re-authenticating first) and accept
    page.goto(f"{base}/deals/{deal.pk}/")
    expect(page.locator(".escrow-state")).to_contain_text(label(Deal.State.DELIVERED, lang))
    expect(page.locator(".timeline li")).to_have_count(3)
    # The inspection period (72 h) counts down with days, in the page's language.
    day = "天" if lang == "zh-hans" else "d"
    expect(page.locator("time[data-countdown]").first).to_have_text(
        re.compile(rf"^\d+{day} \d\d:\d\d:\d\d$")
    )
    shot(page, "deal", lang)
    page.get_by_role("link", name=T("Show the credentials", lang)).click()
    expect(page).to_have_url(re.compile(r"/accounts/reauthenticate/"))
    page.locator("#id_password").fill(PASSWORD)
    page.locator("main form button[type=submit]").first.click()
    expect(page.locator(".escrow-credentials")).to_contain_text("s3cret-pass")
    shot(page, "credentials", lang)
    page.get_by_role("button", name=T("Accept the account", lang)).click()
    expect(page.locator(".escrow-state")).to_contain_text(label(Deal.State.ACCEPTED, lang))
    deal.refresh_from_db()
    assert deal.state == Deal.State.ACCEPTED

    # --- the release job pays the seller once the protection window has passed
    later = timezone.now() + settings.PROTECTION_WINDOW + timedelta(minutes=1)
    assert escrow_tasks.release_after_protection(now=later.isoformat()) == 1
    page.goto(f"{base}/deals/{deal.pk}/")
    expect(page.locator(".escrow-state")).to_contain_text(label(Deal.State.RELEASED, lang))

    # --- review the seller: four stars and a text
    review_text = {
        "en": "Smooth handover, the seller answered every question.",
        "zh-hans": "交接很顺利，卖家耐心回答了每个问题。",
    }[lang]
    stars = T("%(n)s of 5 stars", lang, n=4)
    page.locator("#review input[name=rating][value='4']").check()
    page.get_by_label(T("Your review", lang)).fill(review_text)
    shot(page, "review", lang)
    page.get_by_role("button", name=T("Publish the review", lang)).click()
    expect(page.get_by_text(T("Thank you: your review is published.", lang))).to_be_visible()
    expect(page.locator("#review .escrow-stars")).to_have_attribute("aria-label", stars)
    expect(page.locator("#review")).to_contain_text(review_text)
    assert page.locator("#review form").count() == 0  # once only
    review = Review.objects.get(deal=deal)
    assert (review.buyer, review.seller, review.rating) == (buyer, seller, 4)

    # --- the review shows on the seller's profile and on their other listings
    page.goto(f"{base}/sellers/{seller.pk}/")
    expect(page.get_by_role("heading", level=1)).to_contain_text("Studio Lin")
    expect(page.locator(".escrow-review")).to_have_count(1)
    expect(page.locator(".escrow-review")).to_contain_text(review_text)
    expect(page.locator(".escrow-review .escrow-stars")).to_have_attribute("aria-label", stars)
    expect(page.locator(".metrics")).to_contain_text("★ 4")
    shot(page, "seller-profile", lang)
    report = T("Report", lang)
    expect(page.locator(".escrow-review").get_by_role("link", name=report)).to_have_count(0)
    page.goto(f"{base}/listings/{others[0].pk}/")
    expect(page.locator(".escrow-reviews")).to_contain_text(review_text)
    page.context.close()

    # --- anyone else signed in may report the review from the seller's page
    stranger = VerifiedUserFactory()
    other = new_page(browser, lang)
    login(other, base, stranger.email, lang)
    other.goto(f"{base}/sellers/{seller.pk}/")
    other.locator(".escrow-review").get_by_role("link", name=report).click()
    expect(other).to_have_url(re.compile(r"/report/\d+/\d+/"))
    expect(other.locator("main")).to_contain_text("Studio Lin")
    shot(other, "report-review", lang)
    other.context.close()
