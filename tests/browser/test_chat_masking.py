"""In the browser: the buyer reads the seller's chat message with the contact
details themselves hidden (not only their labels); the seller sees their own
words and a note that the other party does not."""

from __future__ import annotations

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from escrow import services
from tests.escrow.conftest import open_and_pay
from tests.factories import ListingFactory, VerifiedUserFactory

from .journey_helpers import SHOTS, login, new_page

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

MESSAGE = (
    "My WeChat ID is wxid_abc123, or find me @growth_hacker_x. "
    "威 xin：fangfang_888 · 进Q群 628731902 · Price stays $1,500 as listed."
)
SECRETS = ["wxid_abc123", "growth_hacker_x", "fangfang_888", "628731902"]


def test_the_buyer_sees_the_sellers_contact_details_masked_in_chat(live_server, browser):
    base = live_server.url
    seller = VerifiedUserFactory(display_name="Studio Lin")
    buyer = VerifiedUserFactory(display_name="Buyer Bo")
    listing = ListingFactory(seller=seller, title="Retro gaming channel", price=150_000)
    now = timezone.now()
    deal = open_and_pay(buyer, listing, now)
    services.post_message(deal_id=deal.pk, author=seller, body=MESSAGE, now=now)

    page = new_page(browser)
    login(page, base, buyer.email, next_url=f"/deals/{deal.pk}/")
    page.goto(f"{base}/deals/{deal.pk}/")
    chat = page.locator("#chat-messages")
    expect(chat).to_contain_text("[***]")
    expect(chat).to_contain_text("Price stays $1,500 as listed.")
    expect(chat).to_contain_text("Contact details were hidden")
    text = chat.inner_text()
    for secret in SECRETS:
        assert secret not in text
    chat.scroll_into_view_if_needed()
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / "detect-chat-masked-buyer-en.png"), full_page=True)
    page.context.close()

    page = new_page(browser)
    login(page, base, seller.email, next_url=f"/deals/{deal.pk}/")
    page.goto(f"{base}/deals/{deal.pk}/")
    chat = page.locator("#chat-messages")
    expect(chat).to_contain_text("wxid_abc123")
    expect(chat).to_contain_text("Contact details in this message are hidden from the other party.")
    page.screenshot(path=str(SHOTS / "detect-chat-author-en.png"), full_page=True)
    page.context.close()


def test_the_seller_is_warned_and_the_moderator_sees_the_findings(live_server, browser):
    from listings import services as listing_services
    from tests.accounts.identity_helpers import moderator
    from tests.listings.helpers import draft

    from .journey_helpers import login_moderator

    base = live_server.url
    seller = VerifiedUserFactory(display_name="Mei")
    listing = draft(
        seller,
        title="美妆号出售 加V：meimei_2024",
        description="Original beauty reviews, audience 18–30. 有意电话 138 0013 8000",
    )
    page = new_page(browser)
    login(page, base, seller.email, next_url=f"/sell/{listing.pk}/review/")
    page.goto(f"{base}/sell/{listing.pk}/review/")
    warning = page.locator(".text-warning")
    expect(warning).to_contain_text("Please check your text before you submit it.")
    expect(warning).to_contain_text("meimei_2024")
    page.screenshot(path=str(SHOTS / "detect-listing-warning-en.png"), full_page=True)
    page.context.close()

    listing_services.submit_listing(seller=seller, listing_id=listing.pk)
    mod = moderator(display_name="Moderator Mo")
    page = new_page(browser)
    login_moderator(page, base, mod.email)
    page.goto(f"{base}/admin/listings/pendinglisting/{listing.pk}/change/")
    findings = page.locator(".text-findings")
    expect(findings).to_contain_text("BEH-08")
    expect(findings).to_contain_text("138 0013 8000")
    page.screenshot(path=str(SHOTS / "detect-listing-admin-findings-en.png"), full_page=True)
    page.context.close()


@pytest.mark.parametrize("lang", ["en", "zh-hans"])
def test_a_refused_chat_message_says_so_and_keeps_the_text(live_server, browser, settings, lang):
    # The chat posts in the background: when the server refuses (too many messages
    # at once), the page says so in its language instead of doing nothing, and
    # the message stays in the box to send again.
    from .journey_helpers import T, set_language

    settings.SITE_RATE_LIMITS = {**settings.SITE_RATE_LIMITS, "message": "1/m"}
    base = live_server.url
    seller = VerifiedUserFactory(display_name="Studio Lin")
    buyer = VerifiedUserFactory(display_name="Buyer Bo")
    deal = open_and_pay(buyer, ListingFactory(seller=seller, price=150_000), timezone.now())

    page = new_page(browser, lang)
    set_language(page, base, lang)
    login(page, base, buyer.email, lang, next_url=f"/deals/{deal.pk}/")
    page.goto(f"{base}/deals/{deal.pk}/")
    box = page.locator("#chat form textarea")
    box.fill("First question about the handover.")
    page.locator("#chat form button[type=submit]").click()
    expect(page.locator("#chat-messages")).to_contain_text("First question")
    page.locator("#chat form textarea").fill("Second question, too soon.")
    page.locator("#chat form button[type=submit]").click()
    note = page.locator("#chat .request-failed")
    expect(note).to_have_text(
        T("That did not go through. Wait a moment, then try again or reload the page.", lang)
    )
    expect(page.locator("#chat form textarea")).to_have_value("Second question, too soon.")
    page.context.close()
