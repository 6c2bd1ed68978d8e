"""The screenshots show in a real browser wherever their files are: the seller's
edit page shows a draft's (private files, through the view); the listing page and
its card show them after publishing, before the move (the view) and after it
(public media)."""

from __future__ import annotations

import pytest

from listings.models import Listing
from listings.services.media import sync_listing_media
from tests.browser.journey_helpers import SHOTS
from tests.factories import TEST_PASSWORD, VerifiedUserFactory
from tests.listings.helpers import draft, moderator, published

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

LOADED = "imgs => imgs.map(i => i.complete && i.naturalWidth > 0)"
SOURCES = "imgs => imgs.map(i => new URL(i.src).pathname)"


def _images(page, selector):
    images = page.locator(selector)
    assert images.count() > 0, f"no image matches {selector}"
    page.wait_for_function(
        f"() => [...document.querySelectorAll({selector!r})].every(i => i.complete)"
    )
    return images.evaluate_all(LOADED), images.evaluate_all(SOURCES)


def _login(page, base, email):
    page.goto(base + "/accounts/login/")
    page.locator("#id_login").fill(email)
    page.locator("#id_password").fill(TEST_PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url(lambda url: "/accounts/login/" not in url)


def test_a_drafts_screenshots_show_on_the_sellers_pages_only(live_server, page, browser):
    seller = VerifiedUserFactory(display_name="Lin Studio")
    listing = draft(seller, screenshots=2)
    base = live_server.url

    _login(page, base, seller.email)
    page.goto(f"{base}/sell/{listing.pk}/screenshots/")
    loaded, sources = _images(page, ".shot-gallery img")
    assert loaded == [True, True]
    assert all(s.startswith(f"/listings/{listing.pk}/screenshots/") for s in sources)
    page.screenshot(path=str(SHOTS / "media-draft-screenshots-en.png"), full_page=True)

    # Someone else (a fresh browser, not signed in) gets nothing at those URLs.
    other = browser.new_context()
    try:
        answer = other.request.get(base + sources[0])
        assert answer.status == 404
    finally:
        other.close()


def test_the_listing_page_and_its_card_show_the_screenshots_after_publishing(live_server, browser):
    seller = VerifiedUserFactory(display_name="Lin Studio")
    listing = published(seller, moderator(), screenshots=2)
    base = live_server.url
    context = browser.new_context(locale="en-US", viewport={"width": 1280, "height": 900})
    page = context.new_page()
    try:
        # Before the move has run: through the view, never a broken image.
        page.goto(f"{base}/listings/{listing.pk}/")
        loaded, sources = _images(page, ".shot-gallery img")
        assert loaded == [True, True]
        assert all("/screenshots/" in s for s in sources)

        assert sync_listing_media(listing_id=listing.pk)
        page.goto(f"{base}/listings/{listing.pk}/")
        loaded, sources = _images(page, ".shot-gallery img")
        assert loaded == [True, True]
        assert all(s.startswith("/media/listings/") for s in sources)
        page.screenshot(path=str(SHOTS / "media-listing-public-en.png"), full_page=True)

        page.goto(f"{base}/listings/")
        loaded, sources = _images(page, ".listing-card .listing-thumb img")
        assert loaded == [True]
        assert sources[0].startswith("/media/listings/thumbs/")
        page.screenshot(path=str(SHOTS / "media-catalogue-card-en.png"))

        # Taken down: the page and the files it showed are gone for this visitor.
        from listings import services

        services.withdraw_listing(seller=seller, listing_id=listing.pk)
        assert sync_listing_media(listing_id=listing.pk)
        assert Listing.objects.get(pk=listing.pk).state == Listing.State.WITHDRAWN
        for source in sources:
            assert context.request.get(base + source).status == 404
    finally:
        context.close()
