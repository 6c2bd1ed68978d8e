"""Full-text search over listings, in English and Chinese.

PostgreSQL's parsers do not split Chinese into words, so ``美妆`` would not be found
in ``美妆博主账号出售``. We segment text with jieba (search mode, which emits both
the long words and their parts: 美妆 / 博主 / 账号 / 出售) and store a ``tsvector``
built with the ``simple`` configuration on the segmented text, plus an ``english``
vector of the original text so that English words are also matched by their stem
("gaming" finds "game"). Weights: title A, niche B, description C.

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
MAX_QUERY_TERMS = 12


@lru_cache(maxsize=1)
def _jieba():
    import jieba

    jieba.setLogLevel(logging.WARNING)
    jieba.initialize()
    return jieba


def uses_postgres_search() -> bool:
    return connection.vendor == "postgresql"


@lru_cache(maxsize=4096)
def _segment_cached(text: str) -> str:
    return _segment(text)


def _segment(text: str) -> str:
    if not _CJK.search(text):
        return text.lower()
    tokens = (t.strip() for t in _jieba().cut_for_search(text))
    return " ".join(t for t in tokens if t).lower()


def segment(text: str) -> str:
    """The text with Chinese runs split into words (search mode) by spaces.

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


def _query_terms(q: str) -> list[str]:
    """tsquery terms for ``q``: each word of precise segmentation, as
    ``word`` or, for a Chinese word jieba would split further, ``(word | part & part)``.
    Only word characters survive, so nothing the user types reaches to_tsquery's syntax.
    """
    terms: list[str] = []
    jieba = _jieba() if _CJK.search(q) else None
    for chunk in _WORD.findall(q.lower()):
        words = [w for w in (jieba.cut(chunk) if jieba else [chunk]) if _WORD.fullmatch(w)]
        for word in words:
            parts = []
            if jieba and _CJK.search(word) and len(word) > 2:
                parts = [p for p in jieba.cut_for_search(word) if p != word and _WORD.fullmatch(p)]
                # Keep only the parts that are not themselves inside a longer part.
                parts = [p for p in parts if not any(p != o and p in o for o in parts)]
            if parts:
                anded = " & ".join("'" + p + "'" for p in parts)
                terms.append(f"('{word}' | {anded})")
            else:
                terms.append(f"'{word}'")
            if len(terms) >= MAX_QUERY_TERMS:
                return terms
    return terms


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
