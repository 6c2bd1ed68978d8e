"""Reads the views share: the catalogue, the home page, a listing for a viewer.

Query counts are constant: a catalogue page is one query for the rows (seller and
standing joined, the cover thumbnail as a subquery) plus one capped count (a
banded page, ``listings.bands``: the capped count, the page's ids, the cards); a
detail page is one query for the listing plus one for its screenshots (a detail
page served from the fragment cache: one small query for the access check).
No COUNT(*) over the whole table: the count stops at ``COUNT_CAP``, and "is there
a next page" comes from fetching one row more than the page holds.

A search ranked by relevance reads a bounded window instead (``_relevance_window``:
the newest ``COUNT_CAP`` + 1 matches with their rank, which is also the capped
count — read tier by tier from the newest listings, ``Listing.search_tier``) and
the cards of the page by id: ranking every match would read every match, and a
common word matches a few percent of a large catalogue.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass, field
from datetime import UTC, datetime

from django.conf import settings
from django.contrib.postgres.search import SearchQueryField
from django.db import connection
from django.db.models import (
    CharField,
    ExpressionWrapper,
    F,
    OuterRef,
    Prefetch,
    Q,
    QuerySet,
    Subquery,
    Value,
)
from django.db.models.expressions import RawSQL
from django.db.models.functions import Cast, Coalesce, Concat
from django.http import Http404

from accounts.permissions import is_acting_moderator, is_acting_staff
from kernel.money import currency_exponent

from . import bands, search
from .models import Listing, ListingScreenshot

State = Listing.State
PAGE_SIZE = 50
#: Counts stop here ("1,000+"); relevance ranks this many of the newest matches.
COUNT_CAP = 1000
#: Offset pages beyond this are not served by ``page=``; the ``after`` cursor is.
MAX_OFFSET_PAGE = 200

#: sort name → ordering (both keys descend or ascend together: keyset-friendly).
SORTS = {
    "newest": ("-published_at", "-id"),
    "price_asc": ("price", "id"),
    "price_desc": ("-price", "-id"),
    "followers_desc": ("-follower_count", "-id"),
}
SORT_KEYS = {"newest": "published_at", "price_asc": "price", "price_desc": "price"}
SORT_KEYS["followers_desc"] = "follower_count"
CURSOR_PREFIX = {"newest": "n", "price_asc": "pa", "price_desc": "pd", "followers_desc": "f"}


#: The card's cover as "<screenshot id>:<thumbnail name>", one column of the one
#: subquery the card already had: its URL needs both (``listings.media``).
COVER_SHOT = Concat(Cast("id", CharField()), Value(":"), "thumbnail", output_field=CharField())


def _cards(qs: QuerySet) -> QuerySet:
    """Everything a listing card shows, in one query."""
    cover = (
        ListingScreenshot.objects.filter(listing=OuterRef("pk"))
        .order_by("position", "id")
        .values(shot=COVER_SHOT)[:1]
    )
    return (
        qs.select_related("seller", "seller__standing")
        .annotate(cover_shot=Subquery(cover))
        .defer("description", "search_vector", "handle", "ownership_code", "moderation_reason")
    )


def _filtered(query) -> bool:
    return any(
        value is not None
        for value in (query.min_followers, query.max_followers, query.min_price, query.max_price)
    ) or bool(query.platforms)


def _unindexed_order(sort: str) -> list:
    """The order of ``SORTS[sort]`` written so that no index can deliver it.

    With a few matches (at most ``COUNT_CAP``) spread over a large table, walking
    the sort's index and filtering can read most of the table before 51 rows
    match (the filters correlate with the sort: a price range against
    ``followers_desc``); PostgreSQL cannot know that and picks the walk. Ordering
    by an expression leaves it one plan — find the matches (bitmap/index on the
    filters) and sort them — whose cost follows the matches, not the table."""
    field, tie = SORTS[sort]
    name = field.lstrip("-")
    key = Coalesce(F(name), F(name))  # the same value, but not an indexed column
    return [key.desc() if field.startswith("-") else key.asc(), tie]


def published() -> QuerySet:
    return Listing.objects.filter(state=State.PUBLISHED)


# --------------------------------------------------------------- cursors


def encode_cursor(sort: str, listing: Listing) -> str:
    key = getattr(listing, SORT_KEYS[sort])
    if isinstance(key, datetime):
        key = int(key.timestamp() * 1_000_000)  # microseconds since the epoch, UTC
    return f"{CURSOR_PREFIX[sort]}{key}_{listing.pk}"


def decode_cursor(sort: str, cursor: str) -> tuple[object, int] | None:
    """(sort key value, id) or None for a cursor that does not fit ``sort``."""
    prefix = CURSOR_PREFIX.get(sort)
    if not prefix or not cursor or not cursor.startswith(prefix):
        return None
    body = cursor[len(prefix) :]
    key_text, sep, id_text = body.partition("_")
    if not sep or not key_text.isdigit() or not id_text.isdigit() or len(body) > 40:
        return None
    key: object = int(key_text)
    if sort == "newest":
        micros = int(key_text)
        try:
            key = datetime.fromtimestamp(micros // 1_000_000, tz=UTC).replace(
                microsecond=micros % 1_000_000
            )
        except (OverflowError, ValueError, OSError):
            return None
    return key, int(id_text)


def _after(qs: QuerySet, sort: str, key, pk: int) -> QuerySet:
    name = SORT_KEYS[sort]
    descending = SORTS[sort][0].startswith("-")
    op = "lt" if descending else "gt"
    return qs.filter(Q(**{f"{name}__{op}": key}) | Q(**{name: key, f"id__{op}": pk}))


# ------------------------------------------------------------- catalogue


@dataclass
class CatalogueQuery:
    q: str = ""
    platforms: list[str] = field(default_factory=list)
    min_followers: int | None = None
    max_followers: int | None = None
    min_price: int | None = None  # minor units
    max_price: int | None = None  # minor units
    sort: str = "newest"  # or "relevance" when q
    page: int = 1
    after: str = ""


@dataclass
class CataloguePage:
    listings: list[Listing]
    has_next: bool
    next_cursor: str
    page: int
    count: int
    count_capped: bool
    sort: str
    offset: int
    cursor_mode: bool


#: One search tier's newest ``limit`` matches below ``below`` with their rank.
#: ``{}`` is the ORM's SELECT of (id, search document, tsquery, tier) over the
#: search's listings, unordered; PostgreSQL pulls it up into this statement, so
#: the tier's condition reaches the scan and the tier's own GIN index serves
#: it. Compiled once per search, each tier costs a statement, not a compile.
#: ``ts_rank`` runs on the rows kept only, on the documents the scan already
#: read. Ordered by an expression, so that PostgreSQL does not walk the primary
#: key backwards testing every listing against the search (what it picks when
#: it overestimates the matches).
_TIER_WINDOW = (
    "SELECT id, ts_rank(document, tsquery) FROM ("
    "SELECT id, document, tsquery FROM ({}) AS m (id, document, tsquery, tier) "
    "WHERE tier = %s AND id < %s ORDER BY COALESCE(id, id) DESC LIMIT %s) AS w"
)
#: The deepest search tier holding any row (one probe of ``listing_search_tier``),
#: as a row that no listing can be (ids are positive).
_DEEPEST_TIER = "SELECT -1, max(search_tier) FROM listings_listing"
#: Above every id: tier 0 is read from the top.
_TOP = 2**63 - 1


def _relevance_window(qs: QuerySet) -> list[tuple[int, float]]:
    """The newest ``COUNT_CAP + 1`` matches of ``qs`` (searched and filtered) as
    ``(id, rank)``, newest first: fewer when fewer match.

    Read tier by tier (``Listing.search_tier``), newest first, until enough are
    found: each tier's matches come from that tier's own GIN index, and all of
    them are read (GIN cannot hand them over newest first), so a word is read
    in as few tiers as its frequency needs — a common word in the newest
    listings alone, a rare one in every tier, where it has few matches anyway.
    The rows read stay a few times the window however large the table grows.
    Tier 0 is read with the deepest tier in use, in one statement (a small
    catalogue is all tier 0: one statement whatever the search finds). A tier
    after the first is read below the oldest match found so far: a listing the
    tiers job moved down meanwhile is not counted twice (docs/listings.md)."""
    limit = COUNT_CAP + 1
    query = qs.query.annotations["rank"].get_source_expressions()[1]
    matches = qs.annotate(tsquery=ExpressionWrapper(query, output_field=SearchQueryField()))
    sql, params = (
        matches.order_by().values_list("pk", "search_vector", "tsquery", "search_tier").query
    ).sql_with_params()
    tier_sql = _TIER_WINDOW.format(sql)
    with connection.cursor() as cursor:
        # (The ORM's SQL and our constants; every value a bound parameter.)
        cursor.execute(f"({tier_sql}) UNION ALL ({_DEEPEST_TIER})", (*params, 0, _TOP, limit))  # nosec B608
        rows = cursor.fetchall()
        deepest = next((int(rank or 0) for pk, rank in rows if pk == -1), 0)
        window: list[tuple[int, float]] = sorted(
            (row for row in rows if row[0] != -1), key=lambda row: -row[0]
        )
        for tier in range(1, min(deepest, search.TIERS - 1) + 1):
            if len(window) == limit:
                break
            below = window[-1][0] if window else _TOP
            cursor.execute(tier_sql, (*params, tier, below, limit - len(window)))
            window += sorted(cursor.fetchall(), key=lambda row: -row[0])
    return window


def _relevance_keys(qs: QuerySet, window: list, offset: int, limit: int) -> list[int]:
    """Ids ``offset`` … ``offset + limit`` of the relevance order: the window's newest
    ``COUNT_CAP`` matches by rank (then newest), then any older matches, newest first."""
    ranked = sorted(window[:COUNT_CAP], key=lambda row: (-row[1], -row[0]))
    keys = [pk for pk, _ in ranked[offset : offset + limit]]
    if len(keys) < limit and len(window) > COUNT_CAP:
        start = max(0, offset - COUNT_CAP)
        older = qs.filter(pk__lt=window[COUNT_CAP - 1][0]).order_by("-pk")
        keys += older.values_list("pk", flat=True)[start : start + limit - len(keys)]
    return keys


def query_from_data(data: dict) -> CatalogueQuery:
    """A ``CatalogueQuery`` from the filter form's cleaned data (prices in major
    units there, minor units here)."""
    scale = 10 ** currency_exponent(settings.SETTLEMENT_CURRENCY)
    min_price = data.get("min_price")
    max_price = data.get("max_price")
    return CatalogueQuery(
        q=data.get("q") or "",
        platforms=data.get("platform") or [],
        min_followers=data.get("min_followers"),
        max_followers=data.get("max_followers"),
        min_price=min_price * scale if min_price is not None else None,
        max_price=max_price * scale if max_price is not None else None,
        sort=data.get("sort") or ("relevance" if data.get("q") else "newest"),
        page=data.get("page") or 1,
        after=data.get("after") or "",
    )


def _filters(query: CatalogueQuery, qs: QuerySet) -> QuerySet:
    if query.platforms:
        qs = qs.filter(platform__in=query.platforms)
    if query.min_followers is not None:
        qs = qs.filter(follower_count__gte=query.min_followers)
    if query.max_followers is not None:
        qs = qs.filter(follower_count__lte=query.max_followers)
    if query.min_price is not None:
        qs = qs.filter(price__gte=query.min_price)
    if query.max_price is not None:
        qs = qs.filter(price__lte=query.max_price)
    return qs


def matching(query: CatalogueQuery, qs: QuerySet | None = None) -> tuple[QuerySet, bool]:
    """PUBLISHED listings (or ``qs``) matching ``query``'s filters and words, and
    whether a ``rank`` annotation exists. The catalogue and saved-search alerts
    share it, so an alert finds what the search page shows."""
    return search.apply_search(_filters(query, published() if qs is None else qs), query.q)


def catalogue(query: CatalogueQuery, *, page_size: int = PAGE_SIZE) -> CataloguePage:
    """One page of PUBLISHED listings matching ``query``.

    Ordering is total (sort key, then id), so the ``after`` cursor (keyset
    pagination) yields every listing exactly once however deep the walk goes.
    ``relevance`` (only with ``q`` on PostgreSQL) pages by offset: the newest
    ``COUNT_CAP`` matches by rank, then older matches newest first.
    """
    filtered = _filters(query, published())
    qs, ranked = search.apply_search(filtered, query.q)

    sort = query.sort
    if sort == "relevance" and not ranked:
        sort = "newest"
    if sort not in SORTS and sort != "relevance":
        sort = "relevance" if ranked else "newest"

    # A range that correlates with the sort (price against followers) is read band
    # by band on PostgreSQL (``listings.bands``): flat however large the table.
    banded = bands.plan(query, sort) if sort != "relevance" else None
    # The bands walk in the sort's own order (price or followers sorts), or only
    # find the matches (newest, both ranges).
    walks = banded is not None and banded.order_column == SORT_KEYS[sort]
    # The capped count first: it also tells which plan suits the rows query.
    window: list = []
    if sort == "relevance":
        window = _relevance_window(qs)  # the newest matches, ranked below: also the count
        count = len(window)
    elif banded is not None:
        count = banded.count(COUNT_CAP + 1)
    else:
        count = qs.order_by().values("pk")[: COUNT_CAP + 1].count()
    if sort == "relevance" or walks:
        pass  # the rows come from the window or ``banded.ordered_keys`` below
    elif banded is not None and count <= COUNT_CAP:
        # Newest, both ranges, few matches: the bands find them, PostgreSQL sorts them.
        ids_sql, ids_params = banded.match_ids_sql(COUNT_CAP + 1)
        # (Our own SQL, every value a bound parameter.)
        matches = RawSQL(ids_sql, ids_params)  # noqa: S611  # nosec B611
        order = _unindexed_order(sort)
        # The matches carry every filter: repeated here, they let PostgreSQL prefer
        # a whole platform's covering index (133,000 entries at 1,000,000) to the ids.
        qs = Listing.objects.filter(pk__in=matches).order_by(*order)
    elif count <= COUNT_CAP and _filtered(query):
        order = _unindexed_order(sort)
        qs = qs.order_by(*order)
    else:
        order = SORTS[sort]
        qs = qs.order_by(*order)

    cursor = decode_cursor(sort, query.after) if sort != "relevance" else None
    if cursor is not None:
        offset = 0
        page = max(1, min(query.page, 10**6))  # only a display counter here
    else:
        page = max(1, min(query.page, MAX_OFFSET_PAGE))
        offset = (page - 1) * page_size
    next_cursor = ""
    if sort == "relevance":
        keys = _relevance_keys(qs, window, offset, page_size + 1)
        has_next = len(keys) > page_size
        # The cards by id without the search again: the ids are matches, and the
        # search's condition lets PostgreSQL AND in the whole GIN index.
        found = {row.pk: row for row in _cards(filtered.order_by().filter(pk__in=keys[:page_size]))}
        rows = [found[pk] for pk in keys[:page_size] if pk in found]
    elif walks:
        keys = banded.ordered_keys(
            descending=SORTS[sort][0].startswith("-"),
            offset=offset,
            limit=page_size + 1,
            after=cursor,
        )
        has_next = len(keys) > page_size
        keys = keys[:page_size]
        # The cards by id (same filters): a listing sold between the two reads is
        # left out; the cursor still continues after the page's last key.
        found = {row.pk: row for row in _cards(qs.order_by().filter(pk__in=[k[1] for k in keys]))}
        rows = [found[pk] for _, pk in keys if pk in found]
        if has_next:
            next_cursor = f"{CURSOR_PREFIX[sort]}{keys[-1][0]}_{keys[-1][1]}"
    else:
        if cursor is not None:
            qs = _after(qs, sort, *cursor)
        # The page's ids first, then the cards of those alone (one statement): the
        # ids walk the covering sort index without the heap (migration 0007), and
        # rows skipped by a filter or the offset are neither fetched nor joined.
        page_ids = qs.values("pk")[offset : offset + page_size + 1]
        rows = list(_cards(Listing.objects.filter(pk__in=page_ids).order_by(*order)))
        has_next = len(rows) > page_size
        rows = rows[:page_size]
        if has_next and sort != "relevance":
            next_cursor = encode_cursor(sort, rows[-1])

    return CataloguePage(
        listings=rows,
        has_next=has_next,
        next_cursor=next_cursor,
        page=page,
        count=min(count, COUNT_CAP),
        count_capped=count > COUNT_CAP,
        sort=sort,
        offset=offset,
        cursor_mode=cursor is not None,
    )


def newest(limit: int = 8) -> list[Listing]:
    return list(_cards(published().order_by("-published_at", "-id"))[:limit])


def featured(limit: int = 4) -> list[Listing]:
    return list(_cards(published().filter(featured=True).order_by("-published_at", "-id"))[:limit])


def new_matches(query: CatalogueQuery, *, since, until, limit: int = 10) -> list[Listing]:
    """Listings published in (``since``, ``until``] that match ``query``, newest first."""
    qs, _ranked = matching(query)
    qs = qs.filter(published_at__gt=since, published_at__lte=until)
    return list(_cards(qs.order_by("-published_at", "-id"))[:limit])


def watchlist(user, limit: int = 200) -> list[Listing]:
    """The listings ``user`` watches, most recently added first, in any state
    (a sold one says so on its card's page)."""
    from .models import WatchedListing

    ids = list(
        WatchedListing.objects.filter(user=user)
        .order_by("-created_at", "-id")
        .values_list("listing_id", flat=True)[:limit]
    )
    found = {row.pk: row for row in _cards(Listing.objects.filter(pk__in=ids))}
    return [found[pk] for pk in ids if pk in found]


def published_of_seller(seller_id: int, limit: int = 24) -> list[Listing]:
    """A seller's PUBLISHED listings, newest first (their public page)."""
    qs = published().filter(seller_id=seller_id).order_by("-published_at", "-id")
    return list(_cards(qs)[:limit])


def featured_row(size: int = 4) -> list[Listing]:
    """The home page's Featured row, full when there are enough listings: the
    featured ones first (newest first), then the most-followed others, so the row
    has no hole. Empty when nothing is featured. Two queries, whatever the data
    (each reads at most ``size`` rows through the catalogue's indexes)."""
    row = featured(size)
    others = _cards(published().filter(featured=False).order_by(*SORTS["followers_desc"]))
    row += list(others[:size])[: size - len(row)]
    return row if row and row[0].featured else []


# ---------------------------------------------------------------- detail


def _detail_queryset() -> QuerySet:
    return Listing.objects.select_related("seller", "seller__standing").prefetch_related(
        Prefetch("screenshots", queryset=ListingScreenshot.objects.order_by("position", "id"))
    )


def _buyer_detail_queryset() -> QuerySet:
    # The handle is never loaded (nor decrypted) for a buyer's page.
    return _detail_queryset().defer("handle", "search_vector", "handle_fingerprint")


def can_see_unpublished(user, listing: Listing) -> bool:
    if not user.is_authenticated:
        return False
    return listing.seller_id == user.pk or is_acting_moderator(user)


def has_ever_published(user_id: int) -> bool:
    """Whether the user is a seller: a listing of theirs was published at some point
    (``published_at`` is set on publication and never cleared), whatever its state now."""
    return Listing.objects.filter(seller_id=user_id, published_at__isnull=False).exists()


def get_listing_for_user(user, listing_id: int) -> Listing:
    """The listing as ``user`` may see it: PUBLISHED for everyone; any other state
    only for its seller and moderators; 404 otherwise, so existence never leaks."""
    listing = _buyer_detail_queryset().filter(pk=listing_id).first()
    if listing is None:
        raise Http404
    if not listing.is_public and not can_see_unpublished(user, listing):
        raise Http404
    return listing


def can_see_screenshots(user, listing: Listing) -> bool:
    """Whether ``user`` may see the listing's screenshot files: anyone while it is
    publicly visible; otherwise whoever may see the unpublished listing (its seller,
    acting moderators) and acting staff with the listings review permission."""
    if listing.is_public or can_see_unpublished(user, listing):
        return True
    return is_acting_staff(user) and user.has_perm("listings.review_listing")


def get_screenshot_for_user(user, listing_id: int, screenshot_id: int) -> ListingScreenshot:
    """Screenshot ``screenshot_id`` of listing ``listing_id`` (with the listing's
    state and seller, one query) if ``user`` may see it (``can_see_screenshots``),
    else 404: a screenshot of a listing one may not see looks missing."""
    shot = (
        ListingScreenshot.objects.select_related("listing")
        .only("image", "thumbnail", "listing_id", "listing__state", "listing__seller_id")
        .filter(pk=screenshot_id, listing_id=listing_id)
        .first()
    )
    if shot is None or not can_see_screenshots(user, shot.listing):
        raise Http404
    return shot


#: The head's columns (the description: the page's Open Graph summary, which is
#: rendered live).
_HEAD_FIELDS = tuple(
    f.attname
    for f in Listing._meta.concrete_fields
    if f.attname in {"id", "state", "seller_id", "title", "description", "price", "currency"}
)


def get_listing_head_for_user(user, listing_id: int) -> Listing:
    """The same access rule as ``get_listing_for_user`` in one small query, for the
    listing page served from the fragment cache: only the fields its live parts
    use (state, seller, title, description, price, currency; the seller as a bare id). Any
    other field is loaded on access; the handle is never loaded here."""
    try:
        listing = Listing.objects.only(*_HEAD_FIELDS).get(pk=int(listing_id))
    except Listing.DoesNotExist:
        raise Http404 from None
    if not listing.is_public and not can_see_unpublished(user, listing):
        raise Http404
    return listing


@functools.cache
def listing_by_id_sql(columns: tuple[str, ...], *, for_update: bool = False) -> str:
    """``SELECT <columns> FROM <listings> WHERE id = %s`` (``FOR UPDATE`` where the
    database has it), built once per column set: the raw reads of the hot paths
    (the listing page's checks, the checkout's lock), where the ORM's compiling
    cost more than PostgreSQL's answer. Columns are attnames, in the model's field
    order when the row goes to ``Model.from_db``."""
    q = connection.ops.quote_name
    lock = " FOR UPDATE" if for_update and connection.features.has_select_for_update else ""
    return (
        f"SELECT {', '.join(q(name) for name in columns)} "  # noqa: S608  # nosec B608
        f"FROM {q(Listing._meta.db_table)} WHERE {q('id')} = %s{lock}"
    )


def listing_state(listing_id: int) -> str | None:
    """The listing's state, or None if there is no such listing: the access check
    before an anonymous visitor's kept page is served (only PUBLISHED is ever kept,
    and PUBLISHED is public). One raw statement, the cheapest there is."""
    with connection.cursor() as cursor:
        cursor.execute(listing_by_id_sql(("state",)), [int(listing_id)])
        row = cursor.fetchone()
    return None if row is None else row[0]


def get_listing_for_seller(user, listing_id: int) -> Listing:
    """The signed-in seller's own listing (any state), else 404."""
    if not user.is_authenticated:
        raise Http404
    listing = _detail_queryset().filter(pk=listing_id, seller=user).first()
    if listing is None:
        raise Http404
    return listing


def listings_of_seller(user) -> dict[str, list[Listing]]:
    """The seller's listings grouped by state (dashboard), newest first."""
    groups: dict[str, list[Listing]] = {s: [] for s in State.values}
    rows = _cards(Listing.objects.filter(seller=user).order_by("-updated_at", "-id"))
    for listing in rows:
        groups[listing.state].append(listing)
    return groups
