"""Traffic that looks like buyers' (issue 20): many different searches, filter
combinations and listings, so that most requests take the uncached path.

- ``search_queries``: at least 2,000 distinct English and Chinese queries built from
  the words of the demo listings (which find something), a few two-word queries,
  and words that find nothing; ``zipf_lines`` weights them by Zipf's law.
- ``catalogue_paths``: random filter combinations (platforms, follower and price
  ranges, sort) and offset pages 1–5, drawn uniformly from a large space.
- ``listing_paths``: every published listing's page once (uniform over them all).

Deterministic (fixed seeds): every run and ``bench.inprocess`` use the same lists.
"""

from __future__ import annotations

import random
import re
from urllib.parse import quote, urlencode

PLATFORMS = [
    "douyin",
    "tiktok",
    "instagram",
    "youtube",
    "bilibili",
    "xiaohongshu",
    "kuaishou",
    "weibo",
    "x",
    "twitch",
]
SORTS = ["newest", "price_asc", "price_desc", "followers_desc"]
FOLLOWER_STEPS = [1000, 5000, 10000, 20000, 50000, 100000, 200000, 500000, 1000000, 3000000]
PRICE_STEPS = [20, 50, 100, 200, 500, 1000, 2000, 5000, 10000, 20000, 50000]
#: Words that are in no demo listing: a search that finds nothing is common traffic.
MISSES_EN = [
    "vintage",
    "crypto",
    "football",
    "knitting",
    "poetry",
    "gardening",
    "skateboard",
    "astrology",
    "bakery",
    "podcast",
    "chess",
    "surfing",
    "wedding",
    "photography",
    "yoga",
    "sneakers",
    "esports",
    "cooking",
    "hiking",
    "luxury",
]
MISSES_ZH = ["古风", "钓鱼", "书法", "露营", "手工", "二次元", "摄影", "瑜伽", "篮球", "茶艺"]


def _vocabulary() -> tuple[list[str], list[str]]:
    """(English words, Chinese words) of the demo listings' texts: jieba's words of
    the Chinese texts and their two-character substrings, as a buyer types them."""
    from listings import search, seed

    english: set[str] = set()
    chinese: set[str] = set()
    en_texts = [n for n, _ in seed.NICHES] + [h + " " + t for h, t in seed.EN_TITLES]
    en_texts += seed.EN_SENTENCES
    for text in en_texts:
        english.update(w for w in re.findall(r"[a-z]{4,}", text.lower()) if w != "niche")
    zh_texts = [z for _, z in seed.NICHES] + [h + t for h, t in seed.ZH_TITLES]
    zh_texts += seed.ZH_SENTENCES
    for text in zh_texts:
        for run in re.findall(r"[\u4e00-\u9fff]+", text.replace("{niche}", "")):
            chinese.update(w for w in search._jieba().cut(run) if len(w) >= 2)
            chinese.update(run[i : i + 2] for i in range(len(run) - 1))
    return sorted(english), sorted(chinese)


def search_queries(count: int = 3000, seed: int = 20) -> list[str]:
    """``count`` (≥ 2,000) distinct queries, most popular first (a fixed shuffle):
    single words, two-word queries (a niche and a word, two words), and misses,
    about half Chinese."""
    rng = random.Random(seed)
    english, chinese = _vocabulary()
    niches_en = [n for n, _ in __import__("listings.seed").seed.NICHES]
    niches_zh = [z for _, z in __import__("listings.seed").seed.NICHES]
    queries: list[str] = list(dict.fromkeys(english + chinese + MISSES_EN + MISSES_ZH))
    seen = set(queries)
    attempts = 0
    while len(queries) < count and attempts < count * 50:
        attempts += 1
        kind = rng.random()
        if kind < 0.3:
            q = f"{rng.choice(niches_en)} {rng.choice(english)}"
        elif kind < 0.6:
            q = f"{rng.choice(niches_zh)}{rng.choice(chinese)}"
        elif kind < 0.75:
            q = f"{rng.choice(english)} {rng.choice(english)}"
        elif kind < 0.9:
            q = f"{rng.choice(chinese)} {rng.choice(chinese)}"
        else:
            q = f"{rng.choice(MISSES_EN + MISSES_ZH)} {rng.choice(english + chinese)}"
        if q not in seen:
            seen.add(q)
            queries.append(q)
    rng.shuffle(queries)
    return queries[:count]


def search_paths(queries: list[str]) -> list[str]:
    return [f"/listings/?q={quote(q)}" for q in queries]


def zipf_lines(items: list[str]) -> list[str]:
    """Zipf's law (s = 1): the k-th item appears ``len(items) // k`` times, so a
    random line is the k-th most popular item with probability ∝ 1/k."""
    n = len(items)
    return [item for k, item in enumerate(items, 1) for _ in range(n // k)]


def zipf_sample(items: list[str], draws: int, seed: int = 5) -> list[str]:
    """``draws`` items drawn by Zipf's law (for the in-process timings)."""
    rng = random.Random(seed)
    weights = [1 / k for k in range(1, len(items) + 1)]
    return rng.choices(items, weights=weights, k=draws)


def catalogue_paths(count: int = 20000, seed: int = 3) -> list[str]:
    """``count`` distinct catalogue URLs: any subset of filters, every sort, pages 1–5."""
    rng = random.Random(seed)
    out: list[str] = []
    seen: set[str] = set()
    while len(out) < count:
        params: list[tuple[str, object]] = []
        if rng.random() < 0.6:
            for p in rng.sample(PLATFORMS, rng.choice([1, 1, 1, 2, 3])):
                params.append(("platform", p))
        if rng.random() < 0.4:
            params.append(("min_followers", rng.choice(FOLLOWER_STEPS[:-2])))
        if rng.random() < 0.2:
            params.append(("max_followers", rng.choice(FOLLOWER_STEPS[3:])))
        if rng.random() < 0.3:
            params.append(("min_price", rng.choice(PRICE_STEPS[:-3])))
        if rng.random() < 0.3:
            params.append(("max_price", rng.choice(PRICE_STEPS[3:])))
        params.append(("sort", rng.choice(SORTS)))
        page = rng.choices([1, 2, 3, 4, 5], weights=[50, 20, 12, 10, 8])[0]
        if page > 1:
            params.append(("page", page))
        url = "/listings/?" + urlencode(params)
        if url not in seen:
            seen.add(url)
            out.append(url)
    return out


def listing_paths(ids: list[int]) -> list[str]:
    return [f"/listings/{pk}/" for pk in ids]


def all_published_ids() -> list[int]:
    from listings.models import Listing

    return list(
        Listing.objects.filter(state=Listing.State.PUBLISHED)
        .order_by("pk")
        .values_list("pk", flat=True)
    )
