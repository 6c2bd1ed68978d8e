"""Buyers browse: only PUBLISHED listings, filters, constant query counts, indexes."""

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

from listings import services
from listings.models import Listing
from listings.selectors import PAGE_SIZE, SORTS, CatalogueQuery, catalogue
from tests.factories import ListingFactory, UserFactory, VerifiedUserFactory
from tests.listings.helpers import draft, insert_published_rows, moderator, published
from tests.totp import force_login_with_second_factor

pytestmark = pytest.mark.django_db
State = Listing.State


def _ids(response):
    return [listing.pk for listing in response.context["page_obj"].listings]


def test_only_published_listings_are_listed(client):
    seller = VerifiedUserFactory()
    live = ListingFactory(seller=seller, state=State.PUBLISHED)
    hidden = [
        ListingFactory(seller=seller, state=state, published_at=None)
        for state in State.values
        if state != State.PUBLISHED
    ]
    for url in ("/listings/", "/"):
        page = client.get(url).content.decode()
        assert live.title in page
        for listing in hidden:
            assert listing.title not in page
    assert _ids(client.get("/listings/")) == [live.pk]


@pytest.mark.parametrize(
    "state", [State.DRAFT, State.PENDING_REVIEW, State.REJECTED, State.WITHDRAWN, State.REMOVED]
)
def test_unpublished_listings_are_404_except_for_the_seller_and_moderators(client, state):
    seller = UserFactory()
    listing = ListingFactory(seller=seller, state=state, published_at=None)
    url = f"/listings/{listing.pk}/"

    assert client.get(url).status_code == 404
    client.force_login(UserFactory())
    assert client.get(url).status_code == 404
    client.force_login(seller)
    assert client.get(url).status_code == 200
    force_login_with_second_factor(client, moderator())
    assert client.get(url).status_code == 200


def test_a_missing_listing_is_404(client):
    assert client.get("/listings/999999/").status_code == 404


def test_the_handle_never_appears_in_buyer_html(client):
    seller = VerifiedUserFactory()
    listing = published(seller, handle="@very_secret_handle_123")
    buyer = VerifiedUserFactory()
    client.force_login(buyer)
    for url in ("/", "/listings/", "/listings/?q=美妆", f"/listings/{listing.pk}/"):
        page = client.get(url).content.decode()
        assert "very_secret_handle" not in page, url
    # …and the seller does see it on their own pages.
    client.force_login(seller)
    assert "very_secret_handle" in client.get(f"/sell/{listing.pk}/review/").content.decode()


def test_the_handle_is_encrypted_at_rest():
    listing = ListingFactory(handle="@plain_handle")
    with connection.cursor() as cursor:
        cursor.execute("SELECT handle FROM listings_listing WHERE id = %s", [listing.pk])
        stored = cursor.fetchone()[0]
    assert "plain_handle" not in stored
    assert Listing.objects.get(pk=listing.pk).handle == "@plain_handle"


def test_filters(client):
    small = ListingFactory(platform="tiktok", follower_count=5_000, price=10_000)
    mid = ListingFactory(platform="youtube", follower_count=50_000, price=80_000)
    big = ListingFactory(platform="youtube", follower_count=900_000, price=2_000_000)

    assert set(_ids(client.get("/listings/?platform=youtube"))) == {mid.pk, big.pk}
    assert set(_ids(client.get("/listings/?platform=youtube&platform=tiktok"))) == {
        small.pk,
        mid.pk,
        big.pk,
    }
    assert _ids(client.get("/listings/?min_followers=10000&max_followers=100000")) == [mid.pk]
    # Prices in the URL are whole currency units; stored in minor units.
    assert _ids(client.get("/listings/?min_price=500&max_price=1000")) == [mid.pk]
    assert _ids(client.get("/listings/?sort=price_asc")) == [small.pk, mid.pk, big.pk]
    assert _ids(client.get("/listings/?sort=price_desc")) == [big.pk, mid.pk, small.pk]
    assert _ids(client.get("/listings/?sort=followers_desc")) == [big.pk, mid.pk, small.pk]
    assert _ids(client.get("/listings/?sort=newest")) == [big.pk, mid.pk, small.pk]


def test_bad_filter_values_are_ignored_not_fatal(client):
    listing = ListingFactory()
    response = client.get(
        "/listings/?min_followers=-4&max_price=lots&sort=bogus&page=zero&after=x_1&platform=myspace"
    )
    assert response.status_code == 200
    assert _ids(response) == [listing.pk]


def test_a_page_beyond_the_end_is_empty_not_an_error(client):
    ListingFactory()
    response = client.get("/listings/?page=7")
    assert response.status_code == 200
    assert "There is no page 7" in response.content.decode()  # not "No listings match"


# ------------------------------------------------------------- query counts

CATALOGUE_URLS = [
    "/listings/",
    "/listings/?platform=youtube",
    "/listings/?platform=youtube&platform=tiktok&min_followers=1&max_followers=10000000",
    "/listings/?min_price=1&max_price=1000000&sort=price_asc",
    "/listings/?sort=price_desc&page=1",
    "/listings/?sort=followers_desc",
    "/listings/?q=gaming",
    "/listings/?q=gaming&sort=relevance&platform=youtube",
    "/listings/?q=美妆&sort=newest&min_followers=10",
    "/listings/?sort=newest&after=n9999999999999999_999999999",
    "/listings/?sort=price_asc&after=pa0_0&page=3",
]


def _make(n, **kwargs):
    sellers = [VerifiedUserFactory() for _ in range(3)]
    listings = [
        ListingFactory(
            seller=sellers[i % 3],
            platform="youtube",
            title=f"Gaming channel 美妆 {i}",
            niche="gaming",
            **kwargs,
        )
        for i in range(n)
    ]
    for listing in listings:
        services.refresh_search_vector(listing)
    return listings


def _count_queries(client, url):
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url)
    assert response.status_code == 200
    return len(ctx.captured_queries), len(response.context["page_obj"].listings)


@pytest.mark.parametrize("logged_in", [False, True])
def test_catalogue_runs_the_same_queries_with_one_result_as_with_a_full_page(
    client, django_assert_num_queries, logged_in
):
    if logged_in:
        client.force_login(VerifiedUserFactory())
    first = _make(1)
    one = {url: _count_queries(client, url) for url in CATALOGUE_URLS}
    assert all(n == 1 for _, n in one.values()), one

    _make(PAGE_SIZE + 5)
    for url in CATALOGUE_URLS:
        expected_queries = one[url][0]
        with django_assert_num_queries(expected_queries):
            response = client.get(url)
        shown = len(response.context["page_obj"].listings)
        assert shown in (PAGE_SIZE, 1), (url, shown)
    assert first  # the first listing still exists


def test_detail_runs_the_same_queries_with_one_screenshot_as_with_eight(
    client, django_assert_num_queries
):
    seller = VerifiedUserFactory()
    mod = moderator()
    one = published(seller, mod, screenshots=1)
    eight = published(seller, mod, screenshots=8, handle="@other")
    client.force_login(VerifiedUserFactory())
    with CaptureQueriesContext(connection) as ctx:
        client.get(f"/listings/{one.pk}/")
    with django_assert_num_queries(len(ctx.captured_queries)):
        response = client.get(f"/listings/{eight.pk}/")
    assert response.content.decode().count('class="shot-gallery"') == 1
    assert len(response.context["screenshots"]) == 8


def test_home_runs_constant_queries(client, django_assert_num_queries):
    _make(1)
    with CaptureQueriesContext(connection) as ctx:
        client.get("/")
    _make(20, featured=True)
    with django_assert_num_queries(len(ctx.captured_queries)):
        client.get("/")


# ------------------------------------------------------------------- indexes


def test_the_indexes_the_catalogue_needs_exist():
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT indexname, indexdef FROM pg_indexes WHERE tablename = 'listings_listing'"
        )
        indexes = dict(cursor.fetchall())
    expected = {
        "listing_pub_newest": "(published_at DESC, id DESC) INCLUDE (platform, follower_count, price) WHERE",  # noqa: E501
        "listing_pub_price": "(price, id) INCLUDE (platform, follower_count) WHERE",
        "listing_pub_followers": "(follower_count DESC, id DESC) INCLUDE (platform, price) WHERE",
        "listing_pub_platform": "(platform, published_at DESC, id DESC) INCLUDE (follower_count, price) WHERE",  # noqa: E501
        "listing_search_gin": "USING gin (search_vector) WHERE",
        "listing_review_queue": "(state, submitted_at)",
        "listing_seller_state": "(seller_id, state)",
        "listing_pub_priceband_followers": "follower_count DESC, id DESC) INCLUDE (price, platform)",
        "listing_pub_followerband_price": "price, id) INCLUDE (follower_count, platform)",
        "listing_pub_priceband_platform": "platform, follower_count DESC, id DESC) INCLUDE (price)",
        "listing_pub_followerband_platform": "platform, price, id) INCLUDE (follower_count)",
    }
    for name, fragment in expected.items():
        assert name in indexes, name
        assert fragment in indexes[name], indexes[name]
    assert "'PUBLISHED'" in indexes["listing_pub_newest"]


def test_the_catalogue_query_uses_an_index_on_a_large_table():
    """With enough rows the planner must pick the partial sort index, not a seq scan."""
    insert_published_rows(UserFactory(), 20_000)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE listings_listing")
        for sort, index in [
            ("newest", "listing_pub_newest"),
            ("price_asc", "listing_pub_price"),
            ("followers_desc", "listing_pub_followers"),
        ]:
            qs = Listing.objects.filter(state="PUBLISHED").order_by(*SORTS[sort])[:51]
            plan = qs.explain()
            assert index in plan, (sort, plan)
        page = catalogue(CatalogueQuery(sort="newest"))
        assert page.count_capped and page.has_next and len(page.listings) == 50


@pytest.mark.django_db(transaction=True)  # VACUUM cannot run inside a transaction
def test_a_filtered_page_and_its_count_can_read_the_sort_indexes_alone():
    """20,000 listings, one in ten on platform x: the capped count of a platform with
    a follower bound, and a filtered page's ids deep in a sort, can be index-only
    scans (the sort indexes INCLUDE the filter columns), and the page is the plain
    query's. Whether PostgreSQL prefers the index-only scan depends on the
    visibility map, which VACUUM cannot set while another session of the test run
    holds an older snapshot: then the plans are only checked to read an index, not
    the table in bulk (bitmap and sequential scans off). The index definitions
    themselves are checked above (test_the_indexes_the_catalogue_needs_exist)."""
    insert_published_rows(
        UserFactory(),
        20_000,
        platform="CASE WHEN g %% 10 = 0 THEN 'x' ELSE 'youtube' END",
        followers="(g * 7919) %% 20000",
    )
    with connection.cursor() as cursor:
        # As autovacuum leaves a table after a bulk insert: the visibility map set
        # (unless another session of the test run holds an older snapshot).
        cursor.execute("VACUUM ANALYZE listings_listing")
        cursor.execute(
            "SELECT relallvisible >= relpages FROM pg_class WHERE relname = 'listings_listing'"
        )
        visible = cursor.fetchone()[0]

    for query in [
        CatalogueQuery(platforms=["x"], min_followers=5_000, sort="newest", page=5),
        CatalogueQuery(platforms=["x"], sort="price_asc", page=5),
        CatalogueQuery(min_followers=18_000, sort="newest", page=5),
    ]:
        with CaptureQueriesContext(connection) as queries:
            page = catalogue(query)
        matches = Listing.objects.filter(state="PUBLISHED")
        if query.platforms:
            matches = matches.filter(platform__in=query.platforms)
        if query.min_followers is not None:
            matches = matches.filter(follower_count__gte=query.min_followers)
        expected = matches.order_by(*SORTS[query.sort])[4 * PAGE_SIZE : 5 * PAGE_SIZE]
        assert [row.pk for row in page.listings] == [row.pk for row in expected], query
        assert page.count_capped, query
        count_sql, rows_sql = (q["sql"] for q in queries.captured_queries)
        for sql in (count_sql, rows_sql):
            plan = _explain(sql, quiet_table=visible)
            assert "Seq Scan on listings_listing" not in plan, plan
            assert "Bitmap Heap Scan on listings_listing" not in plan, plan
            if visible:
                assert "Index Only Scan" in plan, (query, plan)
        if visible and query.platforms and query.min_followers:
            # The case of docs/performance.md: it read the heap behind the platform's index.
            assert "Index Only Scan using listing_pub_platform " in _explain(count_sql)


def _explain(sql: str, *, quiet_table: bool = True) -> str:
    """The plan of ``sql``; with ``quiet_table=False`` (the visibility map not set)
    with bitmap and sequential scans off, so that an index is still what it reads."""
    with transaction.atomic(), connection.cursor() as cursor:
        if not quiet_table:
            cursor.execute("SET LOCAL enable_bitmapscan = off")
            cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute("EXPLAIN " + sql)
        return "\n".join(row[0] for row in cursor.fetchall())


def test_drafts_of_other_sellers_do_not_leak_via_search(client):
    other = UserFactory()
    secret = draft(other, title="Secret draft about cats")
    services.refresh_search_vector(secret)
    assert _ids(client.get("/listings/?q=cats")) == []


def test_htmx_filter_updates_get_only_the_results(client):
    listing = ListingFactory(platform="tiktok")
    response = client.get(
        "/listings/?platform=tiktok",
        headers={"HX-Request": "true", "HX-Target": "catalogue-results"},
    )
    page = response.content.decode()
    assert response.status_code == 200
    assert "<html" not in page and listing.title in page
    assert "<html" in client.get("/listings/?platform=tiktok").content.decode()
