"""The recent-listings flag (``Listing.search_recent``): the job that moves its floor."""

from __future__ import annotations

from django.conf import settings
from django.db import connection, transaction

#: The floor of the recent listings: the id of the ``size``-th newest published
#: listing, 0 when there are fewer.
_FLOOR_SQL = (
    "SELECT COALESCE((SELECT id FROM listings_listing WHERE state = 'PUBLISHED' "
    "ORDER BY id DESC LIMIT 1 OFFSET %(size)s - 1), 0)"
)
#: One batch each: flag the highest unflagged ids at or above the floor (just below
#: the flagged rows), unflag the lowest flagged ids below it. Either way the
#: flagged rows stay a suffix of the table by id at every commit.
_FLAG_SQL = (
    "UPDATE listings_listing SET search_recent = true WHERE id IN (SELECT id FROM "
    "listings_listing WHERE NOT search_recent AND id >= %(floor)s ORDER BY id DESC "
    "LIMIT %(batch)s)"
)
_UNFLAG_SQL = (
    "UPDATE listings_listing SET search_recent = false WHERE id IN (SELECT id FROM "
    "listings_listing WHERE search_recent AND id < %(floor)s ORDER BY id LIMIT %(batch)s)"
)


def refresh_search_recency(*, size: int | None = None, batch: int = 5000) -> int:
    """Flag the newest ``size`` (``SEARCH_RECENT_LISTINGS``) published listings'
    ids and up as recent (``Listing.search_recent``), none below; returns the rows
    changed. In batches of ``batch`` rows, each its own transaction (the first run
    on a large table flags tens of thousands of rows: the newest listings, those
    being bought, are never locked for long); after every batch the flagged rows
    are a suffix of the table by id, what the relevance window's recent path
    relies on."""
    size = max(1, size if size is not None else settings.SEARCH_RECENT_LISTINGS)
    with connection.cursor() as cursor:
        cursor.execute(_FLOOR_SQL, {"size": size})
        floor = cursor.fetchone()[0]
    changed = 0
    for sql in (_FLAG_SQL, _UNFLAG_SQL):
        while True:
            with transaction.atomic(), connection.cursor() as cursor:
                cursor.execute(sql, {"floor": floor, "batch": batch})
                done = cursor.rowcount
            changed += done
            if done < batch:
                break
    return changed
