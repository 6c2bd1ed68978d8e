"""The uncached catalogue's SQL by statement shape, over the realistic paths.

    python -m bench.catalogue_sql [--requests 400] [--passes 3] [--explain 2]

Replays ``bench.inprocess.realistic_paths``'s catalogue requests (random filter
combinations, every sort, offset pages 1–5) through ``selectors.catalogue``,
groups the statements by shape (literals and bound values stripped) and prints
each shape's count and total time per pass (the fastest pass: robust to a shared
host). ``--explain N`` runs ``EXPLAIN (ANALYZE, BUFFERS)`` on each shape's N
slowest statements and prints the plan's total buffers.
"""

from __future__ import annotations

import argparse
import re
import time
from collections import defaultdict
from urllib.parse import urlsplit

_LITERALS = [
    (re.compile(r"ARRAY\[[^\]]*\]"), "ARRAY[…]"),
    (re.compile(r"'(?:[^']|'')*'"), "'…'"),
    (re.compile(r"\b\d+(?:\.\d+)?\b"), "N"),
    (re.compile(r"(?:\s*(?:AND|OR)\s+\"listings_listing\"\.\"\w+\"\s*[<>=]+\s*N)+"), " AND …"),
    (re.compile(r"IN \((?:N, )*N\)"), "IN (…)"),
]


def shape(sql: str) -> str:
    for pattern, replacement in _LITERALS:
        sql = pattern.sub(replacement, sql)
    return sql


def label(sql: str) -> str:
    s = sql.lstrip("( ")
    if "unnest(" in sql and s.upper().startswith("SELECT COUNT"):
        return "banded count"
    if "unnest(" in sql and "ORDER BY x.key" in sql:
        return "banded ordered keys"
    if s.upper().startswith("SELECT COUNT"):
        return "capped count"
    if "unnest(" in sql and "IN (SELECT unnest" in sql:
        return "cards by id"
    if "IN (SELECT U0" in sql:
        inner = "unindexed order" if "COALESCE(" in sql else "sort index walk"
        return f"cards of page ids: {inner}"
    if "IN (SELECT x.id" in sql:
        return "cards: banded matches, unindexed order"
    if '"listings_listing"."id" IN (' in sql:
        return "cards by id"
    if "COALESCE(" in sql:
        return "cards: filtered, unindexed order"
    return "cards: sort index walk"


def _query(path: str):
    from django.http import QueryDict

    from listings.forms import CatalogueFilterForm
    from listings.selectors import query_from_data

    form = CatalogueFilterForm(QueryDict(urlsplit(path).query))
    return query_from_data(form.safe_data())


def measure(paths: list[str], passes: int) -> tuple[dict, dict]:
    from django.db import connection

    from listings.selectors import catalogue

    queries = [_query(path) for path in paths]
    for query in queries[:20]:
        catalogue(query)
    best: dict[str, float] | None = None
    best_total = None
    samples: dict[str, list] = defaultdict(list)
    counts: dict[str, int] = {}
    for _ in range(passes):
        times: dict[str, float] = defaultdict(float)
        counts = defaultdict(int)
        captured: list[tuple[float, str]] = []

        def timed(execute, sql, params, many, context, captured=captured):
            # CaptureQueriesContext rounds to the millisecond: time each statement here.
            started = time.perf_counter()
            try:
                return execute(sql, params, many, context)
            finally:
                elapsed = time.perf_counter() - started
                with connection.cursor() as cursor:
                    text = cursor.mogrify(sql, params) if params else sql
                captured.append((elapsed, text.decode() if isinstance(text, bytes) else text))

        with connection.execute_wrapper(timed):
            for query in queries:
                catalogue(query)
        for elapsed, sql in captured:
            key = label(sql)
            times[key] += elapsed * 1000
            counts[key] += 1
            samples[key].append((elapsed, sql))
        total = sum(times.values())
        if best_total is None or total < best_total:
            best, best_total = dict(times), total
    return {k: (counts[k], best[k]) for k in best}, samples


def explain(sql: str) -> tuple[float, float, int, str]:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("EXPLAIN (ANALYZE, BUFFERS) " + sql)  # our own captured SQL
        plan = "\n".join(row[0] for row in cursor.fetchall())
    ms = float(re.search(r"Execution Time: ([\d.]+)", plan).group(1))
    planning = float(re.search(r"Planning Time: ([\d.]+)", plan).group(1))
    top = next((line for line in plan.splitlines() if "Buffers:" in line), "")
    hit = sum(int(n) for n in re.findall(r"hit=(\d+)", top))
    read = sum(int(n) for n in re.findall(r"read=(\d+)", top))
    return ms, planning, hit + read, plan


def main() -> None:
    import django

    parser = argparse.ArgumentParser()
    parser.add_argument("--requests", type=int, default=400)
    parser.add_argument("--passes", type=int, default=3)
    parser.add_argument("--explain", type=int, default=0)
    parser.add_argument("--plans", action="store_true", help="print the explained plans")
    parser.add_argument(
        "--buffers", action="store_true", help="EXPLAIN every statement of a pass: buffers by shape"
    )
    args = parser.parse_args()
    django.setup()
    from django.conf import settings

    from bench.inprocess import realistic_paths

    settings.FRAGMENT_CACHE = False
    paths = realistic_paths(args.requests)["catalogue"]
    by_label, samples = measure(paths, args.passes)
    n = len(paths)
    total = sum(ms for _, ms in by_label.values())
    print(f"{n} requests, best of {args.passes} passes: {total / n:.3f} ms SQL per request")
    for key, (count, ms) in sorted(by_label.items(), key=lambda kv: -kv[1][1]):
        print(
            f"  {key:<40} {count:5d} stmts  {ms:8.1f} ms  {ms / n:6.3f} ms/req  "
            f"{ms / count:6.3f} ms/stmt  {100 * ms / total:5.1f} %"
        )
    if args.buffers:
        per: dict[str, list] = defaultdict(lambda: [0, 0, 0.0, 0.0])
        for key, rows in samples.items():
            for _, sql in rows[: by_label[key][0]]:  # one pass
                ms, planning, buffers, _plan = explain(sql)
                per[key][0] += 1
                per[key][1] += buffers
                per[key][2] += ms
                per[key][3] += planning
        print("EXPLAIN (ANALYZE, BUFFERS), one pass:")
        for key, (count, buf, ms, planning) in sorted(per.items(), key=lambda kv: -kv[1][1]):
            print(
                f"  {key:<40} {buf / n:8.1f} buffers/req  {buf / count:8.1f} buffers/stmt  "
                f"{ms / n:6.3f} ms/req executed  {planning / n:6.3f} ms/req planning"
            )
        print(f"  total {sum(v[1] for v in per.values()) / n:.1f} buffers/req")
    if args.explain:
        for key in by_label:
            seen, buffers = set(), []
            for _, sql in sorted(samples[key], reverse=True):
                if sql in seen:
                    continue
                seen.add(sql)
                ms, _planning, buf, plan = explain(sql)
                buffers.append((ms, buf, sql, plan))
                if len(seen) >= args.explain:
                    break
            for ms, buf, sql, plan in buffers:
                print(f"\n== {key}: {ms:.2f} ms, {buf} buffers\n{sql[:600]}")
                if args.plans:
                    print(plan)


if __name__ == "__main__":
    main()
