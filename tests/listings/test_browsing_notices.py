"""Browsing says what happened: past the last page, a search with nothing
searchable, an over-long search, a maximum below the minimum; the search box's
examples find demo listings; the Featured row is full; a seller's public page
lists their listings and shows the verified badge."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.utils import timezone

from listings.forms import CatalogueFilterForm
from listings.models import Listing
from listings.selectors import featured_row
from tests.factories import ListingFactory, UserFactory, VerifiedUserFactory
from tests.listings.helpers import published

pytestmark = pytest.mark.django_db
State = Listing.State


def _text(response) -> str:
    return re.sub(r"\s+", " ", response.content.decode())


def test_a_page_past_the_last_says_so_instead_of_no_match(client):
    seller = VerifiedUserFactory()
    ListingFactory.create_batch(3, seller=seller)
    page = _text(client.get("/listings/?page=2"))
    assert "There is no page 2" in page
    assert "The 3 listings fit on fewer pages." in page
    assert "No listings match" not in page
    page = _text(client.get("/listings/?page=7&platform=youtube"))
    assert "There is no page 7" in page and "No listings match" not in page
    # A filter that matches nothing still says "No listings match".
    assert "No listings match" in _text(client.get("/listings/?page=2&platform=twitch"))


@pytest.mark.parametrize("query", ["😀", "😀😀 🎉", "!!! ???", "— …"])
def test_a_search_with_nothing_searchable_is_ignored_with_a_notice(client, query):
    seller = VerifiedUserFactory()
    ListingFactory.create_batch(2, seller=seller)
    response = client.get("/listings/", {"q": query})
    page = _text(response)
    assert "has no letters or digits, so it was ignored" in page
    assert "for “" not in page  # never "2 listings for 😀"
    assert len(response.context["page_obj"].listings) == 2


def test_an_over_long_search_is_cut_with_a_notice_not_dropped(client):
    seller = VerifiedUserFactory()
    wanted = published(seller, title="Retro gaming channel", niche="gaming", handle="@ux_h1")
    published(seller, title="Cooking with Lin", niche="food", handle="@ux_h2")
    query = "gaming " + "x" * 5000
    form = CatalogueFilterForm({"q": query})
    assert form.safe_data()["q"] == query[: CatalogueFilterForm.Q_MAX_LENGTH].rstrip()
    response = client.get("/listings/", {"q": "gaming" + " " * 3 + "retro " * 900})
    page = _text(response)
    assert "only its start was used" in page
    assert [item.pk for item in response.context["page_obj"].listings] == [wanted.pk]


@pytest.mark.parametrize(
    "params,field",
    [
        ({"min_price": "500", "max_price": "100"}, "max_price"),
        ({"min_followers": "50000", "max_followers": "10"}, "max_followers"),
    ],
)
def test_a_maximum_below_the_minimum_is_said_and_ignored(client, params, field):
    seller = VerifiedUserFactory()
    ListingFactory(seller=seller, price=1_000_00, follower_count=90_000)
    response = client.get("/listings/", params)
    page = _text(response)
    assert "so it was ignored" in page or "maximum was ignored" in page
    assert field in response.context["form"].errors
    # The minimum still applies; the maximum is dropped rather than matching nothing.
    assert len(response.context["page_obj"].listings) == 1


@pytest.mark.parametrize("lang", ["en", "zh-hans"])
def test_each_example_in_the_search_box_finds_a_demo_listing(client, lang):
    from django.core.management import call_command
    from django.utils import translation

    call_command("seed_demo", stdout=open("/dev/null", "w"))  # noqa: SIM115
    client.cookies["django_language"] = lang
    with translation.override(lang):
        catalogue = str(CatalogueFilterForm().fields["q"].widget.attrs["placeholder"])
    home = re.search(r'id="home-q"[^>]*placeholder="([^"]+)"', client.get("/").content.decode())
    for placeholder in (catalogue, home.group(1)):
        words = re.split(r"[:：]", placeholder.replace("e.g.", "").replace("例如", ""))[-1]
        examples = [e.strip() for e in re.split(r"[,、]", words.rstrip("…"))]
        assert len(examples) >= 3, placeholder
        for example in examples:
            response = client.get("/listings/", {"q": example})
            assert response.context["page_obj"].listings, (placeholder, example)


def test_the_featured_row_is_topped_up_to_a_full_row():
    seller = VerifiedUserFactory()
    stars = [ListingFactory(seller=seller, featured=True) for _ in range(2)]
    others = [
        ListingFactory(seller=seller, follower_count=n * 1000, published_at=timezone.now())
        for n in range(1, 5)
    ]
    row = featured_row()
    assert len(row) == 4
    assert {item.pk for item in row[:2]} == {item.pk for item in stars}
    assert {item.pk for item in row[2:]} == {others[-1].pk, others[-2].pk}  # most followed
    ListingFactory(seller=seller, state=State.SOLD, featured=True, published_at=None)
    assert len(featured_row()) == 4


def test_no_featured_row_when_nothing_is_featured(client):
    ListingFactory.create_batch(5, seller=VerifiedUserFactory())
    assert featured_row() == []
    assert "Featured accounts" not in client.get("/").content.decode()


def test_seller_page_lists_published_listings_and_the_verified_badge(
    client, django_assert_max_num_queries
):
    seller = VerifiedUserFactory(display_name="Lin Studio")
    on_sale = [ListingFactory(seller=seller, title=f"On sale {n}") for n in range(3)]
    hidden = ListingFactory(seller=seller, title="Secret draft", state=State.DRAFT)
    sold = ListingFactory(seller=seller, title="Sold one", state=State.SOLD)
    with django_assert_max_num_queries(12):
        response = client.get(f"/sellers/{seller.pk}/")
    page = _text(response)
    for listing in on_sale:
        assert listing.title in page
    assert hidden.title not in page and sold.title not in page
    assert 'class="badge badge-success seller-verified"' in page

    unverified = UserFactory(display_name="New Seller")
    ListingFactory(seller=unverified, title="Unverified listing")
    response = client.get(f"/sellers/{unverified.pk}/")
    if response.status_code == 200:  # the access rule may 404 non-sellers; this one sells
        page = _text(response)
        assert "seller-verified" not in page and "Not verified" in page


def test_seller_page_with_many_listings_keeps_its_query_count(
    client, django_assert_max_num_queries
):
    seller = VerifiedUserFactory()
    start = timezone.now()
    for n in range(30):
        ListingFactory(seller=seller, published_at=start - timedelta(minutes=n))
    with django_assert_max_num_queries(12):
        client.get(f"/sellers/{seller.pk}/")
