"""A buyer opens a dispute with a screenshot, the seller answers in the chat, a
moderator (password + TOTP) splits the amount in the admin; both parties see the
decision and the ledger shows the split."""

from __future__ import annotations

import pytest
from django.utils import timezone
from PIL import Image
from playwright.sync_api import expect

from escrow import ledger, services
from escrow.checklists import checklist_for
from escrow.models import Deal, Dispute, LedgerTransaction, Refund
from tests.browser.journey_helpers import SHOTS
from tests.escrow.protection_helpers import settle_enqueued
from tests.factories import TEST_PASSWORD, ListingFactory, VerifiedUserFactory
from tests.governance.conftest import TOTP_SECRET, make_moderator
from tests.totp import fresh_totp_code

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

CARD = {"number": "4242424242424242", "exp": "12/34", "cvc": "123"}


def _code(user) -> str:
    return fresh_totp_code(user, secret=TOTP_SECRET)


def login(page, base, email, next_url="/"):
    page.goto(f"{base}/accounts/login/?next={next_url}")
    page.locator("#id_login").fill(email)
    page.locator("#id_password").fill(TEST_PASSWORD)
    page.get_by_role("button", name="Log in").click()


def logout(page, base):
    page.goto(base + "/")
    page.get_by_role("button", name="Log out").click()


def delivered_deal(buyer, listing):
    now = timezone.now()
    deal = services.open_deal(buyer=buyer, listing_id=listing.pk, now=now)
    services.acknowledge_transfer_policy(deal_id=deal.pk, buyer=buyer, note="policy", now=now)
    services.pay_deal(deal_id=deal.pk, buyer=buyer, card=CARD, now=now)
    services.hand_over(
        deal_id=deal.pk,
        seller=listing.seller,
        login="retro@example.com",
        password="Tr4nsfer-me!",
        checklist=[key for key, _ in checklist_for(listing.platform)],
        now=now,
    )
    return Deal.objects.get(pk=deal.pk)


def test_buyer_disputes_seller_answers_moderator_splits_both_see_it(live_server, page, tmp_path):
    base = live_server.url
    seller = VerifiedUserFactory(display_name="Studio Lin")
    buyer = VerifiedUserFactory(display_name="Buyer Bo")
    moderator = make_moderator(display_name="Moderator Mei")
    listing = ListingFactory(seller=seller, title="Retro gaming channel", price=150_000)
    services.connect_payout_account(user=seller, country="US", return_url="x", refresh_url="x")
    deal = delivered_deal(buyer, listing)
    screenshot = tmp_path / "analytics.png"
    Image.new("RGB", (320, 200), (30, 90, 160)).save(screenshot, "PNG")

    # The buyer opens a dispute with a screenshot.
    login(page, base, buyer.email, f"/deals/{deal.pk}/")
    page.get_by_role("link", name="Open a dispute").click()
    page.get_by_label("What went wrong?").fill(
        "The channel has about 4,000 subscribers, not 12,000 as listed. See the analytics."
    )
    page.get_by_label("Evidence (screenshots or PDF, up to 5 files)").set_input_files(
        str(screenshot)
    )
    page.screenshot(path=f"{SHOTS}/escrow-dispute-form-en.png", full_page=True)
    page.get_by_role("button", name="Open the dispute").click()
    expect(page.get_by_text("Your case was opened")).to_be_visible()
    expect(page.locator(".escrow-state")).to_contain_text("Disputed")
    expect(page.get_by_role("link", name="analytics.png")).to_be_visible()
    logout(page, base)
    dispute = Dispute.objects.get(deal=deal)

    # The seller answers in the chat (htmx: no full reload).
    login(page, base, seller.email, f"/deals/{deal.pk}/")
    page.get_by_role("textbox", name="Message").fill(
        "Subscribers dropped after the platform's purge last week; add me on WeChat vx 13812345678."
    )
    page.get_by_role("button", name="Send").click()
    expect(page.locator("#chat-messages")).to_contain_text("purge last week")
    page.screenshot(path=f"{SHOTS}/escrow-dispute-deal-seller-en.png", full_page=True)
    logout(page, base)

    # The buyer sees the message, with the contact details masked.
    login(page, base, buyer.email, f"/deals/{deal.pk}/")
    expect(page.locator("#chat-messages")).to_contain_text("purge last week")
    expect(page.locator("#chat-messages")).not_to_contain_text("13812345678")
    logout(page, base)

    # A moderator logs in with password + TOTP and splits the amount.
    login(page, base, moderator.email, "/admin/")
    page.locator("#id_code").fill(_code(moderator))
    page.get_by_role("button", name="Log in").click()
    expect(page.locator("#site-name")).to_be_visible()
    page.goto(f"{base}/admin/escrow/dispute/{dispute.pk}/change/")
    expect(page.get_by_text("not 12,000 as listed")).to_be_visible()
    expect(page.locator("#chat")).to_contain_text("13812345678")  # the original, as evidence
    buyer_share = deal.total // 2
    seller_share = deal.total - buyer_share
    page.get_by_label("Split: enter both shares").check()
    page.get_by_label("Buyer's share (minor units, e.g. cents)").fill(str(buyer_share))
    page.get_by_label("Seller's share (minor units, e.g. cents)").fill(str(seller_share + 1))
    page.get_by_label("Reason (both parties see it)").fill("Half of the followers were lost.")
    page.get_by_role("button", name="Record the decision").click()
    expect(page.get_by_text("must be whole amounts that add up exactly")).to_be_visible()
    assert Dispute.objects.get(pk=dispute.pk).is_open  # refused, nothing written
    page.get_by_label("Split: enter both shares").check()
    page.get_by_label("Buyer's share (minor units, e.g. cents)").fill(str(buyer_share))
    page.get_by_label("Seller's share (minor units, e.g. cents)").fill(str(seller_share))
    page.get_by_label("Reason (both parties see it)").fill(
        "The channel lost half its subscribers in a platform purge before the sale; "
        "the loss is shared."
    )
    page.screenshot(path=f"{SHOTS}/escrow-admin-dispute-en.png", full_page=True)
    page.get_by_role("button", name="Record the decision").click()
    expect(page.get_by_text("The case was decided.")).to_be_visible()
    expect(page.locator("#ledger")).to_contain_text(f"split:dispute:{dispute.pk}")
    page.get_by_role("button", name="Log out").click()

    settle_enqueued(deal)
    deal.refresh_from_db()
    assert deal.state == Deal.State.SPLIT
    split = LedgerTransaction.objects.get(reference=f"split:dispute:{dispute.pk}")
    assert sum(e.amount for e in split.entries.all()) == 0
    assert Refund.objects.get(deal=deal).amount == buyer_share
    # The buyer's refund and the seller's payout are sent after commit (at once when
    # a worker runs): either still on their way or done.
    assert ledger.escrow_balance(deal) in (buyer_share, 0)
    assert ledger.seller_payable_balance(deal) in (seller_share, 0)

    # Both parties see the decision, its reason and the amounts.
    for user, name in ((buyer, "buyer"), (seller, "seller")):
        login(page, base, user.email, f"/deals/{deal.pk}/")
        decision = page.get_by_test_id("decision")
        expect(decision).to_contain_text("Split between buyer and seller")
        expect(decision).to_contain_text("the loss is shared")
        expect(page.locator(".escrow-state")).to_contain_text("Split")
        page.screenshot(path=f"{SHOTS}/escrow-dispute-decided-{name}-en.png", full_page=True)
        if name == "buyer":
            page.get_by_label("Language").select_option("zh-hans")
            expect(page.locator("html")).to_have_attribute("lang", "zh-hans")
            page.screenshot(
                path=f"{SHOTS}/escrow-dispute-decided-buyer-zh-hans.png", full_page=True
            )
            page.goto(f"{base}/deals/{deal.pk}/dispute/")
            page.screenshot(path=f"{SHOTS}/escrow-dispute-closed-zh-hans.png", full_page=True)
            page.goto(f"{base}/sellers/{seller.pk}/")
            page.screenshot(path=f"{SHOTS}/escrow-seller-profile-zh-hans.png", full_page=True)
            page.get_by_label("语言").select_option("en")
            expect(page.locator("html")).to_have_attribute("lang", "en")
        logout(page, base)
