"""Banded catalogue plans (``listings.bands``): the same pages as the plain query,
and on a large table an index walk of a few bands instead of the whole table."""

import dataclasses
import importlib
from datetime import timedelta
from unittest import mock

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.extra.django import TestCase

from accounts.models import User
from listings import bands
from listings.models import MAX_FOLLOWERS, MAX_PRICE, Listing
from listings.selectors import COUNT_CAP, SORTS, CatalogueQuery, catalogue
from tests.factories import UserFactory
from tests.listings.helpers import insert_published_rows

State = Listing.State
BASE = timezone.now().replace(microsecond=0)
PLATFORMS = ["youtube", "tiktok", "bilibili"]

rows = st.lists(
    st.tuples(
        st.integers(min_value=1, max_value=70),  # price: bands 1–7, ties
        st.integers(min_value=0, max_value=70),  # followers: bands 0–7, ties
        st.integers(min_value=0, max_value=5),  # published offset (s)
        st.sampled_from(PLATFORMS),
        st.sampled_from([State.PUBLISHED] * 5 + [State.DRAFT, State.REMOVED, State.SOLD]),
    ),
    max_size=40,
)
bound = st.none() | st.integers(min_value=0, max_value=72)


class BandedPlanTests(TestCase):
    @settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
    @given(
        rows=rows,
        sort=st.sampled_from(sorted(SORTS)),
        min_price=bound,
        max_price=bound,
        min_followers=bound,
        max_followers=bound,
        platforms=st.lists(st.sampled_from(PLATFORMS), unique=True, max_size=2),
        page_size=st.integers(min_value=1, max_value=6),
    )
    def test_a_banded_page_is_the_plain_query_s_page(
        self, rows, sort, min_price, max_price, min_followers, max_followers, platforms, page_size
    ):
        # Each example runs in its own transaction, rolled back whatever its outcome
        # (hypothesis.extra.django.TestCase): the same e-mail every time.
        seller = User.objects.create_user("bands@example.com")
        Listing.objects.bulk_create(
            [
                Listing(
                    seller=seller,
                    state=state,
                    platform=platform,
                    niche="n",
                    follower_count=followers,
                    title=f"L{i}",
                    description="d",
                    price=price,
                    published_at=BASE - timedelta(seconds=offset),
                )
                for i, (price, followers, offset, platform, state) in enumerate(rows)
            ]
        )
        filters = {
            "min_price": min_price,
            "max_price": max_price,
            "min_followers": min_followers,
            "max_followers": max_followers,
            "platforms": platforms,
        }
        # The reference: the plain ORM query, nothing of the selector's.
        reference = Listing.objects.filter(state=State.PUBLISHED)
        for name, lookup in [
            ("min_price", "price__gte"),
            ("max_price", "price__lte"),
            ("min_followers", "follower_count__gte"),
            ("max_followers", "follower_count__lte"),
        ]:
            if filters[name] is not None:
                reference = reference.filter(**{lookup: filters[name]})
        if platforms:
            reference = reference.filter(platform__in=platforms)
        expected = list(reference.order_by(*SORTS[sort]).values_list("pk", flat=True))

        query = CatalogueQuery(sort=sort, **filters)
        with CaptureQueriesContext(connection) as queries:
            first = catalogue(query, page_size=page_size)
        assert first.count == min(len(expected), COUNT_CAP)
        if bands.plan(query, sort) is not None:
            assert any("LATERAL" in q["sql"] for q in queries.captured_queries)

        # Walk by cursor, then by offset pages: every match once, in order.
        seen, after = [], ""
        for _ in range(len(expected) + 2):
            page = catalogue(CatalogueQuery(sort=sort, after=after, **filters), page_size=page_size)
            seen += [listing.pk for listing in page.listings]
            if not page.has_next:
                break
            after = page.next_cursor
        assert seen == expected

        by_offset = []
        for number in range(1, len(expected) // page_size + 3):
            page = catalogue(CatalogueQuery(sort=sort, page=number, **filters), page_size=page_size)
            by_offset += [listing.pk for listing in page.listings]
            if not page.has_next:
                break
        assert by_offset == expected

        # With a cap of 3 the counts stop early (in each band too) and "newest"
        # with both ranges walks its index instead of sorting the matches.
        with mock.patch("listings.selectors.COUNT_CAP", 3):
            capped = catalogue(query, page_size=page_size)
            assert capped.count == min(len(expected), 3)
            assert capped.count_capped == (len(expected) > 3)
            assert [listing.pk for listing in capped.listings] == expected[:page_size]


def _plan(**filters):
    return bands.plan(CatalogueQuery(**filters), filters.get("sort", "newest"))


def test_the_plan_is_banded_only_where_a_range_correlates_with_the_sort():
    assert _plan(sort="followers_desc", min_price=100).band_column == "price"
    assert _plan(sort="price_asc", max_followers=10).band_column == "follower_count"
    assert _plan(sort="price_desc", min_followers=10).band_column == "follower_count"
    assert _plan(sort="newest", min_price=1, min_followers=1).band_column == "follower_count"
    assert _plan(sort="newest", min_price=1) is None  # one range: its own index
    assert _plan(sort="price_asc", min_price=1, platforms=["x"]) is None  # the sort's own
    assert _plan(sort="followers_desc", min_followers=5) is None
    assert _plan(sort="followers_desc", min_price=9, max_price=3) is None  # empty range
    assert _plan(sort="followers_desc", min_price=1, q="gaming") is None  # search ranks


def test_every_catalogue_filter_is_known_to_the_banded_plan():
    """``bands.plan`` writes the filters in SQL itself: a new field of the query
    must be added there too (or the banded pages would ignore it)."""
    handled = {"q", "platforms", "min_followers", "max_followers", "min_price", "max_price"}
    paging = {"sort", "page", "after"}
    assert {f.name for f in dataclasses.fields(CatalogueQuery)} == handled | paging


def test_the_migration_indexes_the_band_expression_the_query_uses():
    migration = importlib.import_module("listings.migrations.0003_banded_catalogue_indexes")
    by_platform = importlib.import_module("listings.migrations.0008_banded_platform_indexes")
    for column, (_, name, platform_name) in bands.INDEX.items():
        band = bands.BAND_SQL.format(column=column)
        assert migration.INDEXES[name].startswith(f"({band}, ")
        assert by_platform.BANDED[platform_name].startswith(f"({band}, platform, ")


@pytest.mark.django_db
def test_python_s_band_is_the_index_s_band():
    values = [0, 1, 2, 3, 4, 7, 8, 1023, 1024, 1025, 2**31 - 1, 2**31, MAX_FOLLOWERS, MAX_PRICE]
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT v, " + bands.BAND_SQL.format(column="v") + " FROM unnest(%s::bigint[]) AS v",  # noqa: S608
            [values],
        )
        in_sql = dict(cursor.fetchall())
    assert in_sql == {v: bands.band(v) for v in values}
    assert bands.bands(3, 8, "price") == [2, 3, 4]
    assert bands.bands(None, None, "price")[-1] == bands.band(MAX_PRICE)
    assert bands.bands(5, None, "follower_count")[-1] == bands.band(MAX_FOLLOWERS)


@pytest.mark.django_db
def test_on_a_large_table_the_banded_walk_reads_the_band_indexes():
    """40,000 listings whose price follows followers: the walk of each band is an
    index(-only) scan of the banded index, not a scan of the table."""
    insert_published_rows(
        UserFactory(),
        40_000,
        platform="(ARRAY['youtube','tiktok','x'])[1 + g %% 3]",
        followers="g * 25",
        price="g * 25 * (4 + g %% 27)",
    )
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE listings_listing")

    cases = [
        (
            dict(sort="followers_desc", min_price=100_000, max_price=400_000, min_followers=5_000),
            "listing_pub_priceband_followers",
        ),
        (
            dict(sort="price_asc", min_followers=200_000, platforms=["x"]),
            "listing_pub_followerband_platform",
        ),
        (
            dict(sort="followers_desc", min_price=100_000, platforms=["x", "tiktok"]),
            "listing_pub_priceband_platform",
        ),
        (
            dict(sort="newest", min_followers=500_000, max_price=20_000_000),
            "listing_pub_followerband_price",
        ),
    ]
    for filters, index in cases:
        query = CatalogueQuery(**filters)
        with CaptureQueriesContext(connection) as queries:
            page = catalogue(query)
        lateral = [q["sql"] for q in queries.captured_queries if "LATERAL" in q["sql"]]
        assert lateral, filters
        with connection.cursor() as cursor:
            for sql in lateral:
                cursor.execute("EXPLAIN " + sql)
                plan = "\n".join(row[0] for row in cursor.fetchall())
                assert index in plan, (filters, plan)
                assert "Seq Scan on listings_listing" not in plan, (filters, plan)
        assert page.listings, filters
