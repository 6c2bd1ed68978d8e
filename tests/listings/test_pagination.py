"""Keyset pagination: walking pages with the ``after`` cursor yields every published
listing exactly once, in order, whatever the ties."""

from datetime import timedelta

from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.extra.django import TestCase

from accounts.models import User
from listings.models import Listing
from listings.selectors import SORTS, CatalogueQuery, catalogue, decode_cursor

State = Listing.State
BASE = timezone.now().replace(microsecond=0)

rows = st.lists(
    st.tuples(
        st.integers(min_value=1, max_value=5),  # price: many ties
        st.integers(min_value=0, max_value=4),  # followers: many ties
        st.integers(min_value=0, max_value=3),  # published offset (s): many ties
        st.integers(min_value=0, max_value=999_999),  # microseconds
        st.sampled_from([State.PUBLISHED] * 4 + [State.DRAFT, State.REMOVED]),
    ),
    min_size=0,
    max_size=25,
)


class CursorWalkTests(TestCase):
    @settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
    @given(
        rows=rows,
        page_size=st.integers(min_value=1, max_value=7),
        sort=st.sampled_from(sorted(SORTS)),
    )
    def test_walking_by_cursor_yields_every_published_listing_once_in_order(
        self, rows, page_size, sort
    ):
        # Each example runs in its own transaction, rolled back whatever its outcome
        # (hypothesis.extra.django.TestCase): the same e-mail every time.
        seller = User.objects.create_user("walker@example.com")
        Listing.objects.bulk_create(
            [
                Listing(
                    seller=seller,
                    state=state,
                    platform="youtube",
                    niche="n",
                    follower_count=followers,
                    title=f"L{i}",
                    description="d",
                    price=price,
                    published_at=(
                        BASE - timedelta(seconds=offset, microseconds=micros)
                        if state == State.PUBLISHED
                        else None
                    ),
                )
                for i, (price, followers, offset, micros, state) in enumerate(rows)
            ]
        )
        expected = list(
            Listing.objects.filter(state=State.PUBLISHED)
            .order_by(*SORTS[sort])
            .values_list("pk", flat=True)
        )

        self._walk(expected, sort, page_size, filters={})
        # With a filter and few matches the rows query orders by an expression no
        # index delivers (selectors._unindexed_order), or, for a price range under
        # the followers sort, reads band by band (listings.bands): the same walk.
        with CaptureQueriesContext(connection) as queries:
            self._walk(expected, sort, page_size, filters={"min_price": 1})
        plan = "LATERAL" if sort == "followers_desc" else "COALESCE"
        if expected:
            assert any(plan in q["sql"] for q in queries.captured_queries)

    def _walk(self, expected, sort, page_size, *, filters):
        seen, after, pages = [], "", 0
        while True:
            page = catalogue(CatalogueQuery(sort=sort, after=after, **filters), page_size=page_size)
            seen += [listing.pk for listing in page.listings]
            pages += 1
            assert pages <= len(expected) + 2
            if not page.has_next:
                break
            assert decode_cursor(sort, page.next_cursor) is not None
            after = page.next_cursor

        assert seen == expected


def test_cursor_of_another_sort_is_ignored():
    assert decode_cursor("price_asc", "n123_4") is None
    assert decode_cursor("newest", "n123_x") is None
    assert decode_cursor("newest", "n" + "9" * 60 + "_1") is None
    assert decode_cursor("price_asc", "pa100_7") == (100, 7)
