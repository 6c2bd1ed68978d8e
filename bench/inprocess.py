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
slowest SQL statement. A listing sampled at start and reserved or sold since (a
checkout run alongside) is counted and left out of the timing (``, 2 skipped (HTTP
404 ×2)`` after the figures); a 5xx stops the run.
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

    from bench import fixtures, traffic

    settings.FRAGMENT_CACHE = False
    ids = fixtures.published_ids(count + 50, exclude_sellers=[])
    r = _timed(_client(), traffic.listing_paths(ids), warm=50)
    print(
        f"detail (cache off): {r['wall_ms']:.2f} ms per request over {r['timed']} listings"
        + _skipped_note(r)
    )


def checkout(count: int = 300, profile: bool = False) -> None:
    """The checkout POST as wrk sends it (a signed-in buyer's session cookie and CSRF
    token, distinct listings): milliseconds per request and SQL statements by kind.
    Opens ``count`` real deals in the database it runs against."""
    import cProfile
    import pstats

    from django.test import Client
    from django.utils import timezone

    from bench import fixtures

    # A buyer per checkout, as in ``make bench`` (a run adds one unpaid deal to each).
    buyer_ids = fixtures.ensure_buyers(count + 20, timezone.now())
    sessions = fixtures.signed_in(buyer_ids)
    ids = fixtures.published_ids(count + 20, exclude_sellers=buyer_ids, offset=20_000)

    client = Client(enforce_csrf_checks=True)  # one handler, as a server's worker

    def post(item: tuple[int, int]):
        n, pk = item
        _, session_key, token = sessions[n % len(sessions)]
        client.cookies.clear()
        client.cookies["sessionid"] = session_key
        client.cookies["csrftoken"] = token
        return client.post(
            f"/listings/{pk}/buy/", {"csrfmiddlewaretoken": token}, HTTP_ACCEPT_LANGUAGE="en"
        )

    def opened(response) -> bool:  # a deal opened; else the listing was taken meanwhile
        return response.status_code == 302 and "/pay/" in response["Location"]

    items = list(enumerate(ids))
    profiler = cProfile.Profile() if profile else None
    if profiler:
        profiler.enable()
    r = _measure(items, post, expected=opened, warm=20)  # warm: connections, sessions
    if profiler:
        profiler.disable()
    print(
        f"checkout: {r['wall_ms']:.2f} ms per request (CPU {r['cpu_ms']:.2f}, "
        f"SQL {r['sql_exact_ms']:.2f}), {r['statements']:.1f} statements" + _skipped_note(r)
    )
    per = max(r["timed"], 1)
    for kind, n in r["kinds"].most_common():
        print(f"  {n / per:5.2f}  {kind}")
    if profiler:
        pstats.Stats(profiler).sort_stats("cumulative").print_stats(150)


def _measure(items: list, send, *, expected=None, warm: int = 0) -> dict:
    """Per request over ``items[warm:]`` (``send(item)`` makes one; the first ``warm``
    are not timed), milliseconds: wall clock, this process's CPU (Python: what a
    worker spends, whatever else the shared host runs) and SQL (PostgreSQL's answers
    as the client waits: ``sql_ms`` as Django logs them, each rounded to the
    millisecond; ``sql_exact_ms`` unrounded), statements and their kinds.

    Only answers that are ``expected`` (default: HTTP 200) are timed. Any other
    answer below 500 (a listing sampled at start and reserved or sold since, e.g.
    by a checkout run alongside) is counted in ``skipped`` by status, not timed; a
    5xx stops the run."""
    import collections

    from django.db import connection, reset_queries
    from django.test.utils import CaptureQueriesContext

    expected = expected or (lambda response: response.status_code == 200)
    totals = {"wall": 0.0, "cpu": 0.0, "sql": 0.0, "exact": 0.0}
    statements = timed = 0
    kinds: collections.Counter = collections.Counter()
    skipped: collections.Counter = collections.Counter()
    exact = [0.0]

    def clocked(execute, sql, params, many, context):  # the SQL's wall clock, unrounded
        begun = time.perf_counter()
        try:
            return execute(sql, params, many, context)
        finally:
            exact[0] += time.perf_counter() - begun

    # The debug cursor logs every statement (one request's: reset before each).
    with CaptureQueriesContext(connection), connection.execute_wrapper(clocked):
        for position, item in enumerate(items):
            reset_queries()
            exact[0] = 0.0
            started, cpu = time.perf_counter(), time.process_time()
            response = send(item)
            wall, cpu = time.perf_counter() - started, time.process_time() - cpu
            if response.status_code >= 500:
                raise RuntimeError(f"{item}: HTTP {response.status_code}")
            if position < warm:
                continue
            if not expected(response):
                skipped[response.status_code] += 1
                continue
            logged = connection.queries
            timed += 1
            totals["wall"] += wall
            totals["cpu"] += cpu
            totals["sql"] += sum(float(q["time"]) for q in logged)
            totals["exact"] += exact[0]
            statements += len(logged)
            kinds.update(
                " ".join(q["sql"].split()[:3])
                if q["sql"].startswith(("SELECT", "UPDATE"))
                else q["sql"][:24]
                for q in logged
            )
    n = max(timed, 1)
    return {
        "wall_ms": round(totals["wall"] / n * 1000, 2),
        "cpu_ms": round(totals["cpu"] / n * 1000, 2),
        "sql_ms": round(totals["sql"] / n * 1000, 2),
        "sql_exact_ms": round(totals["exact"] / n * 1000, 2),
        "statements": round(statements / n, 2),
        "timed": timed,
        "skipped": dict(skipped),
        "kinds": kinds,
    }


def _skipped_note(figures: dict) -> str:
    """``, 3 skipped (HTTP 404 ×3)`` after the figures, or nothing."""
    skipped = figures["skipped"]
    if not skipped:
        return ""
    statuses = ", ".join(f"HTTP {status} ×{n}" for status, n in sorted(skipped.items()))
    return f", {sum(skipped.values())} skipped ({statuses})"


def _timed(client, paths: list[str], *, warm: int = 20) -> dict:
    """GET ``paths`` with ``client``: ``_measure``'s figures (HTTP 200 timed)."""
    return _measure(paths, client.get, warm=warm)


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
            f"CPU {r['cpu_ms']:6.2f}  SQL {r['sql_exact_ms']:6.2f} ms per request, "
            f"{r['statements']} statements" + _skipped_note(r)
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
