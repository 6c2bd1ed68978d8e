"""A listing card says the same thing, in both languages, as the generic
template tags it replaced (``get_platform_display``, ``{% url %}``, ``{% trans %}``):
the card's labels are translated once per language, not per card. The cards are
rendered by the Jinja2 engine (``{% listing_cards %}``): escaping, masking and the
seller's standing hold there as in Django's templates."""

import pytest
from django.template import Context, Template
from django.urls import reverse, set_script_prefix
from django.utils import translation

from listings.models import Platform
from listings.templatetags.listings_tags import (
    card_labels,
    detail_url,
    listing_cards,
    platform_label,
)
from tests.factories import VerifiedUserFactory
from tests.listings.helpers import published

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("language", ["en", "zh-hans"])
def test_platform_label_is_the_translated_display_of_every_platform(language):
    with translation.override(language):
        for value, label in Platform.choices:
            assert platform_label(value) == str(label)
        assert platform_label("unknown") == "unknown"


def test_platform_label_follows_the_active_language():
    with translation.override("zh-hans"):
        zh = platform_label(Platform.XIAOHONGSHU)
    with translation.override("en"):
        en = platform_label(Platform.XIAOHONGSHU)
    assert zh != en
    assert zh == "小红书"


def test_detail_url_is_the_reversed_url_under_any_script_prefix():
    try:
        for prefix in ("/", "/shop/"):
            set_script_prefix(prefix)
            for pk in (1, 42, 987654321, 10**12):
                assert detail_url(pk) == reverse("listings:detail", args=[pk])
    finally:
        set_script_prefix("/")


@pytest.mark.parametrize(
    "language,expected",
    [("en", ["Followers", "Avg. views", "Price"]), ("zh-hans", ["粉丝数", "平均播放", "价格"])],
)
def test_card_labels_are_translated(language, expected):
    with translation.override(language):
        labels = card_labels()
    assert [labels["followers"], labels["views"], labels["price"]] == expected


@pytest.mark.parametrize("language", ["en", "zh-hans"])
def test_a_card_shows_its_link_platform_and_labels(language):
    listing = published(VerifiedUserFactory(), platform=Platform.XIAOHONGSHU)
    with translation.override(language):
        html = listing_cards(listing)
        expected_platform = str(Platform.XIAOHONGSHU.label)
        labels = card_labels()
    assert f'href="{reverse("listings:detail", args=[listing.pk])}"' in html
    assert expected_platform in html
    for label in labels.values():
        assert label in html


@pytest.mark.parametrize("language", ["en", "zh-hans"])
def test_region_label_is_the_translated_display_of_every_region(language):
    from listings.models import Region
    from listings.templatetags.listings_tags import region_label

    with translation.override(language):
        for value, label in Region.choices:
            assert region_label(value) == str(label)


def _cards_of(seller):
    """The seller's published listings as the catalogue reads them (one query)."""
    from listings.selectors import published_of_seller

    return published_of_seller(seller.pk)


def _seller_with_standing(sales: int, rating_total: int = 0, rating_count: int = 0):
    from accounts.models import Standing

    seller = VerifiedUserFactory()
    Standing.objects.update_or_create(
        user=seller,
        defaults={
            "completed_sales": sales,
            "rating_total": rating_total,
            "rating_count": rating_count,
        },
    )
    return seller


@pytest.mark.parametrize(
    "language,sales,expected",
    [("en", 1, "· 1 sale<"), ("en", 3, "· 3 sales<"), ("zh-hans", 3, "· 3 笔出售<")],
)
def test_a_card_shows_the_sellers_rating_and_sales_in_the_visitors_language(
    language, sales, expected
):
    seller = _seller_with_standing(sales, rating_total=9, rating_count=2)
    published(seller)
    with translation.override(language):
        html = listing_cards(_cards_of(seller))
    assert expected in html
    assert "★ 4.5" in html


def test_a_card_of_a_seller_without_a_standing_record_shows_no_rating():
    from accounts.models import Standing

    seller = VerifiedUserFactory()
    published(seller)
    Standing.objects.filter(user=seller).delete()
    html = listing_cards(_cards_of(seller))
    assert 'class="listing-card"' in html
    assert "★" not in html and "sale" not in html


def test_a_card_escapes_what_the_seller_typed_and_masks_contact_details():
    seller = VerifiedUserFactory()
    published(seller, title='<script>alert("x")</script> & co', niche="<b>niche</b>")
    type(seller).objects.filter(pk=seller.pk).update(display_name="wechat abc12345")
    html = listing_cards(_cards_of(seller))
    assert "<script>" not in html and "<b>niche" not in html
    assert "&lt;script&gt;" in html and "&amp; co" in html
    assert "abc12345" not in html


def test_the_catalogue_shows_one_card_per_listing_through_the_template_tag():
    seller = VerifiedUserFactory()
    first, second = published(seller), published(seller, handle="second_account")
    html = Template("{% load listings_tags %}{% listing_cards rows %}").render(
        Context({"rows": _cards_of(seller)})
    )
    assert html.count('<article class="listing-card">') == 2
    for listing in (first, second):
        assert f'href="{reverse("listings:detail", args=[listing.pk])}"' in html
