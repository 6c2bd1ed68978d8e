"""A listing card says the same thing, in both languages, as the generic
template tags it replaced (``get_platform_display``, ``{% url %}``, ``{% trans %}``):
the card's labels are translated once per language, not per card."""

import pytest
from django.template.loader import render_to_string
from django.urls import reverse, set_script_prefix
from django.utils import translation

from listings.models import Platform
from listings.templatetags.listings_tags import card_labels, detail_url, platform_label
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
        html = render_to_string("listings/_card.html", {"listing": listing})
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
