"""Full-text search over listings, in English and Chinese.

PostgreSQL's parsers do not split Chinese into words, so ``美妆`` would not be found
in ``美妆博主账号出售``. We segment text with jieba (search mode) and add the
overlapping character pairs of every Chinese run (美妆 妆博 博主 主账 账号 号出 出售),
and store a ``tsvector`` built with the ``simple`` configuration on that text, plus
an ``english`` vector of the original text so that English words are also matched by
their stem ("gaming" finds "game"). Weights: title A, niche B, description C.

A query is split into words the same way (jieba, precise mode); a Chinese word
matches either as a jieba token or as the phrase of its character pairs
(``'美妆' <-> '妆博' <-> '博主'``), so any Chinese substring of two or more
characters is found even where jieba's dictionary cuts the document differently.

The vector is maintained by ``listings.services`` on every save of those fields
(``refresh_search_vector``), and in bulk by the demo seeder. A GIN index serves it.

On SQLite (the zero-setup ``make run``) there is no tsvector: search falls back to
``icontains`` on title, niche and description, every word required, newest first.
"""

from __future__ import annotations

import logging
import re
from functools import lru_cache

from django.contrib.postgres.search import SearchQuery, SearchRank, SearchVector
from django.db import connection
from django.db.models import F, Q, QuerySet, Value

logger = logging.getLogger(__name__)

_WORD = re.compile(r"\w+", re.UNICODE)
_CJK = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]")
_CJK_RUN = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]+")
#: A word split into Chinese runs and the rest ("b站up主" → b, 站, up, 主).
_SPLIT_CJK = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]+|[^\u3400-\u9fff\uf900-\ufaff]+")
MAX_QUERY_TERMS = 12

#: Search tiers by age (``Listing.search_tier``), each with its own partial GIN
#: index (migration 0009 makes one per tier: change both together). Tier ``t``
#: holds the published listings ranked ``first * (4**t - 1) / 3`` up to
#: ``first * (4**(t + 1) - 1) / 3`` by id, newest first; the last tier every older
#: one. Four times the one before: a word is looked for in as few tiers as its
#: frequency needs, and the rows read stay a few times what a page ranks.
TIERS = 6
TIER_GROWTH = 4


def tier_bounds(first: int) -> list[int]:
    """How many of the newest published listings tiers ``0 … t`` hold together, for
    each tier but the last (which holds the rest)."""
    return [first * (TIER_GROWTH ** (t + 1) - 1) // (TIER_GROWTH - 1) for t in range(TIERS - 1)]


@lru_cache(maxsize=1)
def _jieba():
    import jieba

    jieba.setLogLevel(logging.WARNING)
    jieba.initialize()
    return jieba


def warm_up() -> None:
    """Load jieba's dictionary now (about a second): called when a web worker starts
    (``marketplace.wsgi``), so that no buyer's first Chinese search waits for it."""
    _jieba()


def uses_postgres_search() -> bool:
    return connection.vendor == "postgresql"


@lru_cache(maxsize=4096)
def _segment_cached(text: str) -> str:
    return _segment(text)


def _bigrams(run: str) -> list[str]:
    return [run[i : i + 2] for i in range(len(run) - 1)] or [run]


def _segment(text: str) -> str:
    if not _CJK.search(text):
        return text.lower()
    tokens = [t.strip() for t in _jieba().cut_for_search(text)]
    words = " ".join(t for t in tokens if t).lower()
    # Overlapping character pairs of every Chinese run, in order (adjacent positions),
    # so that any word of two or more characters is found as a phrase of pairs even
    # where jieba's dictionary segments the text differently (e.g. 美妆博主 as one
    # unknown word). Non-Chinese text is already in ``words``.
    pairs = " ".join(" ".join(_bigrams(run)) for run in _CJK_RUN.findall(text))
    return f"{words} {pairs}"


def segment(text: str) -> str:
    """The search document of ``text``: jieba's search-mode words plus the character
    pairs of each Chinese run, separated by spaces (for the 'simple' configuration).

    Text without Chinese characters is returned lower-cased and otherwise as is.
    Short, repeated fragments (niches, demo phrases) are cached.
    """
    text = text or ""
    if len(text) <= 200:
        return _segment_cached(text)
    return _segment(text)


def vector_expression(*, title: str, niche: str, description: str):
    """A ``SearchVector`` expression for one listing's texts, ready for ``update()``."""
    return (
        SearchVector(Value(segment(title)), config="simple", weight="A")
        + SearchVector(Value(segment(niche)), config="simple", weight="B")
        + SearchVector(Value(segment(description)), config="simple", weight="C")
        + SearchVector(Value(title), config="english", weight="A")
        + SearchVector(Value(description), config="english", weight="C")
    )


#: The same vector in SQL, for bulk updates: parameters are (segmented title,
#: segmented niche, segmented description, title, description).
VECTOR_SQL = (
    "setweight(to_tsvector('simple'::regconfig, {st}), 'A') || "
    "setweight(to_tsvector('simple'::regconfig, {sn}), 'B') || "
    "setweight(to_tsvector('simple'::regconfig, {sd}), 'C') || "
    "setweight(to_tsvector('english'::regconfig, {t}), 'A') || "
    "setweight(to_tsvector('english'::regconfig, {d}), 'C')"
)


def _cjk_term(word: str) -> str:
    """A Chinese word as a tsquery term: the word itself (a jieba token of the
    document) or the phrase of its character pairs (any substring of a run)."""
    if len(word) == 1:
        return f"'{word}':*"
    pairs = " <-> ".join(f"'{p}'" for p in _bigrams(word))
    return f"('{word}' | {pairs})" if len(word) > 2 else f"'{word}'"


def _cjk_words(run: str) -> list[str]:
    """jieba's dictionary words of a Chinese run; consecutive single characters
    (words jieba does not know, e.g. 美 妆) are joined back into one word."""
    words: list[str] = []
    pending = ""
    for token in _jieba().cut(run, HMM=False):
        if len(token) == 1:
            pending += token
            continue
        if pending:
            words.append(pending)
            pending = ""
        words.append(token)
    if pending:
        words.append(pending)
    return words


@lru_cache(maxsize=4096)
def _query_terms(q: str) -> tuple[str, ...]:
    """tsquery terms for ``q`` (all required): Latin words as they are, Chinese runs
    split into words by jieba (precise mode), each matched by ``_cjk_term``.
    Only word characters survive, so nothing the user types reaches to_tsquery's syntax.
    Kept per query string (popular searches repeat; segmenting costs jieba's walk).
    """
    terms: list[str] = []
    for chunk in _WORD.findall(q.lower()):
        for part in _SPLIT_CJK.findall(chunk):
            if _CJK.match(part):
                terms.extend(_cjk_term(w) for w in _cjk_words(part))
            elif part.strip("_"):
                terms.append(f"'{part}'")
            if len(terms) >= MAX_QUERY_TERMS:
                return tuple(terms[:MAX_QUERY_TERMS])
    return tuple(terms)


def has_terms(q: str) -> bool:
    """Whether ``q`` holds anything searchable (letters or digits); a query of
    only emoji or punctuation has none and is ignored, with a notice."""
    return bool(_WORD.search(q or ""))


def build_query(q: str) -> SearchQuery | None:
    """A tsquery for the user's words (all required), or None if nothing searchable."""
    terms = _query_terms(q)
    if not terms:
        return None
    simple = SearchQuery(" & ".join(terms), config="simple", search_type="raw")
    return simple | SearchQuery(q, config="english", search_type="websearch")


def apply_search(qs: QuerySet, q: str) -> tuple[QuerySet, bool]:
    """Filter ``qs`` to listings matching ``q``; annotate ``rank`` on PostgreSQL.

    Returns the queryset and whether a ``rank`` annotation exists.
    """
    q = (q or "").strip()
    if not q:
        return qs, False
    if uses_postgres_search():
        query = build_query(q)
        if query is None:
            return qs, False
        qs = qs.filter(search_vector=query).annotate(rank=SearchRank(F("search_vector"), query))
        return qs, True
    for word in _WORD.findall(q)[:MAX_QUERY_TERMS]:
        qs = qs.filter(
            Q(title__icontains=word) | Q(description__icontains=word) | Q(niche__icontains=word)
        )
    return qs, False
