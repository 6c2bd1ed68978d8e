"""Full-text search: English and unsegmented Chinese, ranked; SQLite fallback."""

import pytest

from listings import search, services
from listings.models import Listing
from tests.factories import ListingFactory

pytestmark = pytest.mark.django_db


def _listing(title, description="", niche="general", **kwargs):
    listing = ListingFactory(title=title, description=description, niche=niche, **kwargs)
    services.refresh_search_vector(listing)
    return listing


def _found(client, q, **params):
    response = client.get("/listings/", {"q": q, **params})
    assert response.status_code == 200
    return [listing.pk for listing in response.context["page_obj"].listings]


def test_chinese_word_finds_unsegmented_chinese_title(client):
    beauty = _listing("美妆博主账号出售")
    food = _listing("美食探店账号转让")

    assert _found(client, "美妆") == [beauty.pk]
    assert set(_found(client, "账号")) == {beauty.pk, food.pk}
    assert _found(client, "美妆博主") == [beauty.pk]
    assert _found(client, "博主账号") == [beauty.pk]
    assert _found(client, "妆博") == [beauty.pk]  # any substring of two characters
    assert _found(client, "探店") == [food.pk]
    assert _found(client, "美妆 出售") == [beauty.pk]
    assert _found(client, "美妆美食") == []


def test_chinese_words_in_the_description_and_niche_are_found(client):
    listing = _listing(
        "Account for sale", description="账号内容均为原创，粉丝以年轻女性为主。", niche="穿搭"
    )
    assert _found(client, "原创") == [listing.pk]
    assert _found(client, "穿搭") == [listing.pk]
    assert _found(client, "女性") == [listing.pk]


def test_english_words_in_title_and_description_with_stemming(client):
    gaming = _listing("Established gaming channel", description="Weekly let's plays.")
    travel = _listing("Travel page", description="Photos from the mountains of Japan.")

    assert _found(client, "gaming") == [gaming.pk]
    assert _found(client, "game") == [gaming.pk]  # stem
    assert _found(client, "mountain japan") == [travel.pk]
    assert _found(client, "JAPAN") == [travel.pk]
    assert _found(client, "japan gaming") == []  # every word required


def test_results_are_ranked_title_above_description(client):
    in_description = _listing("A channel", description="All about cooking and recipes.")
    in_title = _listing("Cooking channel", description="Nothing else.")
    in_both = _listing("Cooking show", description="Cooking every day, cooking recipes.")

    ranked = _found(client, "cooking")
    assert ranked.index(in_title.pk) < ranked.index(in_description.pk)
    assert ranked.index(in_both.pk) < ranked.index(in_description.pk)
    assert len(ranked) == 3


def test_search_combines_with_filters(client):
    small = _listing("美妆账号 small", follower_count=5_000)
    big = _listing("美妆账号 big", follower_count=500_000)
    assert _found(client, "美妆", min_followers=100_000) == [big.pk]
    assert _found(client, "美妆", max_followers=10_000) == [small.pk]


def test_only_published_listings_are_found(client):
    _listing("美妆博主 draft", state=Listing.State.DRAFT, published_at=None)
    assert _found(client, "美妆") == []


@pytest.mark.parametrize(
    "q", ["'", "&", "!!!", "a | b", "(", ":*", "美妆 & | !", "<script>", "\\", "%_"]
)
def test_tsquery_syntax_in_the_query_is_harmless(client, q):
    _listing("Cooking channel")
    response = client.get("/listings/", {"q": q})
    assert response.status_code == 200


def test_query_terms_keep_only_word_characters():
    assert list(search._query_terms("美妆!! gaming's")) == ["'美妆'", "'gaming'", "'s'"]


def test_sqlite_fallback_uses_icontains(monkeypatch):
    monkeypatch.setattr(search, "uses_postgres_search", lambda: False)
    hit = ListingFactory(title="美妆博主账号出售")
    ListingFactory(title="Other")
    qs, ranked = search.apply_search(Listing.objects.all(), "美妆")
    assert not ranked
    assert list(qs) == [hit]


def test_the_wsgi_entry_point_loads_the_segmenter_before_the_first_search():
    """A web worker loads jieba's dictionary when it starts (``marketplace.wsgi``),
    not in a buyer's first Chinese search."""
    import importlib
    import sys

    search._jieba.cache_clear()
    sys.modules.pop("marketplace.wsgi", None)
    importlib.import_module("marketplace.wsgi")
    assert search._jieba.cache_info().currsize == 1


def test_query_terms_are_kept_per_query_string():
    search._query_terms.cache_clear()
    first = search._query_terms("美妆 博主 gaming")
    assert search._query_terms("美妆 博主 gaming") is first
    assert search._query_terms.cache_info().hits == 1
