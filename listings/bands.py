"""Banded plans: catalogue filters that correlate with the sort, at any table size.

Price and followers go together (a big account costs more). A range on one of
them with the other as the sort is the case one B-tree cannot serve: walking
``listing_pub_followers`` from the top for a price range meets only prices above
it and can read most of the table before 51 rows match (1.4 s at 1,000,000
listings); finding the matches first costs as many rows as match (100,000s).

So each of the two columns is cut into **bands** — its bit length, so a band
spans a factor of two: 1, 2–3, 4–7, … — and migration 0003 indexes (PostgreSQL
only, partial on PUBLISHED, the filter columns INCLUDEd so that the walk reads
the index alone)::

    listing_pub_priceband_followers  (band(price), follower_count DESC, id DESC)
                                     INCLUDE (price, platform)
    listing_pub_followerband_price   (band(follower_count), price, id)
                                     INCLUDE (follower_count, platform)

With a platform filter the walks use migration 0008's twins, the platform after
the band (``listing_pub_priceband_platform``, ``listing_pub_followerband_platform``):
one walk per band and platform, each a seek, where these would read every
platform's rows of the band and drop the others'.

A filter's range on the *band column* covers a short list of bands (at most 35).
Within one band the index is in the sort's order, with the sort column's own range
a seek, so the query takes the first ``n`` rows of each band the range touches
(a ``LATERAL`` subquery per band) and sorts those few: its cost follows the number
of bands and the page size, not the table. Inside a band price and followers
still move together, but only across a factor of two, so the residual filters
(the range's edge, platforms) pass a steady share of the rows.

Used by ``selectors.catalogue`` on PostgreSQL, without a search term:

- sort by price, with a followers range → bands of followers;
- sort by followers, with a price range → bands of price;
- newest, with both ranges → bands of followers, the price range a seek in each:
  the capped count, and the matches when there are at most ``COUNT_CAP`` of them.

SQLite (``make run``) has no such index and keeps the plain plans.
The band expression below must stay identical to migration 0003's.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db import connection

from .models import MAX_FOLLOWERS, MAX_PRICE

#: SQL bit length of a non-negative bigint column: the band. Must match the indexes.
BAND_SQL = "length(ltrim({column}::bit(64)::text, '0'))"
TOP = {"price": MAX_PRICE, "follower_count": MAX_FOLLOWERS}
#: band column → the other column (the index's order within a band), its index,
#: and its index with the platform after the band.
INDEX = {
    "price": (
        "follower_count",
        "listing_pub_priceband_followers",
        "listing_pub_priceband_platform",
    ),
    "follower_count": (
        "price",
        "listing_pub_followerband_price",
        "listing_pub_followerband_platform",
    ),
}
TABLE = "listings_listing"


def band(value: int) -> int:
    """The band of a value, as ``BAND_SQL`` computes it."""
    return max(int(value), 0).bit_length()


def bands(low: int | None, high: int | None, column: str) -> list[int]:
    """Every band a range ``[low, high]`` of ``column`` touches (empty if low > high)."""
    low = 0 if low is None else max(low, 0)
    high = TOP[column] if high is None else min(high, TOP[column])
    if low > high:
        return []
    return list(range(band(low), band(high) + 1))


@dataclass(frozen=True)
class Plan:
    """A banded read: ``band_column``'s bands, each walked in ``order_column``'s order."""

    band_column: str
    bands: tuple[int, ...]
    platforms: tuple[str, ...]  # the filter's: one walk per band and platform
    where: str  # conditions on one band's rows, for ``%s`` parameters
    params: tuple

    @property
    def order_column(self) -> str:
        return INDEX[self.band_column][0]

    def _branch(self, extra: str = "", order: str = "", limit: int = 0) -> str:
        platform = "platform = p.platform AND " if self.platforms else ""
        sql = (
            f"SELECT id, {self.order_column} AS key FROM {TABLE} "  # noqa: S608  # nosec B608
            f"WHERE {BAND_SQL.format(column=self.band_column)} = b.band AND {platform}"
            f"{self.where}{extra}"
        )
        if order:
            sql += f" ORDER BY {order}"
        return sql + f" LIMIT {int(limit)}"

    def _from(self, branch: str) -> str:
        platforms = "CROSS JOIN unnest(%s::text[]) AS p(platform) " if self.platforms else ""
        return f"unnest(%s::int[]) AS b(band) {platforms}CROSS JOIN LATERAL ({branch}) AS x"

    @property
    def _lists(self) -> list:
        return [list(self.bands), list(self.platforms)] if self.platforms else [list(self.bands)]

    def count(self, cap: int) -> int:
        """How many rows match, counting at most ``cap`` (each band stops there too)."""
        sql = f"SELECT count(*) FROM (SELECT x.id FROM {self._from(self._branch(limit=cap))} LIMIT %s) AS c"  # noqa: E501, S608  # nosec B608
        with connection.cursor() as cursor:
            cursor.execute(sql, [*self._lists, *self.params, cap])
            return cursor.fetchone()[0]

    def match_ids_sql(self, cap: int) -> tuple[str, list]:
        """SQL (and parameters) of the ids of at most ``cap`` matching rows, in no
        order: for a subquery (``id IN (…)``) when few rows match."""
        sql = f"SELECT x.id FROM {self._from(self._branch(limit=cap))} LIMIT %s"  # noqa: S608  # nosec B608
        return sql, [*self._lists, *self.params, cap]

    def ordered_keys(
        self, *, descending: bool, offset: int, limit: int, after: tuple | None = None
    ) -> list[tuple[int, int]]:
        """(order column value, id) of rows ``offset … offset + limit`` in that
        order, after the keyset position ``after`` = (key, id) when given."""
        direction = "DESC" if descending else "ASC"
        order = f"{self.order_column} {direction}, id {direction}"
        extra, params = "", list(self.params)
        if after is not None:
            extra = f" AND ({self.order_column}, id) {'<' if descending else '>'} (%s, %s)"
            params += [after[0], after[1]]
        branch = self._branch(extra, order, offset + limit)
        sql = (
            f"SELECT x.key, x.id FROM {self._from(branch)} "  # noqa: S608  # nosec B608
            f"ORDER BY x.key {direction}, x.id {direction} OFFSET %s LIMIT %s"
        )
        with connection.cursor() as cursor:
            cursor.execute(sql, [*self._lists, *params, offset, limit])
            return [(row[0], row[1]) for row in cursor.fetchall()]


def plan(query, sort: str) -> Plan | None:
    """The banded plan for a catalogue ``query`` under ``sort``, or None where the
    plain plans serve (no correlated range, a search term, not PostgreSQL)."""
    if connection.vendor != "postgresql" or query.q:
        return None
    followers = query.min_followers is not None or query.max_followers is not None
    price = query.min_price is not None or query.max_price is not None
    if sort in ("price_asc", "price_desc") and followers:
        column = "follower_count"
    elif sort == "followers_desc" and price:
        column = "price"
    elif sort == "newest" and followers and price:
        column = "follower_count"
    else:
        return None
    low, high = (
        (query.min_followers, query.max_followers)
        if column == "follower_count"
        else (query.min_price, query.max_price)
    )
    touched = bands(low, high, column)
    if not touched:
        return None
    where, params = ["state = 'PUBLISHED'"], []
    for name, low, high in (
        ("follower_count", query.min_followers, query.max_followers),
        ("price", query.min_price, query.max_price),
    ):
        if low is not None:
            where.append(f"{name} >= %s")
            params.append(low)
        if high is not None:
            where.append(f"{name} <= %s")
            params.append(high)
    return Plan(column, tuple(touched), tuple(query.platforms), " AND ".join(where), tuple(params))
