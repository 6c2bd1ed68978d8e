"""Masking where other people read text: chat (the other party), reviews and
sellers' replies (public pages), display names. The detail itself is hidden,
never only its label, and texts stored before a detector fix are masked too."""

from __future__ import annotations

import pytest
from django.urls import reverse

from accounts.models import User
from escrow import services
from escrow.models import DealMessage, Review
from governance.models import Report

from .conftest import accepted_deal, after_protection, open_and_pay

LEAKS = [
    ("My WeChat ID is wxid_abc123", "wxid_abc123"),
    ("see @growth_hacker_x for more", "growth_hacker_x"),
    ("威 xin：fangfang_888", "fangfang_888"),
    ("进Q群 628731902 拿资料", "628731902"),
    ("tele: @quickflip", "quickflip"),
    ("Discord: ghost_rider#0420", "ghost_rider"),
    ("转账到我支付宝 13912345678 就行", "13912345678"),
]


@pytest.fixture
def deal(buyer, listing, now):
    return open_and_pay(buyer, listing, now)


@pytest.fixture
def released(buyer, listing, now):
    deal = accepted_deal(buyer, listing, now)
    services.release_deal(deal_id=deal.pk, now=after_protection(now))
    deal.refresh_from_db()
    return deal


@pytest.mark.parametrize(("body", "secret"), LEAKS)
def test_chat_hides_the_detail_itself_from_the_other_party_and_keeps_the_original(
    client, deal, now, body, secret
):
    message = services.post_message(deal_id=deal.pk, author=deal.seller, body=body, now=now)
    assert message.body == body  # evidence for moderators
    client.force_login(deal.buyer)
    page = client.get(reverse("escrow:detail", args=[deal.pk])).content.decode()
    assert secret not in page and "[***]" in page
    client.force_login(deal.seller)
    assert secret in client.get(reverse("escrow:detail", args=[deal.pk])).content.decode()
    assert Report.objects.filter(subject_id=str(message.pk), rule__code="BEH-08").exists()


def test_a_message_masked_by_an_older_detector_is_masked_by_the_current_one(client, deal, now):
    message = services.post_message(
        deal_id=deal.pk, author=deal.seller, body="hello there", now=now
    )
    body = "My WeChat ID is wxid_abc123"
    # as stored by the old detector, which hid the label and showed the ID
    DealMessage.objects.filter(pk=message.pk).update(body=body, body_masked="My [***] wxid_abc123")
    client.force_login(deal.buyer)
    page = client.get(reverse("escrow:chat", args=[deal.pk])).content.decode()
    assert "wxid_abc123" not in page and "Contact details were hidden" in page


def test_a_sellers_reply_is_masked_on_the_public_seller_page_and_reported(client, released, now):
    review = services.leave_review(
        deal_id=released.pk, buyer=released.buyer, rating=5, text="Great seller", now=now
    )
    services.reply_to_review(
        review_id=review.pk, seller=released.seller, text="WeChat me: wxid_seller2", now=now
    )
    page = client.get(reverse("escrow:seller_profile", args=[released.seller_id]))
    assert "wxid_seller2" not in page.content.decode() and "[***]" in page.content.decode()
    report = Report.objects.get(rule__code="BEH-08", accused=released.seller)
    assert "wxid_seller2" in report.evidence[0]["excerpt"]  # moderators see the detail


def test_replies_and_reviews_stored_before_the_fix_are_masked_where_shown(client, released, now):
    review = services.leave_review(
        deal_id=released.pk, buyer=released.buyer, rating=4, text="ok", now=now
    )
    Review.objects.filter(pk=review.pk).update(
        text="add me on snap: jess.sells", reply="WeChat me: wxid_seller2"
    )
    for url in (
        reverse("escrow:seller_profile", args=[released.seller_id]),
        reverse("listings:detail", args=[released.listing_id]),
    ):
        page = client.get(url).content.decode()
        assert "wxid_seller2" not in page and "jess.sells" not in page, url
    client.force_login(released.buyer)
    page = client.get(reverse("escrow:detail", args=[released.pk])).content.decode()
    assert "wxid_seller2" not in page


def test_a_review_with_contact_details_is_published_masked_and_reported(client, released, now):
    services.leave_review(
        deal_id=released.pk,
        buyer=released.buyer,
        rating=5,
        text="Fast! Telegram @buyer_joe if you want more",
        now=now,
    )
    page = client.get(reverse("escrow:seller_profile", args=[released.seller_id])).content
    assert b"buyer_joe" not in page
    assert Report.objects.filter(rule__code="BEH-08", accused=released.buyer).exists()


def test_a_display_name_with_contact_details_is_refused_and_what_was_typed_is_kept(client, buyer):
    client.force_login(buyer)
    response = client.post(reverse("accounts:profile"), {"display_name": "Lily vx lily_2024"})
    page = response.content.decode()
    assert response.status_code == 200
    assert "A display name cannot contain contact details" in page
    assert 'value="Lily vx lily_2024"' in page
    buyer.refresh_from_db()
    assert buyer.display_name != "Lily vx lily_2024"
    response = client.post(reverse("accounts:profile"), {"display_name": "Lily 2024"})
    assert response.status_code == 302


def test_a_display_name_stored_before_the_rule_is_masked_where_others_read_it(client, deal, now):
    User.objects.filter(pk=deal.seller_id).update(display_name="Mia wxid_mia0001")
    services.post_message(deal_id=deal.pk, author=deal.seller, body="Hi", now=now)
    client.force_login(deal.buyer)
    for url in (
        reverse("escrow:detail", args=[deal.pk]),
        reverse("escrow:seller_profile", args=[deal.seller_id]),
        reverse("listings:detail", args=[deal.listing_id]),
    ):
        assert "wxid_mia0001" not in client.get(url).content.decode(), url
