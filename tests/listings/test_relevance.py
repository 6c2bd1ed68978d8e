"""Relevance pages (a search on PostgreSQL): the newest ``COUNT_CAP`` matches ranked,
then older matches newest first, read through a bounded window of ids."""

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
        # The planner's estimate only sizes the first window: any estimate, the
        # same pages.
        estimate=st.integers(min_value=0, max_value=10**7),
        # How many of the newest listings are flagged recent (the recent path
        # answers when they hold enough matches): any number, the same pages.
        recent=st.integers(min_value=1, max_value=12),
    )
    def test_pages_follow_the_window_order_whatever_the_estimate_and_the_recent_flags(
        self, rows, q, platforms, cap, page_size, estimate, recent
    ):
        # Each example runs in its own transaction, rolled back whatever its outcome
        # (hypothesis.extra.django.TestCase): the same e-mail every time.
        seller = User.objects.create_user("rel@example.com")
        _published_with_vectors(rows, seller=seller)
        services.refresh_search_recency(size=recent)
        expected, matches = _expected(q, platforms, cap)

        with (
            mock.patch("listings.selectors.COUNT_CAP", cap),
            mock.patch("listings.selectors.estimated_rows", return_value=estimate),
        ):
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


@pytest.mark.django_db
def test_estimated_rows_is_the_planner_s_estimate():
    seller = UserFactory()
    insert_published_rows(
        seller, 3000, platform="CASE WHEN mod(g, 3) = 0 THEN 'tiktok' ELSE 'youtube' END"
    )
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE listings_listing")
    youtube = selectors.estimated_rows(Listing.objects.filter(platform="youtube"))
    assert 1500 <= youtube <= 2500  # 2,000 rows are youtube
    assert selectors.estimated_rows(Listing.objects.filter(platform="nowhere")) < 50


@pytest.mark.django_db
def test_a_common_word_on_a_large_table_reads_a_window_not_every_match():
    """30,000 matching listings: the page reads the matches of one window of ids
    (a few times the cap, sized from the recent matches' share of ids), not all 30,000; the
    page is the reference's. (Which scan PostgreSQL picks for the window depends
    on the table's size: the plans at 1,000,000 are in docs/performance.md.)"""
    _gaming_rows(30_000)
    services.refresh_search_recency(size=500)  # too few recent matches: the whole table
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE listings_listing")

    with CaptureQueriesContext(connection) as queries:
        page = catalogue(CatalogueQuery(q="gaming", sort="relevance"))
    expected, matches = _expected("gaming", [], selectors.COUNT_CAP)
    assert matches == 30_000
    assert [listing.pk for listing in page.listings] == expected[: selectors.PAGE_SIZE]
    assert (page.count, page.count_capped) == (selectors.COUNT_CAP, True)

    sql = [q["sql"] for q in queries.captured_queries]
    # The recent listings' statement, then one ranked window: the recent matches'
    # share of ids sized it, no widening. The cards are read by id alone.
    windows = [s for s in sql if "ts_rank" in s and "UNION ALL" not in s]
    assert len(windows) == 1
    assert "@@" not in sql[-1] and "ts_rank" not in sql[-1]
    floor = re.search(r'(?:"listings_listing"|U0)\."id" > (\d+)', windows[0])
    assert floor is not None  # a bounded window of ids was read, not every match
    in_window = Listing.objects.filter(pk__gt=int(floor.group(1))).count()
    assert selectors.COUNT_CAP < in_window <= 16 * selectors.COUNT_CAP


@pytest.mark.django_db(transaction=True)  # VACUUM cannot run inside a transaction
def test_a_common_word_s_newest_matches_come_from_the_recent_listings_index():
    """30,000 listings, about a quarter match, the newest 10,000 flagged recent: the
    window is read from the recent listings' GIN index alone (not every match, no
    estimate, no window of ids), and the page is the reference's."""
    _gaming_rows(30_000, gaming_niche_every=10)  # about 23 % match
    services.refresh_search_recency(size=10_000)
    with connection.cursor() as cursor:
        # As autovacuum leaves a table after a bulk change: the GIN indexes' pending
        # entries merged, the flags' old row versions gone, statistics fresh.
        cursor.execute("VACUUM ANALYZE listings_listing")

    with CaptureQueriesContext(connection) as queries:
        page = catalogue(CatalogueQuery(q="gaming", sort="relevance"))

    expected, _ = _expected("gaming", [], selectors.COUNT_CAP)
    assert [listing.pk for listing in page.listings] == expected[: selectors.PAGE_SIZE]
    assert (page.count, page.count_capped) == (selectors.COUNT_CAP, True)
    sql = [q["sql"] for q in queries.captured_queries]
    assert not [s for s in sql if s.startswith("EXPLAIN") or "MAX(" in s]
    assert len(sql) == 2  # the ranked window (also the count), then the cards
    ids_query = next(s for s in sql if '"search_recent"' in s)
    with transaction.atomic(), connection.cursor() as cursor:
        # On this small table a sequential scan is as good; the question is whether
        # the recent listings' indexes can serve the query (their conditions).
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute(f"EXPLAIN {ids_query}")
        plan = "\n".join(row[0] for row in cursor.fetchall())
    assert "listing_search_recent_gin" in plan, plan
    assert "listing_search_gin " not in plan + " ", plan
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT i.indisvalid FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid "
            "WHERE c.relname = 'listing_search_recent_gin'"
        )
        assert cursor.fetchone() == (True,)


@pytest.mark.django_db
def test_the_recent_flags_are_the_newest_published_listings_and_all_after_them():
    seller = UserFactory()
    insert_published_rows(seller, 50)
    ids = list(Listing.objects.order_by("id").values_list("pk", flat=True))
    Listing.objects.filter(pk__in=ids[-5:-3]).update(state=State.SOLD)

    changed = services.refresh_search_recency(size=10)

    recent = list(
        Listing.objects.filter(search_recent=True).order_by("id").values_list("pk", flat=True)
    )
    assert recent == ids[-12:]  # ten published, and the two sold among them
    assert changed == 38
    assert services.refresh_search_recency(size=10) == 0  # nothing moved since
    insert_published_rows(seller, 1)
    assert Listing.objects.get(pk__gt=ids[-1]).search_recent  # new rows are recent
    assert services.refresh_search_recency(size=10) == 1  # the floor moved up by one
    assert services.refresh_search_recency(size=100) == 39  # all flagged again


@pytest.mark.django_db
def test_saving_a_listing_loaded_before_the_recency_job_keeps_the_job_s_flag():
    seller = UserFactory()
    insert_published_rows(seller, 3)
    oldest = Listing.objects.order_by("id").first()  # loaded while flagged
    assert oldest.search_recent

    services.refresh_search_recency(size=2)
    oldest.title = "Renamed"
    oldest.save()

    oldest.refresh_from_db()
    assert (oldest.title, oldest.search_recent) == ("Renamed", False)


@pytest.mark.django_db
def test_the_recency_job_works_in_batches_and_any_size_is_at_least_one():
    seller = UserFactory()
    insert_published_rows(seller, 25)
    ids = list(Listing.objects.order_by("id").values_list("pk", flat=True))

    assert services.refresh_search_recency(size=3, batch=4) == 22
    assert (
        list(Listing.objects.filter(search_recent=True).values_list("pk", flat=True).order_by("pk"))
        == ids[-3:]
    )
    assert services.refresh_search_recency(size=0, batch=4) == 2  # taken as 1
    assert services.refresh_search_recency(size=30, batch=4) == 24


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("language", "note"),
    [("en", "The newest 2 matches come first"), ("zh-hans", "最新的 2 条匹配结果排在前面")],
)
def test_a_capped_relevance_search_says_how_it_is_ordered(client, language, note):
    _published_with_vectors([(f"Cooking {i}", "") for i in range(3)])
    headers = {"HTTP_ACCEPT_LANGUAGE": language}
    with mock.patch("listings.selectors.COUNT_CAP", 2):
        capped = client.get("/listings/", {"q": "cooking"}, **headers).content.decode()
        newest = client.get("/listings/", {"q": "cooking", "sort": "newest"}, **headers)
    assert note in capped
    assert 'id="relevance-note"' not in newest.content.decode()
    uncapped = client.get("/listings/", {"q": "cooking"}, **headers).content.decode()
    assert 'id="relevance-note"' not in uncapped
