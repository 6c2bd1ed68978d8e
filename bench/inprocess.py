"""In-process timings of single views (no load, no network): where a page's time
goes, URL by URL, before a change is measured under load by ``make bench``.

    python -m bench.inprocess catalogue   # the bench's 40 catalogue URLs
    python -m bench.inprocess detail      # 500 published listings, cache off
    python -m bench.inprocess checkout    # 300 checkout POSTs on distinct listings
    python -m bench.inprocess realistic   # the three realistic scenarios (bench.traffic)
    python -m bench.inprocess realistic --cache on --profile search

``realistic`` times, per request, with the fragment cache off (``--cache on``: on,
starting empty): the catalogue over random filter combinations and pages, search
over the distinct-query vocabulary drawn by Zipf's law (each worker's first
requests included: jieba is loaded at start-up, as gunicorn's workers load it),
and listing pages drawn uniformly from every published listing. ``--profile NAME``
prints a cProfile of one of them.

Runs against the database and settings of the environment (a seeded database:
``make bench`` leaves none behind, so seed one, e.g. with ``.ci/services.sh`` and
``manage.py seed_demo --listings 100000``). Set ``DEBUG=false``. Prints
milliseconds per request and, for the catalogue, the slowest URLs with their
slowest SQL statement.
"""

from __future__ import annotations

import argparse
import os
import time

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "marketplace.settings")


def _client():
    from django.test import Client

    return Client()


def catalogue(rounds: int = 3, top: int = 8) -> None:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from bench.run import catalogue_urls

    client = _client()
    urls = catalogue_urls()
    for url in urls:  # warm: connections, templates, translations
        client.get(url)
    timings = []
    for url in urls:
        started = time.perf_counter()
        with CaptureQueriesContext(connection) as queries:
            for _ in range(rounds):
                assert client.get(url).status_code == 200, url
        ms = (time.perf_counter() - started) / rounds * 1000
        slowest = max(queries.captured_queries, key=lambda q: float(q["time"]))
        timings.append((ms, float(slowest["time"]) * 1000, slowest["sql"], url))
    timings.sort(reverse=True)
    print(f"catalogue: {len(urls)} URLs, {sum(t[0] for t in timings):.1f} ms per pass")
    for ms, query_ms, sql, url in timings[:top]:
        kind = "count" if sql.startswith("SELECT COUNT") else "rows"
        print(f"  {ms:7.1f} ms  slowest SQL {query_ms:6.1f} ms ({kind})  {url}")


def detail(count: int = 500) -> None:
    from django.conf import settings

    from bench import fixtures

    settings.FRAGMENT_CACHE = False
    ids = fixtures.published_ids(count + 50, exclude_sellers=[])
    client = _client()
    for pk in ids[:50]:
        client.get(f"/listings/{pk}/")
    started = time.perf_counter()
    for pk in ids[50:]:
        assert client.get(f"/listings/{pk}/").status_code == 200, pk
    ms = (time.perf_counter() - started) / max(len(ids) - 50, 1) * 1000
    print(f"detail (cache off): {ms:.2f} ms per request over {len(ids) - 50} listings")


def checkout(count: int = 300, profile: bool = False) -> None:
    """The checkout POST as wrk sends it (a signed-in buyer's session cookie and CSRF
    token, distinct listings): milliseconds per request and SQL statements by kind.
    Opens ``count`` real deals in the database it runs against."""
    import collections
    import cProfile
    import pstats

    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext
    from django.utils import timezone

    from bench import fixtures

    # A buyer per checkout, as in ``make bench`` (a run adds one unpaid deal to each).
    buyer_ids = fixtures.ensure_buyers(count + 20, timezone.now())
    sessions = fixtures.signed_in(buyer_ids)
    ids = fixtures.published_ids(count + 20, exclude_sellers=buyer_ids, offset=20_000)

    client = Client(enforce_csrf_checks=True)  # one handler, as a server's worker

    def post(n: int, pk: int) -> None:
        _, session_key, token = sessions[n % len(sessions)]
        client.cookies.clear()
        client.cookies["sessionid"] = session_key
        client.cookies["csrftoken"] = token
        response = client.post(
            f"/listings/{pk}/buy/", {"csrfmiddlewaretoken": token}, HTTP_ACCEPT_LANGUAGE="en"
        )
        assert response.status_code == 302 and "/pay/" in response["Location"], response

    for n, pk in enumerate(ids[:20]):  # warm: connections, sessions in the cache
        post(n, pk)
    profiler = cProfile.Profile() if profile else None
    sql_s = [0.0]

    def timed(execute, sql, params, many, context):  # the SQL's wall clock, unrounded
        begun = time.perf_counter()
        try:
            return execute(sql, params, many, context)
        finally:
            sql_s[0] += time.perf_counter() - begun

    started, cpu = time.perf_counter(), time.process_time()
    with CaptureQueriesContext(connection) as queries, connection.execute_wrapper(timed):
        if profiler:
            profiler.enable()
        for n, pk in enumerate(ids[20:]):
            post(n, pk)
        if profiler:
            profiler.disable()
    ms = (time.perf_counter() - started) / max(len(ids) - 20, 1) * 1000
    cpu_ms = (time.process_time() - cpu) / max(len(ids) - 20, 1) * 1000
    kinds = collections.Counter(
        " ".join(q["sql"].split()[:3])
        if q["sql"].startswith(("SELECT", "UPDATE"))
        else q["sql"][:24]
        for q in queries.captured_queries
    )
    per = max(len(ids) - 20, 1)
    sql_ms = sql_s[0] / per * 1000
    print(
        f"checkout: {ms:.2f} ms per request (CPU {cpu_ms:.2f}, SQL {sql_ms:.2f}), "
        f"{len(queries.captured_queries) / per:.1f} statements"
    )
    for kind, n in kinds.most_common():
        print(f"  {n / per:5.2f}  {kind}")
    if profiler:
        pstats.Stats(profiler).sort_stats("cumulative").print_stats(150)


def _timed(client, paths: list[str], *, warm: int = 20) -> dict:
    """Per request over ``paths`` (after ``warm`` requests not timed), milliseconds:
    wall clock, this process's CPU (Python: what a worker spends, whatever else
    the shared host runs) and SQL (PostgreSQL's answers as the client waits)."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    for path in paths[:warm]:
        client.get(path)
    n = max(len(paths) - warm, 1)
    started, cpu = time.perf_counter(), time.process_time()
    with CaptureQueriesContext(connection) as queries:
        for path in paths[warm:]:
            response = client.get(path)
            assert response.status_code == 200, (path, response.status_code)
    wall = (time.perf_counter() - started) / n * 1000
    cpu = (time.process_time() - cpu) / n * 1000
    sql = sum(float(q["time"]) for q in queries.captured_queries) / n * 1000
    return {
        "wall_ms": round(wall, 2),
        "cpu_ms": round(cpu, 2),
        "sql_ms": round(sql, 2),
        "statements": round(len(queries.captured_queries) / n, 2),
    }


def realistic_paths(requests: int = 400) -> dict[str, list[str]]:
    """The three realistic scenarios' requests, as ``make bench`` draws them."""
    import random

    from bench import traffic

    rng = random.Random(17)
    ids = traffic.all_published_ids()
    return {
        "catalogue": rng.sample(traffic.catalogue_paths(), requests),
        "search": traffic.zipf_sample(
            traffic.search_paths(traffic.search_queries()), requests, seed=17
        ),
        "listing": traffic.listing_paths(rng.sample(ids, min(requests, len(ids)))),
    }


def realistic(cache: bool = False, profile: str = "", requests: int = 400) -> dict:
    import cProfile
    import pstats

    from django.conf import settings
    from django.core.cache import cache as django_cache

    from listings import search

    settings.FRAGMENT_CACHE = cache
    django_cache.clear()
    search.warm_up()  # as marketplace.wsgi does when a worker starts
    client = _client()
    out = {}
    for name, paths in realistic_paths(requests).items():
        profiler = cProfile.Profile() if profile == name else None
        if profiler:
            profiler.enable()
        out[name] = r = _timed(client, paths)
        if profiler:
            profiler.disable()
            pstats.Stats(profiler).sort_stats("tottime").print_stats(40)
            pstats.Stats(profiler).sort_stats("cumulative").print_stats(80)
        print(
            f"{name:<10} cache {'on ' if cache else 'off'}  wall {r['wall_ms']:6.2f}  "
            f"CPU {r['cpu_ms']:6.2f}  SQL {r['sql_ms']:6.2f} ms per request, "
            f"{r['statements']} statements"
        )
    return out


def main() -> None:
    import django

    parser = argparse.ArgumentParser()
    parser.add_argument("view", choices=["catalogue", "detail", "checkout", "realistic"])
    parser.add_argument(
        "--profile", nargs="?", const="checkout", default="", help="cProfile a scenario"
    )
    parser.add_argument("--cache", choices=["on", "off"], default="off")
    parser.add_argument("--requests", type=int, default=400)
    args = parser.parse_args()
    django.setup()
    if args.view == "realistic":
        realistic(cache=args.cache == "on", profile=args.profile, requests=args.requests)
    elif args.view == "checkout":
        checkout(profile=bool(args.profile))
    else:
        {"catalogue": catalogue, "detail": detail}[args.view]()


if __name__ == "__main__":
    main()
