"""Relevance pages (a search on PostgreSQL): the newest ``COUNT_CAP`` matches ranked,
then older matches newest first, read tier by tier from the newest listings."""

import re
from datetime import timedelta
from unittest import mock

import pytest
from django.contrib.postgres.search import SearchRank
from django.db import connection, transaction
from django.db.models import F
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.extra.django import TestCase

from accounts.models import User
from listings import search, selectors, services
from listings.models import Listing
from listings.selectors import CatalogueQuery, catalogue
from tests.factories import UserFactory
from tests.listings.helpers import insert_published_rows

State = Listing.State
BASE = timezone.now().replace(microsecond=0)
PLATFORMS = ["youtube", "tiktok"]
#: Titles and descriptions of the generated listings: ranks differ (title A,
#: description C, repeated words), and some do not match at all.
TITLES = ["Cooking channel", "Gaming channel", "Cooking and gaming", "Travel vlog", "Cooking"]
DESCRIPTIONS = ["", "cooking tips", "gaming gaming cooking", "nothing here"]


def _set_search_vectors():
    """Every listing's search document in one UPDATE (texts without Chinese are
    their own segmentation, lower-cased), as ``listings.services`` writes it."""
    vector = search.VECTOR_SQL.format(
        st="lower(title)", sn="lower(niche)", sd="lower(description)", t="title", d="description"
    )
    with connection.cursor() as cursor:
        cursor.execute(f"UPDATE listings_listing SET search_vector = {vector}")  # noqa: S608


def _expected(q, platforms, cap):
    """The reference order, from the plain ORM: every match ranked, the newest
    ``cap`` of them by rank then newest, then the rest newest first."""
    query = search.build_query(q)
    matches = Listing.objects.filter(state=State.PUBLISHED, search_vector=query)
    if platforms:
        matches = matches.filter(platform__in=platforms)
    rows = list(
        matches.annotate(rank=SearchRank(F("search_vector"), query))
        .order_by("-id")
        .values_list("pk", "rank")
    )
    head = sorted(rows[:cap], key=lambda row: (-row[1], -row[0]))
    return [pk for pk, _ in head] + [pk for pk, _ in rows[cap:]], len(rows)


def _published_with_vectors(rows, *, seller=None):
    """A listing per (title, description) — published on YouTube — or per (title,
    description, platform, state), each a second older than the one before, with
    their search documents. No test here filters on the figures."""
    seller = seller or UserFactory()
    Listing.objects.bulk_create(
        Listing(
            seller=seller,
            state=row[3] if len(row) > 3 else State.PUBLISHED,
            platform=row[2] if len(row) > 2 else "youtube",
            niche="general",
            follower_count=1000,
            title=row[0],
            description=row[1],
            price=100,
            published_at=BASE - timedelta(seconds=i),
        )
        for i, row in enumerate(rows)
    )
    _set_search_vectors()


def _gaming_rows(count, *, gaming_niche_every=1):
    """``count`` published listings; one in ``gaming_niche_every`` matches "gaming"
    by its niche (the others are travel), one in seven by its title (ranked
    higher)."""
    insert_published_rows(UserFactory(), count)
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE listings_listing SET title = 'Gaming channel ' || id WHERE id % 7 = 0"
        )
        cursor.execute(
            "UPDATE listings_listing SET niche = 'travel' WHERE id %% %s <> 0",
            [gaming_niche_every],
        )
    _set_search_vectors()


def _walk(q, platforms, page_size):
    seen = []
    for number in range(1, 200):
        page = catalogue(
            CatalogueQuery(q=q, platforms=platforms, sort="relevance", page=number),
            page_size=page_size,
        )
        assert page.sort == "relevance"
        seen += [listing.pk for listing in page.listings]
        if not page.has_next:
            return seen
    raise AssertionError("the walk did not end")


class RelevanceWindowTests(TestCase):
    @settings(max_examples=50, deadline=None, suppress_health_check=[HealthCheck.too_slow])
    @given(
        rows=st.lists(
            st.tuples(
                st.sampled_from(TITLES),
                st.sampled_from(DESCRIPTIONS),
                st.sampled_from(PLATFORMS),
                st.sampled_from([State.PUBLISHED] * 4 + [State.DRAFT, State.SOLD]),
            ),
            max_size=30,
        ),
        q=st.sampled_from(["cooking", "gaming", "cooking gaming", "channel"]),
        platforms=st.lists(st.sampled_from(PLATFORMS), unique=True, max_size=1),
        cap=st.integers(min_value=1, max_value=8),
        page_size=st.integers(min_value=1, max_value=5),
        # The first search tier's size (the next ones four times the one before):
        # from every listing in one tier to matches spread over all six, the
        # same pages.
        first=st.integers(min_value=1, max_value=12),
    )
    def test_pages_follow_the_window_order_whatever_the_search_tiers(
        self, rows, q, platforms, cap, page_size, first
    ):
        # Each example runs in its own transaction, rolled back whatever its outcome
        # (hypothesis.extra.django.TestCase): the same e-mail every time.
        seller = User.objects.create_user("rel@example.com")
        _published_with_vectors(rows, seller=seller)
        services.refresh_search_tiers(first=first)
        expected, matches = _expected(q, platforms, cap)

        with mock.patch("listings.selectors.COUNT_CAP", cap):
            first = catalogue(CatalogueQuery(q=q, platforms=platforms, sort="relevance"))
            assert first.count == min(matches, cap)
            assert first.count_capped == (matches > cap)
            assert _walk(q, platforms, page_size) == expected


@pytest.mark.django_db
def test_small_searches_rank_every_match():
    """Below the cap the window is every match: the order is rank, then newest."""
    _published_with_vectors(
        [("A vlog", "cooking"), ("Cooking", ""), ("A show", "cooking"), ("Cooking", "")]
    )
    ids = list(Listing.objects.order_by("id").values_list("pk", flat=True))
    page = catalogue(CatalogueQuery(q="cooking", sort="relevance"))
    # Title matches (weight A) first, newest first within equal rank.
    assert [listing.pk for listing in page.listings] == [ids[3], ids[1], ids[2], ids[0]]
    assert (page.count, page.count_capped) == (4, False)


def _tiers_read(queries) -> list[int]:
    """The search tier each of the relevance window's statements read, in order."""
    return [
        int(m.group(1))
        for q in queries.captured_queries
        for m in re.finditer(r"WHERE tier = (\d+) AND id < \d+", q["sql"])
    ]


@pytest.mark.django_db
def test_a_word_is_read_tier_by_tier_until_the_window_is_full():
    """30,000 listings, all matching, tiers of 500, 2,000, 8,000 …: the window
    holds 1,001 matches, so it reads tier 0 (500) and the newest of tier 1 and
    stops — it never reads the older tiers' matches; the page is the
    reference's, and the cards are read by id alone."""
    _gaming_rows(30_000)
    services.refresh_search_tiers(first=500)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE listings_listing")

    with CaptureQueriesContext(connection) as queries:
        page = catalogue(CatalogueQuery(q="gaming", sort="relevance"))
    expected, matches = _expected("gaming", [], selectors.COUNT_CAP)
    assert matches == 30_000
    assert [listing.pk for listing in page.listings] == expected[: selectors.PAGE_SIZE]
    assert (page.count, page.count_capped) == (selectors.COUNT_CAP, True)

    assert _tiers_read(queries) == [0, 1]
    sql = [q["sql"] for q in queries.captured_queries]
    assert "max(search_tier)" in sql[0]  # the deepest tier in use, with tier 0
    assert "@@" not in sql[-1] and "ts_rank" not in sql[-1]
    assert not [s for s in sql if s.startswith("EXPLAIN")]


@pytest.mark.django_db
def test_a_rare_word_is_read_in_every_tier_in_use_and_no_deeper():
    """A word in a few listings spread over the tiers: one statement per tier that
    holds any row (four here), each its own tier, and every match found, ranked."""
    seller = UserFactory()
    insert_published_rows(seller, 400)
    ids = list(Listing.objects.order_by("id").values_list("pk", flat=True))
    rare = [ids[5], ids[200], ids[360], ids[-2]]  # tiers 3, 2, 1 and 0 below
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE listings_listing SET title = 'Knitting channel' WHERE id = ANY(%s)", [rare]
        )
    _set_search_vectors()
    services.refresh_search_tiers(first=10)  # tiers of 10, 40, 160, then the rest
    tiers = dict(Listing.objects.filter(pk__in=rare).values_list("pk", "search_tier"))
    assert [tiers[pk] for pk in rare] == [3, 2, 1, 0]

    with CaptureQueriesContext(connection) as queries:
        page = catalogue(CatalogueQuery(q="knitting", sort="relevance"))

    assert sorted(listing.pk for listing in page.listings) == sorted(rare)
    assert page.count == 4
    assert _tiers_read(queries) == [0, 1, 2, 3]


@pytest.mark.django_db
def test_a_small_catalogue_is_searched_in_one_statement():
    """Every listing in tier 0 (fewer than the first tier holds): one ranked
    statement, whatever it finds, then the cards."""
    insert_published_rows(UserFactory(), 40)
    _set_search_vectors()
    services.refresh_search_tiers(first=100)
    for q in ("gaming", "nothing-matches-this"):
        with CaptureQueriesContext(connection) as queries:
            catalogue(CatalogueQuery(q=q, sort="relevance"))
        assert _tiers_read(queries) == [0], q
        assert len(queries.captured_queries) <= 2  # the window, then the cards if any


@pytest.mark.django_db(transaction=True)  # VACUUM cannot run inside a transaction
def test_a_common_word_s_newest_matches_come_from_the_first_tier_s_index():
    """30,000 listings, about a quarter match, the newest 10,000 in tier 0: the
    window is read from tier 0's GIN index alone (not every match), and the page
    is the reference's."""
    _gaming_rows(30_000, gaming_niche_every=10)  # about 23 % match
    services.refresh_search_tiers(first=10_000)
    with connection.cursor() as cursor:
        # As autovacuum leaves a table after a bulk change: the GIN indexes' pending
        # entries merged, the tiers' old row versions gone, statistics fresh.
        cursor.execute("VACUUM ANALYZE listings_listing")

    with CaptureQueriesContext(connection) as queries:
        page = catalogue(CatalogueQuery(q="gaming", sort="relevance"))

    expected, _ = _expected("gaming", [], selectors.COUNT_CAP)
    assert [listing.pk for listing in page.listings] == expected[: selectors.PAGE_SIZE]
    assert (page.count, page.count_capped) == (selectors.COUNT_CAP, True)
    sql = [q["sql"] for q in queries.captured_queries]
    assert not [s for s in sql if s.startswith("EXPLAIN") or "MAX(" in s]
    assert len(sql) == 2  # the ranked window (also the count), then the cards
    ids_query = next(s for s in sql if "WHERE tier = 0 AND" in s)
    with transaction.atomic(), connection.cursor() as cursor:
        # On this small table a sequential scan is as good; the question is whether
        # the first tier's index can serve the query (its conditions).
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute(f"EXPLAIN {ids_query}")
        plan = "\n".join(row[0] for row in cursor.fetchall())
    assert "listing_search_tier0_gin" in plan, plan
    assert "listing_search_gin " not in plan + " ", plan
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT c.relname, i.indisvalid FROM pg_index i "
            "JOIN pg_class c ON c.oid = i.indexrelid "
            "WHERE c.relname LIKE 'listing\\_search\\_tier%%\\_gin' ORDER BY 1"
        )
        assert cursor.fetchall() == [
            (f"listing_search_tier{tier}_gin", True) for tier in range(search.TIERS)
        ]


def _tiers() -> list[int]:
    return list(Listing.objects.order_by("id").values_list("search_tier", flat=True))


@pytest.mark.django_db
def test_the_tiers_are_the_newest_published_listings_then_four_times_as_many_each():
    seller = UserFactory()
    insert_published_rows(seller, 60)
    ids = list(Listing.objects.order_by("id").values_list("pk", flat=True))
    Listing.objects.filter(pk__in=ids[-5:-3]).update(state=State.SOLD)

    changed = services.refresh_search_tiers(first=2)  # 2, 8, 32, then the rest

    # Counted in published listings, newest first; the two sold ones sit in the
    # tier of their ids, between published ones.
    assert _tiers() == [3] * 16 + [2] * 32 + [1] * 10 + [0] * 2
    assert changed == 58
    assert services.refresh_search_tiers(first=2) == 0  # nothing moved since
    insert_published_rows(seller, 1)
    assert _tiers()[-1] == 0  # new rows are tier 0
    # The floors moved up by one: one listing crosses each of the three.
    assert services.refresh_search_tiers(first=2) == 3
    assert _tiers() == [3] * 17 + [2] * 32 + [1] * 10 + [0] * 2
    # A larger first tier moves them back up, each straight to its tier.
    assert services.refresh_search_tiers(first=100) == 59
    assert set(_tiers()) == {0}


@pytest.mark.django_db
def test_the_tiers_job_keeps_the_tiers_ordered_by_id_after_every_batch():
    """Each batch is its own transaction: after every one, a tier's ids are all
    above the ids of every deeper tier (what the relevance window relies on)."""
    seller = UserFactory()
    insert_published_rows(seller, 200)
    seen = []
    real_atomic = transaction.atomic

    def checking_atomic(*args, **kwargs):
        seen.append(_tiers())
        return real_atomic(*args, **kwargs)

    with mock.patch("listings.services.tiers.transaction.atomic", checking_atomic):
        services.refresh_search_tiers(first=3, batch=7)
        services.refresh_search_tiers(first=20, batch=7)
    seen.append(_tiers())
    assert len(seen) > 20
    for tiers in seen:
        assert tiers == sorted(tiers, reverse=True)
    assert seen[-1] == [2] * 100 + [1] * 80 + [0] * 20


@pytest.mark.django_db
def test_saving_a_listing_loaded_before_the_tiers_job_keeps_the_job_s_tier():
    seller = UserFactory()
    insert_published_rows(seller, 3)
    oldest = Listing.objects.order_by("id").first()  # loaded while in tier 0
    assert oldest.search_tier == 0

    services.refresh_search_tiers(first=2)
    oldest.title = "Renamed"
    oldest.save()

    oldest.refresh_from_db()
    assert (oldest.title, oldest.search_tier) == ("Renamed", 1)


@pytest.mark.django_db
def test_the_tiers_job_works_in_batches_and_any_first_size_is_at_least_one():
    seller = UserFactory()
    insert_published_rows(seller, 25)

    assert services.refresh_search_tiers(first=3, batch=4) == 22
    assert _tiers() == [2] * 10 + [1] * 12 + [0] * 3
    assert services.refresh_search_tiers(first=0, batch=4) == 16  # taken as 1
    assert _tiers() == [3] * 4 + [2] * 16 + [1] * 4 + [0]
    assert services.refresh_search_tiers(first=30, batch=4) == 24
    assert set(_tiers()) == {0}
