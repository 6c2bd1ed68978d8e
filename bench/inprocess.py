"""In-process timings of single views (no load, no network): where a page's time
goes, URL by URL, before a change is measured under load by ``make bench``.

    python -m bench.inprocess catalogue   # the bench's 40 catalogue URLs
    python -m bench.inprocess detail      # 500 published listings, cache off
    python -m bench.inprocess checkout    # 300 checkout POSTs on distinct listings

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
    started = time.perf_counter()
    with CaptureQueriesContext(connection) as queries:
        if profiler:
            profiler.enable()
        for n, pk in enumerate(ids[20:]):
            post(n, pk)
        if profiler:
            profiler.disable()
    ms = (time.perf_counter() - started) / max(len(ids) - 20, 1) * 1000
    kinds = collections.Counter(
        " ".join(q["sql"].split()[:3])
        if q["sql"].startswith(("SELECT", "UPDATE"))
        else q["sql"][:24]
        for q in queries.captured_queries
    )
    per = max(len(ids) - 20, 1)
    print(
        f"checkout: {ms:.2f} ms per request, {len(queries.captured_queries) / per:.1f} statements"
    )
    for kind, n in kinds.most_common():
        print(f"  {n / per:5.2f}  {kind}")
    if profiler:
        pstats.Stats(profiler).sort_stats("cumulative").print_stats(150)


def main() -> None:
    import django

    parser = argparse.ArgumentParser()
    parser.add_argument("view", choices=["catalogue", "detail", "checkout"])
    parser.add_argument("--profile", action="store_true", help="checkout: cProfile the run")
    args = parser.parse_args()
    django.setup()
    if args.view == "checkout":
        checkout(profile=args.profile)
    else:
        {"catalogue": catalogue, "detail": detail}[args.view]()


if __name__ == "__main__":
    main()
