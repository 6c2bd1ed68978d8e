"""Reviews: only the buyer of a released deal, once; the seller replies once;
shown on the listing and the seller's page through the standing record."""

from __future__ import annotations

import pytest
from django.core.cache import cache
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format

from accounts.models import Standing
from escrow import services
from escrow.exceptions import AlreadyReviewed, InvalidRating, ReplyNotAllowed, ReviewNotAllowed
from escrow.models import Review
from listings import fragments
from tests.factories import ListingFactory, UserFactory, VerifiedUserFactory

from .conftest import accepted_deal, after_protection, open_and_pay


@pytest.fixture
def released(buyer, listing, now):
    deal = accepted_deal(buyer, listing, now)
    services.release_deal(deal_id=deal.pk, now=after_protection(now))
    deal.refresh_from_db()
    return deal


@pytest.mark.django_db(transaction=True)
def test_a_review_and_its_reply_show_at_once_on_a_cached_listing_page(
    client, settings, released, now
):
    settings.FRAGMENT_CACHE = True
    cache.clear()
    on_sale = ListingFactory(seller=released.seller)
    url = reverse("listings:detail", args=[on_sale.pk])
    assert "No reviews yet." in client.get(url).content.decode()
    assert (
        fragments.lookup_listing(fragments.detail_key(on_sale.pk), on_sale.pk)[1] is not None
    )  # cached
    review = services.leave_review(
        deal_id=released.pk, buyer=released.buyer, rating=4, text="Smooth handover.", now=now
    )
    page = client.get(url).content.decode()
    assert "Smooth handover." in page and "No reviews yet." not in page
    # A reply saves only the review (not the standing): Review itself invalidates.
    services.reply_to_review(review_id=review.pk, seller=released.seller, text="Thanks!", now=now)
    assert "Thanks!" in client.get(url).content.decode()
    cache.clear()


def test_buyer_reviews_once_and_the_standing_shows_it(client, released, now):
    services.leave_review(
        deal_id=released.pk, buyer=released.buyer, rating=4, text="Smooth handover.", now=now
    )
    standing = Standing.objects.get(user=released.seller)
    assert standing.rating_count == 1 and standing.rating == 4.0
    with pytest.raises(AlreadyReviewed):
        services.leave_review(deal_id=released.pk, buyer=released.buyer, rating=5, text="", now=now)
    assert (
        Review.objects.count() == 1 and Standing.objects.get(user=released.seller).rating_count == 1
    )
    on_sale = ListingFactory(seller=released.seller)  # the sold one is not shown any more
    listing_page = client.get(reverse("listings:detail", args=[on_sale.pk]))
    profile = client.get(reverse("escrow:seller_profile", args=[released.seller_id]))
    for page in (listing_page, profile):
        assert "Smooth handover." in page.content.decode()
    assert "Median time to release" in profile.content.decode()


def test_a_review_of_a_deal_one_did_not_buy_is_refused(released, now):
    with pytest.raises(ReviewNotAllowed):
        services.leave_review(
            deal_id=released.pk, buyer=VerifiedUserFactory(), rating=1, text="x", now=now
        )
    with pytest.raises(ReviewNotAllowed):
        services.leave_review(
            deal_id=released.pk, buyer=released.seller, rating=5, text="me", now=now
        )
    assert not Review.objects.exists()
    assert Standing.objects.get(user=released.seller).rating_count == 0


def test_a_review_before_release_or_with_a_bad_rating_is_refused(buyer, listing, now):
    deal = open_and_pay(buyer, listing, now)
    with pytest.raises(ReviewNotAllowed):
        services.leave_review(deal_id=deal.pk, buyer=buyer, rating=5, text="", now=now)
    with pytest.raises(InvalidRating):
        services.leave_review(deal_id=deal.pk, buyer=buyer, rating=6, text="", now=now)
    assert not Review.objects.exists()


def test_second_review_through_the_page_shows_a_clear_message(client, released, now):
    client.force_login(released.buyer)
    url = reverse("escrow:review", args=[released.pk])
    client.post(url, {"rating": "5", "text": "Great"})
    response = client.post(url, {"rating": "1", "text": "Changed my mind"}, follow=True)
    assert "already been reviewed" in response.content.decode()
    assert Review.objects.get().rating == 5


def test_a_stranger_gets_404_for_the_review_page(client, released):
    client.force_login(VerifiedUserFactory())
    assert (
        client.post(reverse("escrow:review", args=[released.pk]), {"rating": "1"}).status_code
        == 404
    )


def test_seller_replies_once_and_contact_details_are_masked(released, now):
    review = services.leave_review(
        deal_id=released.pk, buyer=released.buyer, rating=3, text="Call me 13812345678", now=now
    )
    assert "13812345678" not in review.text
    services.reply_to_review(review_id=review.pk, seller=released.seller, text="Thanks!", now=now)
    with pytest.raises(ReplyNotAllowed):
        services.reply_to_review(review_id=review.pk, seller=released.seller, text="2", now=now)
    with pytest.raises(ReplyNotAllowed):
        services.reply_to_review(review_id=review.pk, seller=released.buyer, text="3", now=now)
    review.refresh_from_db()
    assert review.reply == "Thanks!"


@pytest.mark.django_db(transaction=True)
def test_a_removed_review_text_is_gone_everywhere_and_back_on_appeal(
    client, settings, released, now
):
    from governance import signals
    from governance.registry import report_url

    settings.FRAGMENT_CACHE = True
    cache.clear()
    review = services.leave_review(
        deal_id=released.pk, buyer=released.buyer, rating=4, text="The seller is a liar.", now=now
    )
    on_sale = ListingFactory(seller=released.seller)
    urls = [
        reverse("listings:detail", args=[on_sale.pk]),  # its reviews are cached
        reverse("escrow:seller_profile", args=[released.seller_id]),
    ]
    assert all("a liar" in client.get(url).content.decode() for url in urls)

    signals.content_removal_requested.send(sender=None, subject=review, violation=None)

    for url in urls:
        page = client.get(url).content.decode()
        assert "a liar" not in page
        assert "A moderator removed the text of this review." in page
        assert "★★★★☆" in page  # the rating stays
    review.refresh_from_db()
    assert review.text == "The seller is a liar." and review.text_removed_at is not None
    # The deal page too, and there is nothing left to report.
    client.force_login(released.buyer)
    deal_page = client.get(reverse("escrow:detail", args=[released.pk])).content.decode()
    assert "a liar" not in deal_page
    assert "A moderator removed the text of this review." in deal_page
    client.force_login(UserFactory())
    assert client.get(report_url(review)).status_code == 404
    client.logout()

    signals.content_reinstated.send(sender=None, subject=review, violation=None)
    assert all("a liar" in client.get(url).content.decode() for url in urls)
    cache.clear()


def test_a_review_can_be_reported_from_the_sellers_page_by_others_than_its_author(
    client, released, now
):
    from governance.registry import report_url

    review = services.leave_review(
        deal_id=released.pk, buyer=released.buyer, rating=1, text="Rude words", now=now
    )
    profile = reverse("escrow:seller_profile", args=[released.seller_id])
    link = report_url(review)
    assert link not in client.get(profile).content.decode()  # anonymous
    client.force_login(released.buyer)
    assert link not in client.get(profile).content.decode()  # its author
    client.force_login(UserFactory())
    assert link in client.get(profile).content.decode()
    report_page = client.get(link)
    assert report_page.status_code == 200
    # The page names the review by its seller and date, never by the deal's id.
    # The date as the reader's language writes it (not ISO).
    day = date_format(timezone.localtime(review.created_at).date(), "DATE_FORMAT")
    assert str(review) == f"1★ review of {released.seller.public_name}, {day}"
    assert str(review) in report_page.content.decode()
    assert f"deal {released.pk}" not in str(review)


def test_the_median_release_time_reads_in_the_visitors_language():
    from django.utils import translation

    from escrow.templatetags.escrow_tags import duration_hours

    week_and_3h, five_hours = 7 * 86_400 + 3 * 3_600, 5 * 3_600
    with translation.override("en"):
        assert (duration_hours(week_and_3h), duration_hours(five_hours)) == ("7 d 3 h", "5 h")
    with translation.override("zh-hans"):
        assert (duration_hours(week_and_3h), duration_hours(five_hours)) == ("7天3小时", "5小时")
    assert duration_hours(None) == ""
