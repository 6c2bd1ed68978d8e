"""Sellers create listings in steps, submit them, edit and withdraw them."""

import re

import pytest

from accounts.models import AuditEntry
from listings import services
from listings.exceptions import (
    IncompleteListing,
    ListingLocked,
    NotAllowedToList,
)
from listings.models import Listing, ListingEvent, ListingScreenshot
from tests.factories import UserFactory, VerifiedUserFactory
from tests.listings.helpers import draft, moderator, png_upload, published

pytestmark = pytest.mark.django_db
State = Listing.State

STEP1 = {
    "platform": "youtube",
    "handle": "https://www.youtube.com/@my-secret-channel",
    "niche": "gaming",
    "follower_count": "120000",
    "avg_views": "30000",
    "avg_likes": "2500",
    "account_created_on": "2019-05-01",
    "audience_region": "na",
    "monetised": "on",
    "monthly_revenue": "1,250.50",
}


def test_seller_creates_a_listing_in_steps_and_submits_it(client):
    seller = VerifiedUserFactory()
    client.force_login(seller)

    response = client.post("/sell/new/", {**STEP1, "action": "next"})
    listing = Listing.objects.get(seller=seller)
    assert response.status_code == 302
    assert response["Location"] == f"/sell/{listing.pk}/offer/"
    assert listing.state == State.DRAFT
    assert listing.monthly_revenue == 125_050  # exact minor units, no float
    assert listing.price is None

    response = client.post(
        f"/sell/{listing.pk}/offer/",
        {
            "title": "Gaming channel",
            "price": "1499.99",
            "description": "Let's plays.",
            "action": "next",
        },
    )
    assert response["Location"] == f"/sell/{listing.pk}/screenshots/"
    listing.refresh_from_db()
    assert listing.price == 149_999

    response = client.post(
        f"/sell/{listing.pk}/screenshots/", {"image": png_upload(), "action": "add"}
    )
    assert response.status_code == 302
    shot = ListingScreenshot.objects.get(listing=listing)
    # A draft is not public: the upload goes to private storage (listings.media).
    assert shot.image.name.startswith("listings-private/") and shot.thumbnail.name
    assert "shot" not in shot.image.name  # random name, not the uploaded one

    page = client.get(f"/sell/{listing.pk}/review/").content.decode()
    assert "Submit for review" in page

    response = client.post(f"/sell/{listing.pk}/review/", follow=True)
    listing.refresh_from_db()
    assert listing.state == State.PENDING_REVIEW
    assert re.fullmatch(r"HANDOFF-[A-Z2-9]{6}", listing.ownership_code)
    assert listing.ownership_code in response.content.decode()
    assert list(listing.events.values_list("to_state", flat=True)) == [State.PENDING_REVIEW]


def test_save_draft_goes_back_to_the_dashboard(client):
    seller = UserFactory()
    client.force_login(seller)
    response = client.post("/sell/new/", {**STEP1, "action": "save"})
    assert response["Location"] == "/sell/"
    page = client.get("/sell/").content.decode()
    assert "Draft" in page and "(untitled draft)" in page


def test_unverified_seller_may_draft_but_not_submit(client):
    seller = UserFactory()
    listing = draft(seller)
    client.force_login(seller)

    page = client.get(f"/sell/{listing.pk}/review/").content.decode()
    assert 'href="/verify/"' in page
    assert "only verified adult sellers" in page

    response = client.post(f"/sell/{listing.pk}/review/", follow=True)
    assert "Only verified adult sellers" in response.content.decode()
    listing.refresh_from_db()
    assert listing.state == State.DRAFT and listing.ownership_code == ""
    assert not ListingEvent.objects.filter(listing=listing).exists()
    with pytest.raises(NotAllowedToList):
        services.submit_listing(seller=seller, listing_id=listing.pk)


def test_submission_needs_a_screenshot_and_every_field():
    seller = VerifiedUserFactory()
    listing = draft(seller, screenshots=0)
    with pytest.raises(IncompleteListing):
        services.submit_listing(seller=seller, listing_id=listing.pk)
    listing.refresh_from_db()
    assert listing.state == State.DRAFT


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("price", "0", "at least"),
        ("price", "-5", "at least"),
        ("price", "1000000000000", "at most"),
        ("price", "abc", "Enter a number"),
    ],
)
def test_bad_prices_are_refused_and_nothing_is_saved(client, field, value, message):
    seller = UserFactory()
    listing = draft(seller)
    client.force_login(seller)
    before = Listing.objects.filter(pk=listing.pk).values().get()

    response = client.post(
        f"/sell/{listing.pk}/offer/",
        {"title": "Changed", "description": "Changed", field: value, "action": "next"},
    )

    assert response.status_code == 200
    assert message in response.content.decode()
    assert Listing.objects.filter(pk=listing.pk).values().get() == before


@pytest.mark.parametrize(
    ("value", "message"),
    [("-1", "cannot be negative"), ("99999999999", "not plausible"), ("many", "whole number")],
)
def test_bad_follower_counts_are_refused_and_nothing_is_saved(client, value, message):
    seller = UserFactory()
    client.force_login(seller)
    response = client.post("/sell/new/", {**STEP1, "follower_count": value, "action": "next"})
    assert response.status_code == 200
    assert message in response.content.decode()
    assert not Listing.objects.exists()


def test_script_in_the_description_is_shown_escaped(client):
    seller = VerifiedUserFactory()
    listing = published(seller, description='<script>alert("x")</script> Great <b>account</b>')
    page = client.get(f"/listings/{listing.pk}/").content.decode()
    assert "<script>alert" not in page
    assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;" in page
    assert "<b>account</b>" not in page


def test_non_image_and_oversized_uploads_are_refused(client, settings):
    seller = UserFactory()
    listing = draft(seller, screenshots=0)
    client.force_login(seller)
    url = f"/sell/{listing.pk}/screenshots/"

    from django.core.files.uploadedfile import SimpleUploadedFile

    text = SimpleUploadedFile("evil.png", b"#!/bin/sh\necho hi\n", content_type="image/png")
    response = client.post(url, {"image": text, "action": "add"})
    assert "This file is a text file, although its name ends in “.png”" in (
        response.content.decode()
    )

    svg = SimpleUploadedFile("x.svg", b"<svg xmlns='http://www.w3.org/2000/svg'/>")
    response = client.post(url, {"image": svg, "action": "add"})
    assert "SVG files are not accepted" in response.content.decode()

    settings.MAX_UPLOAD_BYTES = 1000
    response = client.post(url, {"image": png_upload(size=(900, 900)), "action": "add"})
    assert "too large" in response.content.decode()
    assert not ListingScreenshot.objects.filter(listing=listing).exists()


def test_screenshots_are_re_encoded_without_metadata():
    from PIL import Image

    seller = UserFactory()
    listing = draft(seller, screenshots=0)
    exif = Image.Exif()
    exif[0x010F] = "SecretCam"  # camera make
    shot = services.add_screenshot(
        seller=seller,
        listing_id=listing.pk,
        upload=png_upload("photo.jpg", fmt="JPEG", exif=exif.tobytes()),
    )
    with shot.image.open("rb") as f:
        data = f.read()
    assert b"SecretCam" not in data
    with Image.open(shot.thumbnail.path) as thumb:
        assert max(thumb.size) <= 480


def test_at_most_eight_screenshots():
    from listings.exceptions import TooManyScreenshots

    seller = UserFactory()
    listing = draft(seller, screenshots=8)
    with pytest.raises(TooManyScreenshots):
        services.add_screenshot(seller=seller, listing_id=listing.pk, upload=png_upload())
    assert listing.screenshots.count() == 8


def test_editing_someone_elses_listing_is_404(client):
    owner = UserFactory()
    listing = draft(owner)
    intruder = UserFactory()
    client.force_login(intruder)
    for path in ("account", "offer", "screenshots", "review"):
        assert client.get(f"/sell/{listing.pk}/{path}/").status_code == 404
    response = client.post(
        f"/sell/{listing.pk}/offer/",
        {"title": "Mine now", "price": "1", "description": "x", "action": "next"},
    )
    assert response.status_code == 404
    assert client.post(f"/sell/{listing.pk}/withdraw/").status_code == 404
    listing.refresh_from_db()
    assert listing.title != "Mine now" and listing.state == State.DRAFT


def test_editing_a_published_listing_sends_it_back_to_review(client):
    seller = VerifiedUserFactory()
    listing = published(seller)
    client.force_login(seller)

    response = client.post(
        f"/sell/{listing.pk}/offer/",
        {"title": listing.title, "price": "3000", "description": "New text", "action": "next"},
        follow=True,
    )

    assert "went back to review" in response.content.decode()
    listing.refresh_from_db()
    assert listing.state == State.PENDING_REVIEW and listing.price == 300_000
    assert listing.ownership_proven  # same account: the proof stands
    client.logout()
    assert client.get(f"/listings/{listing.pk}/").status_code == 404


def test_changing_the_handle_voids_the_ownership_proof():
    seller = VerifiedUserFactory()
    listing = published(seller)
    old_code = listing.ownership_code
    listing, sent_back = services.update_listing(
        seller=seller, listing_id=listing.pk, data={"handle": "@another_account"}
    )
    assert sent_back and listing.state == State.PENDING_REVIEW
    assert not listing.ownership_proven and listing.ownership_code != old_code


def test_editing_mid_deal_is_refused_and_nothing_changes(client):
    seller = VerifiedUserFactory()
    listing = published(seller)
    services.reserve_listing(listing_id=listing.pk)
    events_before = ListingEvent.objects.filter(listing=listing).count()
    client.force_login(seller)

    response = client.post(
        f"/sell/{listing.pk}/offer/",
        {"title": listing.title, "price": "1", "description": "cheap", "action": "next"},
        follow=True,
    )

    assert "cannot be edited now" in response.content.decode()
    listing.refresh_from_db()
    assert listing.price == 240_000 and listing.state == State.RESERVED
    assert ListingEvent.objects.filter(listing=listing).count() == events_before
    with pytest.raises(ListingLocked):
        services.update_listing(seller=seller, listing_id=listing.pk, data={"price": 100})
    with pytest.raises(ListingLocked):
        services.add_screenshot(seller=seller, listing_id=listing.pk, upload=png_upload())
    with pytest.raises(ListingLocked):
        services.withdraw_listing(seller=seller, listing_id=listing.pk)


def test_seller_withdraws_a_published_listing(client):
    seller = VerifiedUserFactory()
    listing = published(seller)
    client.force_login(seller)
    response = client.post(f"/sell/{listing.pk}/withdraw/")
    assert response.status_code == 302
    listing.refresh_from_db()
    assert listing.state == State.WITHDRAWN
    assert listing.events.last().actor == seller


def test_the_same_account_cannot_be_on_the_market_twice():
    from listings.exceptions import DuplicateListing

    seller = VerifiedUserFactory()
    published(seller, handle="@twin")
    second = draft(seller, handle=" @TWIN/ ")  # same account, typed differently
    with pytest.raises(DuplicateListing):
        services.submit_listing(seller=seller, listing_id=second.pk)


def test_dashboard_groups_listings_by_state_and_shows_the_rejection_reason(client):
    seller = VerifiedUserFactory()
    mod = moderator()
    live = published(seller, mod, title="Live one")
    rejected = draft(seller, title="Rejected one", handle="@other")
    services.submit_listing(seller=seller, listing_id=rejected.pk)
    services.reject_listing(moderator=mod, listing_id=rejected.pk, reason="Blurry screenshots")
    client.force_login(seller)
    page = client.get("/sell/").content.decode()
    assert page.index("Rejected") < page.index("Published")
    assert "Blurry screenshots" in page and live.title in page
    assert AuditEntry.objects.filter(action="listing.reject", reason="Blurry screenshots").exists()
