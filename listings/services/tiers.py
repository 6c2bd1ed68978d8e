"""The search tiers (``Listing.search_tier``): the job that moves listings down
them as newer ones arrive."""

from __future__ import annotations

from django.conf import settings
from django.db import connection, transaction

from ..search import TIERS, tier_bounds

#: The id of the ``rank``-th newest published listing, 0 when there are fewer.
_FLOOR_SQL = (
    "SELECT COALESCE((SELECT id FROM listings_listing WHERE state = 'PUBLISHED' "
    "ORDER BY id DESC LIMIT 1 OFFSET %(rank)s - 1), 0)"
)
#: One batch each (the ``listing_search_tier`` index): the lowest ids of tier
#: ``source`` below the floor of tier ``tier`` move down into the tier below it,
#: or the highest ids of a deeper ``source`` at or above the floor up into
#: ``tier``. The order of ``refresh_search_tiers`` makes each batch take the
#: lowest (highest) ids of all the rows that must cross that floor, so the tiers
#: stay ordered by id (every id of a tier above every id of the tiers below) at
#: every commit, and each row moves once, straight to its tier.
_DOWN_SQL = (
    "UPDATE listings_listing SET search_tier = %(tier)s + 1 WHERE id IN (SELECT id FROM "
    "listings_listing WHERE search_tier = %(source)s AND id < %(floor)s ORDER BY id "
    "LIMIT %(batch)s)"
)
_UP_SQL = (
    "UPDATE listings_listing SET search_tier = %(tier)s WHERE id IN (SELECT id FROM "
    "listings_listing WHERE search_tier = %(source)s AND id >= %(floor)s ORDER BY id DESC "
    "LIMIT %(batch)s)"
)


def _run_batches(sql: str, params: dict, batch: int) -> int:
    changed = 0
    while True:
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(sql, {**params, "batch": batch})
            done = cursor.rowcount
        changed += done
        if done < batch:
            return changed


def refresh_search_tiers(*, first: int | None = None, batch: int = 5000) -> int:
    """Put every listing in its search tier (``search.TIERS``; tier 0 the newest
    ``first``, default ``SEARCH_FIRST_TIER``, published listings and every row
    after them); returns the rows moved. Idempotent. In batches of ``batch`` rows,
    each its own transaction (the first run on a large table moves most rows: the
    newest listings, those being bought, are never locked for long).

    Down first, the deepest floor first and, for each, the deepest tier above it
    first (its ids are the lowest); then up, for a floor that went down (listings
    taken off sale, a larger ``first``), the first floor first and the nearest
    tier below it first. Each row crosses once, to its tier; between batches the
    tiers stay ordered by id, which the relevance window relies on."""
    first = max(1, first if first is not None else settings.SEARCH_FIRST_TIER)
    floors = []
    with connection.cursor() as cursor:
        for rank in tier_bounds(first):
            cursor.execute(_FLOOR_SQL, {"rank": rank})
            floors.append(cursor.fetchone()[0])
    changed = 0
    for tier in reversed(range(TIERS - 1)):
        for source in reversed(range(tier + 1)):
            params = {"tier": tier, "source": source, "floor": floors[tier]}
            changed += _run_batches(_DOWN_SQL, params, batch)
    for tier in range(TIERS - 1):
        for source in range(tier + 1, TIERS):
            params = {"tier": tier, "source": source, "floor": floors[tier]}
            changed += _run_batches(_UP_SQL, params, batch)
    return changed
