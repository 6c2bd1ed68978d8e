"""The catalogue's fragment cache (listings.fragments): served from the cache
without a query, never with another visitor's CSRF token, stale never after a
change (issue 10; speed is measured by ``make bench``, not here)."""

from __future__ import annotations

import pytest
from django.core.cache import cache

from listings import fragments
from tests.factories import ListingFactory

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(autouse=True)
def _cache_on(settings):
    settings.FRAGMENT_CACHE = True
    cache.delete_many([fragments.GEN_KEY])
    yield
    cache.clear()


def _ids(response):
    return response.content.decode()


def test_second_request_is_served_from_the_cache_without_queries(client, django_assert_num_queries):
    listing = ListingFactory(title="Cached gaming channel")
    first = client.get("/listings/?platform=youtube")
    assert "Cached gaming channel" in first.content.decode()
    with django_assert_num_queries(0):
        second = client.get("/listings/?platform=youtube")
    assert second.status_code == 200
    assert "Cached gaming channel" in second.content.decode()
    assert f"/listings/{listing.pk}/" in second.content.decode()


def test_a_change_to_a_listing_shows_at_once(client):
    listing = ListingFactory(title="Old title here")
    assert "Old title here" in client.get("/listings/").content.decode()
    listing.title = "New title here"
    listing.save()
    page = client.get("/listings/").content.decode()
    assert "New title here" in page
    assert "Old title here" not in page


def test_a_new_listing_and_a_sellers_name_change_show_at_once(client):
    first = ListingFactory(title="First listing")
    client.get("/listings/")
    ListingFactory(title="Second listing")
    page = client.get("/listings/").content.decode()
    assert "Second listing" in page
    first.seller.display_name = "Renamed seller"
    first.seller.save()
    assert "Renamed seller" in client.get("/listings/").content.decode()


def test_the_header_is_live_each_visitor_gets_its_own_csrf_token(client):
    from django.test import Client

    ListingFactory()
    a = client.get("/listings/")
    other = Client()
    b = other.get("/listings/")
    assert a.status_code == b.status_code == 200
    token_a = a.cookies.get("csrftoken")
    token_b = b.cookies.get("csrftoken")
    if token_a and token_b:
        assert token_a.value != token_b.value


def test_languages_are_cached_apart(client):
    ListingFactory()
    english = client.get("/listings/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    chinese = client.get("/listings/", HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    assert english != chinese


def test_the_home_page_listings_come_from_the_cache_and_follow_changes(
    client, django_assert_num_queries
):
    first = ListingFactory(title="Home page first listing")
    page = client.get("/").content.decode()
    assert "Home page first listing" in page

    with django_assert_num_queries(0):
        again = client.get("/").content.decode()

    def sections(html):  # the cached part: the listing sections (tokens differ per request)
        return html[html.index('<section class="listing-section"') : html.index("</main>")]

    assert sections(again) == sections(page)

    ListingFactory(title="Home page second listing")
    first.title = "Home page renamed listing"
    first.save()
    page = client.get("/").content.decode()
    assert "Home page second listing" in page and "Home page renamed listing" in page
    assert "Home page first listing" not in page
