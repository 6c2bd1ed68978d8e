"""Issue 22 in a real Chromium, in English and Chinese and at phone width: each
form keeps what was typed (passwords and files aside) with every error beside its
field; browsing says what happened; deal pages fit a phone and open the chat on
the newest message. Screenshots: i22-*.png (journey_helpers.SHOTS)."""

from __future__ import annotations

import io
from datetime import timedelta

import pytest
from django.utils import timezone
from PIL import Image
from playwright.sync_api import expect

from escrow import services
from escrow.models import Dispute, Review, SellerPayoutAccount
from listings.services import refresh_search_vector
from tests.browser.journey_helpers import (
    SHOTS,
    login,
    login_moderator,
    new_page,
    set_language,
)
from tests.escrow.conftest import accepted_deal, after_protection, hand_over, open_and_pay
from tests.factories import TEST_PASSWORD, ListingFactory, UserFactory, VerifiedUserFactory
from tests.governance.conftest import make_moderator

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

#: (language, phone width?): English on a desktop, Chinese on a phone.
LOOKS = [("en", False), ("zh-hans", True)]


def snap(page, name: str, lang: str):
    suffix = "-phone" if page.viewport_size["width"] < 600 else ""
    page.screenshot(path=f"{SHOTS}/i22-{name}-{lang}{suffix}.png", full_page=True)


def open_as(browser, base, user, lang, phone, next_url="/"):
    page = new_page(browser, lang, phone=phone)
    set_language(page, base, lang)
    login(page, base, user.email, lang, next_url)
    return page


def submit(page, form_selector="main form:has(button[type=submit])"):
    page.locator(form_selector).last.locator("button[type=submit]").first.click()
    page.wait_for_load_state()


def big_png(width: int, height: int) -> bytes:
    buffer = io.BytesIO()
    Image.new("1", (width, height)).save(buffer, "PNG", optimize=True)
    return buffer.getvalue()


# ------------------------------------------------------------------ forms


@pytest.mark.parametrize("lang,phone", LOOKS)
def test_review_and_reply_keep_what_was_typed(live_server, browser, lang, phone):
    base, now = live_server.url, timezone.now()
    seller = VerifiedUserFactory(display_name="Studio Lin")
    buyer = VerifiedUserFactory(display_name="Buyer Bo")
    deal = accepted_deal(buyer, ListingFactory(seller=seller), now)
    services.release_deal(deal_id=deal.pk, now=after_protection(now))

    page = open_as(browser, base, buyer, lang, phone, f"/deals/{deal.pk}/")
    page.locator("#review_text").fill("Smooth handover, the seller answered fast.")
    submit(page, "#review form")
    expect(page.locator("#review_rating_error")).to_be_visible()
    expect(page.locator("#review_text")).to_have_value("Smooth handover, the seller answered fast.")
    snap(page, "review-errors", lang)
    assert not Review.objects.exists()
    page.locator("#review_rating_0").check()
    submit(page, "#review form")
    assert Review.objects.get().rating == 5
    page.context.close()

    page = open_as(browser, base, seller, lang, phone, f"/deals/{deal.pk}/")
    long_reply = "Thank you for buying! " * 100
    page.locator("#reply_text").fill(long_reply)
    page.locator("#reply_text").evaluate("el => el.removeAttribute('maxlength')")
    page.locator("#reply_text").fill(long_reply)
    submit(page, "#review form")
    expect(page.locator("#reply_text_error")).to_be_visible()
    expect(page.locator("#reply_text")).to_have_value(long_reply)
    snap(page, "reply-errors", lang)
    page.context.close()


@pytest.mark.parametrize("lang,phone", LOOKS)
def test_the_dispute_decision_keeps_amounts_and_reason_and_names_the_field(
    live_server, browser, lang, phone
):
    base, now = live_server.url, timezone.now()
    seller, buyer = VerifiedUserFactory(), VerifiedUserFactory()
    deal = open_and_pay(buyer, ListingFactory(seller=seller, price=80_000), now)
    hand_over(deal, now)
    dispute = services.open_dispute(
        deal_id=deal.pk,
        user=buyer,
        statement="Half the followers are bots.",
        evidence=[],
        kind=Dispute.Kind.DISPUTE,
        now=now,
    )
    mod = make_moderator(display_name="Mod One")
    page = new_page(browser, lang, phone=phone)
    set_language(page, base, lang)
    login_moderator(page, base, mod.email, lang)
    page.goto(f"{base}/admin/escrow/dispute/{dispute.pk}/change/")
    page.locator("input[name=outcome][value=split]").check()
    page.locator("#id_buyer_amount").fill("-5")
    page.locator("#id_reason").fill("Half of the audience was bought.")
    page.locator("form[action$='/decide/'] input[type=submit]").click()
    page.wait_for_load_state()
    expect(page.locator("#id_reason")).to_have_value("Half of the audience was bought.")
    expect(page.locator("#id_buyer_amount")).to_have_value("-5")
    expect(page.locator("input[name=outcome][value=split]")).to_be_checked()
    errors = page.locator(".form-row:has(#id_buyer_amount) .errorlist")
    expect(errors).to_be_visible()
    assert "Ensure this value" not in page.content()
    expect(page.locator(".form-row:has(#id_seller_amount) .errorlist")).to_be_visible()
    snap(page, "dispute-decision-errors", lang)
    assert Dispute.objects.get(pk=dispute.pk).is_open
    page.context.close()


@pytest.mark.parametrize("lang,phone", LOOKS)
def test_handover_and_payout_forms(live_server, browser, lang, phone):
    base, now = live_server.url, timezone.now()
    seller, buyer = VerifiedUserFactory(), VerifiedUserFactory()
    deal = open_and_pay(buyer, ListingFactory(seller=seller, platform="instagram"), now)
    page = open_as(browser, base, seller, lang, phone, f"/deals/{deal.pk}/handover/")
    page.locator("#id_login").fill("owner@example.com")
    page.locator("#id_password").fill("s3cret-pass")
    page.locator("#id_notes").fill("Backup codes are in the recovery field.")
    submit(page)
    errors = page.locator("[id^=id_check_][id$=_error]")
    count = errors.count()
    assert count >= 3
    texts = [errors.nth(i).inner_text() for i in range(count)]
    assert len(set(texts)) == count, texts  # each names its item
    expect(page.locator("#id_login")).to_have_value("owner@example.com")
    expect(page.locator("#id_password")).to_have_value("")
    expect(page.locator("#id_notes")).to_have_value("Backup codes are in the recovery field.")
    snap(page, "handover-errors", lang)

    services.connect_payout_account(user=seller, country="US", return_url="x", refresh_url="x")
    page.goto(base + "/payouts/")
    ids = page.evaluate("() => [...document.querySelectorAll('[id]')].map(e => e.id)")
    assert len(ids) == len(set(ids))
    page.locator("#connect_country").select_option("CN")
    page.locator("form[action$='/payouts/connect/'] button[type=submit]").click()
    page.wait_for_load_state()
    if "/reauthenticate/" in page.url:
        page.locator("#id_password").fill(TEST_PASSWORD)
        page.locator("main form button[type=submit]").first.click()
        page.wait_for_load_state()
    expect(page.locator("#connect_country_error")).to_be_visible()
    expect(page.locator("#connect_country")).to_have_value("CN")
    snap(page, "payout-kept", lang)
    account = SellerPayoutAccount.objects.get(user=seller)
    assert account.rail == "provider" and account.country == "US"
    page.context.close()


@pytest.mark.parametrize("lang,phone", LOOKS)
def test_the_listing_form_checks_handle_engagement_and_files(live_server, browser, lang, phone):
    base = live_server.url
    seller = VerifiedUserFactory(display_name="Lin Studio")
    page = open_as(browser, base, seller, lang, phone, "/sell/new/")
    page.locator("#id_platform").select_option("x")
    page.locator("#id_handle").fill("@" + "a" * 40 + "<script>alert(1)</script>")
    page.locator("#id_niche").fill("tech")
    page.locator("#id_follower_count").fill("100")
    page.locator("#id_avg_likes").fill("5000")
    page.locator("#id_audience_region").select_option(index=1)
    submit(page)
    expect(page.locator("#id_handle_error")).to_be_visible()
    expect(page.locator("#id_avg_likes_error")).to_be_visible()
    expect(page.locator("#id_niche")).to_have_value("tech")
    expect(page.locator("#id_avg_likes")).to_have_value("5000")
    snap(page, "listing-account-errors", lang)
    page.locator("#id_handle").fill("@lin_tech")
    page.locator("#id_confirm_figures").check()
    submit(page)
    assert "/offer/" in page.url
    page.locator("#id_title").fill("Tech reviews on X")
    page.locator("#id_price").fill("300")
    page.locator("#id_description").fill("Weekly gadget threads.")
    submit(page)
    page.locator("#id_image").set_input_files(
        files=[{"name": "huge.png", "mimeType": "image/png", "buffer": big_png(20_000, 20_000)}]
    )
    page.locator("#id_caption").fill("Analytics")
    page.locator("form:has(#id_image) button[type=submit]").first.click()
    page.wait_for_load_state()
    expect(page.locator("#id_image_error")).to_contain_text("12,000")
    expect(page.locator("#id_caption")).to_have_value("Analytics")
    snap(page, "screenshot-too-large", lang)
    page.locator("#id_image").set_input_files(
        files=[
            {
                "name": "stats.pdf",
                "mimeType": "application/pdf",
                "buffer": b"<!DOCTYPE html><html><body>stats</body></html>",
            }
        ]
    )
    page.locator("form:has(#id_image) button[type=submit]").first.click()
    page.wait_for_load_state()
    expect(page.locator("#id_image_error")).to_contain_text("HTML")
    expect(page.locator("#id_image_error")).to_contain_text(".pdf")
    snap(page, "screenshot-html-as-pdf", lang)
    page.context.close()


# ---------------------------------------------------------------- browsing


def _catalogue_data():
    seller = VerifiedUserFactory(display_name="Studio Lin")
    rows = []
    for n, (title, platform, niche, featured) in enumerate(
        [
            ("Retro gaming channel", "youtube", "gaming", True),
            ("美食探店账号转让", "douyin", "美食", True),
            ("Travel photography page", "instagram", "travel", False),
            ("Fitness coach clips", "tiktok", "fitness", False),
            ("Tech reviews weekly", "x", "tech", False),
        ]
    ):
        listing = ListingFactory(
            seller=seller,
            title=title,
            platform=platform,
            niche=niche,
            featured=featured,
            follower_count=10_000 * (n + 1),
        )
        refresh_search_vector(listing)
        rows.append(listing)
    return seller, rows


@pytest.mark.parametrize("lang,phone", [("en", False), ("zh-hans", False), ("zh-hans", True)])
def test_browsing_says_what_happened(live_server, browser, lang, phone):
    base = live_server.url
    seller, rows = _catalogue_data()
    buyer = UserFactory(display_name="Buyer Bo")
    page = open_as(browser, base, buyer, lang, phone)
    page.goto(base + "/")
    expect(page.locator("section[aria-labelledby=featured-h] .listing-card")).to_have_count(4)
    snap(page, "home", lang)
    page.goto(base + "/listings/?q=%F0%9F%98%80")
    expect(page.locator(".results-notice")).to_be_visible()
    expect(page.locator(".listing-card")).to_have_count(5)
    snap(page, "search-emoji", lang)
    page.goto(base + "/listings/?q=" + "gaming%20" + "x" * 3000)
    expect(page.locator(".results-notice")).to_be_visible()
    page.goto(base + "/listings/?page=3")
    expect(page.locator("#past-last-page")).to_be_visible()
    snap(page, "past-last-page", lang)
    page.goto(base + "/listings/?min_price=900&max_price=100")
    expect(page.locator(".results-notice")).to_be_visible()
    expect(page.locator("#id_max_price")).to_have_value("100")
    snap(page, "price-range", lang)
    page.goto(f"{base}/sellers/{seller.pk}/")
    expect(page.locator(".seller-verified")).to_be_visible()
    expect(page.locator("#seller-listings .listing-card")).to_have_count(5)
    snap(page, "seller-page", lang)

    page.goto(f"{base}/listings/{rows[0].pk}/")
    page.locator(".watch-form button").click()
    page.wait_for_load_state()
    page.goto(base + "/listings/?platform=youtube&q=gaming")
    page.locator(".saved-search-form button[type=submit]").click()
    page.wait_for_load_state()
    assert page.locator("a[href='/watchlist/']").count() >= 1  # in the navigation
    page.goto(base + "/watchlist/")
    expect(page.locator(".watch-item")).to_have_count(1)
    expect(page.locator(".saved-search")).to_have_count(1)
    snap(page, "watchlist", lang)
    page.context.close()


@pytest.mark.parametrize("lang,phone", [("en", True), ("zh-hans", True), ("zh-hans", False)])
def test_deal_pages_fit_a_phone_and_open_the_chat_on_the_newest(live_server, browser, lang, phone):
    base, now = live_server.url, timezone.now()
    seller = VerifiedUserFactory(display_name="Studio Lin")
    buyer = VerifiedUserFactory(display_name="Buyer Bo")
    deals = [
        services.open_deal(
            buyer=buyer,
            listing_id=ListingFactory(seller=seller, title=f"账号 {n}").pk,
            now=now - timedelta(hours=n),
        )
        for n in range(2)
    ]
    services.cancel_deal(deal_id=deals[1].pk, buyer=buyer, now=now)
    chatty = open_and_pay(buyer, ListingFactory(seller=seller, title="Retro gaming channel"), now)
    for n in range(25):
        services.post_message(
            deal_id=chatty.pk,
            author=buyer if n % 2 else seller,
            body=f"Message number {n + 1}",
            now=now - timedelta(seconds=60 - n),
        )
    page = open_as(browser, base, buyer, lang, phone, "/deals/")
    width = page.viewport_size["width"]
    for column in (6, 7):  # State and Deadline: on screen, not scrolled away
        cell = page.locator(".deals-table tbody tr").first.locator(f"td:nth-child({column})")
        box = cell.evaluate(
            "el => { const r = document.createRange(); r.selectNodeContents(el);"
            " const b = r.getBoundingClientRect(); return {x: b.x, w: b.width}; }"
        )
        assert box["w"] > 0 and 0 <= box["x"] and box["x"] + box["w"] <= width + 1, box
    role = page.locator(".deals-table tbody tr").first.locator("td:nth-child(4)")
    role_box = role.evaluate(
        "el => { const r = document.createRange(); r.selectNodeContents(el);"
        " return r.getClientRects().length; }"
    )
    assert role_box <= 2  # the label and one line of text, never a character per line
    if lang == "en":  # only the unpaid deal asks to pay, not the cancelled one
        expect(page.get_by_text("Pay within the payment window")).to_have_count(1)
    snap(page, "my-deals", lang)

    page.goto(f"{base}/deals/{chatty.pk}/")
    newest_id = chatty.messages.order_by("-id").first().pk
    expect(page.locator(f"#message-{newest_id}")).to_be_visible()
    at_end = page.locator("#chat-messages").evaluate(
        "el => Math.abs(el.scrollTop) < 2 || "
        "Math.abs(el.scrollHeight - el.clientHeight - el.scrollTop) < 2"
    )
    assert at_end
    newest = page.locator(".chat-message").last
    assert newest.evaluate(
        "el => { const b = el.getBoundingClientRect();"
        " const c = document.getElementById('chat-messages').getBoundingClientRect();"
        " return b.bottom <= c.bottom + 1 && b.top >= c.top - 1; }"
    )
    snap(page, "deal-chat", lang)

    listing = ListingFactory(seller=seller, title="Cooking clips")
    page.goto(f"{base}/listings/{listing.pk}/")
    buy = page.locator(".escrow-buy").first
    expect(buy).to_be_visible()
    if phone:
        # Before the description and screenshots, within the first screens.
        main_top = page.locator(".listing-main").bounding_box()["y"]
        assert buy.bounding_box()["y"] < main_top
    snap(page, "listing-buy", lang)
    page.context.close()


@pytest.mark.parametrize("lang,phone", LOOKS)
def test_moderator_pages_say_what_the_moderator_may_do(live_server, browser, lang, phone):
    from governance import services as governance
    from tests.accounts.identity_helpers import submit as submit_verification

    base, now = live_server.url, timezone.now()
    mod = make_moderator(display_name="Mod One")
    make_moderator(display_name="Mod Two")
    seller = VerifiedUserFactory(display_name="Sanctioned Seller")
    case = governance.open_moderator_case(
        moderator=mod, subject=seller, rule="BEH-11", details="seen", now=now
    )
    violation = governance.confirm_report(
        report_id=case.pk, moderator=mod, facts="Edited screenshot.", now=now
    )
    appeal = governance.file_appeal(
        user=seller, violation_id=violation.pk, text="not forged", now=now
    )
    verification = submit_verification(UserFactory(display_name="Applicant"))

    page = new_page(browser, lang, phone=phone)
    set_language(page, base, lang)
    login_moderator(page, base, mod.email, lang)
    page.goto(f"{base}/admin/")
    queue = page.locator("a[href='/admin/governance/appeal/?to_decide=me']")
    expect(queue).to_be_visible()
    page.goto(f"{base}/admin/governance/appeal/{appeal.pk}/change/")
    expect(page.locator(".errornote")).to_be_visible()
    expect(page.locator(f"a[href$='/appeal/{appeal.pk}/decide/']")).to_have_count(0)
    snap(page, "admin-own-appeal", lang)
    page.goto(f"{base}/admin/accounts/identityverification/{verification.pk}/change/")
    expect(page.locator("#decision")).to_be_visible()
    snap(page, "admin-identity", lang)
    page.context.close()
