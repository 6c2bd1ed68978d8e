"""On a phone the catalogue shows results first: the filters fold into a <details>
that a tap opens (closed by handoff.js below the one-column width; open without JS
and on a desktop)."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from listings.services import refresh_search_vector
from tests.browser.journey_helpers import DESKTOP, PHONE, new_page, shot
from tests.factories import ListingFactory, VerifiedUserFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_catalogue_filters_fold_on_a_phone(live_server, browser):
    base = live_server.url
    seller = VerifiedUserFactory(display_name="Studio Lin")
    for listing in (
        ListingFactory(seller=seller, title="Retro gaming channel", platform="youtube"),
        ListingFactory(seller=seller, title="Cooking clips", platform="tiktok"),
    ):
        refresh_search_vector(listing)

    page = new_page(browser, "en", phone=True)
    page.goto(base + "/listings/")
    fold = page.locator("details.filters-fold")
    expect(fold).not_to_have_attribute("open", "")
    expect(page.locator("#id_q")).to_be_hidden()
    expect(page.locator(".listing-card").first).to_be_in_viewport()
    shot(page, "catalogue-folded")
    page.locator("details.filters-fold > summary").click()
    expect(page.locator("#id_q")).to_be_visible()
    page.locator("input[name=platform][value=youtube]").check()  # htmx refreshes the results
    expect(page.locator("#results-count")).to_contain_text("1")
    page.context.close()

    page = new_page(browser, "en")  # desktop: open
    page.goto(base + "/listings/")
    expect(page.locator("#id_q")).to_be_visible()
    page.context.close()

    context = browser.new_context(java_script_enabled=False, viewport=PHONE)
    page = context.new_page()  # no JS: open, still usable
    page.goto(base + "/listings/?platform=tiktok")
    expect(page.locator("#id_q")).to_be_visible()
    expect(page.locator(".filters-on")).to_be_visible()
    context.close()
    assert DESKTOP["width"] > 860 > PHONE["width"]


def test_the_listing_pages_cards_span_a_phone(live_server, browser):
    # One column on a phone: every card (price and Buy, screenshots, seller, policy)
    # as wide as the others, not shrunk to its text.
    seller = VerifiedUserFactory(display_name="Studio Lin")
    listing = ListingFactory(seller=seller, title="Retro gaming channel", platform="youtube")
    page = new_page(browser, "zh-hans", phone=True)
    page.goto(f"{live_server.url}/listings/{listing.pk}/")
    widths = page.locator(".listing-detail .card").evaluate_all(
        "cards => cards.filter(c => c.offsetParent).map(c => Math.round(c.getBoundingClientRect().width))"
    )
    assert len(widths) >= 3 and max(widths) - min(widths) <= 1, widths
    assert page.locator(".seller-card").bounding_box()["width"] >= PHONE["width"] - 40
    # The line under the Buy button does not touch it.
    button = page.locator(".escrow-buy").bounding_box()
    note = page.locator(".escrow-buy + p").bounding_box()
    assert note["y"] - (button["y"] + button["height"]) >= 6
    shot(page, "listing-phone", "zh-hans")
    page.context.close()


def test_a_sellers_listings_stand_apart_from_the_reviews_on_a_phone(live_server, browser):
    seller = VerifiedUserFactory(display_name="Studio Lin")
    ListingFactory(seller=seller, title="Retro gaming channel", platform="youtube")
    page = new_page(browser, "zh-hans", phone=True)
    page.goto(f"{live_server.url}/sellers/{seller.pk}/")
    reviews = page.locator("section[aria-labelledby=reviews-h]").bounding_box()
    listings = page.locator("#seller-listings").bounding_box()
    assert listings["y"] - (reviews["y"] + reviews["height"]) >= 16
    page.context.close()


@pytest.mark.parametrize("lang", ["en", "zh-hans"])
@pytest.mark.parametrize("phone", [False, True])
def test_card_figures_stay_in_their_columns(live_server, browser, lang, phone):
    # "FOLLOWERS" ran into "AVG. VIEWS" on a four-column desktop row.
    seller = VerifiedUserFactory(display_name="Studio Lin")
    for i in range(4):
        ListingFactory(seller=seller, title=f"Channel {i}", platform="xiaohongshu", price=1_087_500)
    page = new_page(browser, lang, phone=phone)
    page.goto(live_server.url + "/")
    cells = page.locator(".listing-card-stats > div")
    assert cells.count() >= 3
    overflowing = cells.evaluate_all(
        "cells => cells.filter(c => [...c.children].some(e => e.scrollWidth > c.clientWidth + 1))"
        ".map(c => c.innerText)"
    )
    assert overflowing == []
    boxes = (
        page.locator(".listing-card")
        .first.locator(".listing-card-stats > div")
        .evaluate_all(
            "cells => cells.map(c => c.getBoundingClientRect()).map(r => [r.left, r.right])"
        )
    )
    for (_, right), (left, _) in zip(boxes, boxes[1:], strict=False):
        assert right <= left + 1 or phone  # side by side, apart (the phone wraps the price)
    page.context.close()
