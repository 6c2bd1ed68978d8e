"""The checkout under load, a few rounds against the ceiling of the same server, with
the CPU each request cost in gunicorn's workers and in PostgreSQL:

    python -m bench.checkout_load --rounds 3 --duration 8 [--buyers 4000] [--buyers 64]

Against the database and environment it runs in (a seeded database under the bench's
production environment, as for ``bench.inprocess``; set ``HANDOFF_BENCH_ENDPOINTS=1``
for the ceiling page). Each round measures the ceiling, then the checkout POST on
distinct listings for each ``--buyers`` count in turn, so two set-ups are compared on
one server and one host state; the full ``make bench`` runs each scenario once per
cache setting. Opens real deals: the published listings it takes are used up.
"""

from __future__ import annotations

import argparse
import os
import random
from pathlib import Path

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "marketplace.settings")


def cpu_seconds() -> dict[tuple[str, str], float]:
    """CPU seconds so far of every process, keyed by (kind, pid)."""
    tick = os.sysconf("SC_CLK_TCK")
    out = {}
    for pid in os.listdir("/proc"):
        if not pid.isdigit():
            continue
        try:
            with open(f"/proc/{pid}/stat") as f:
                stat = f.read()
        except OSError:
            continue
        name = stat[stat.index("(") + 1 : stat.rindex(")")]
        fields = stat[stat.rindex(")") + 2 :].split()
        kind = next(
            (k for k in ("postgres", "gunicorn", "redis", "wrk") if name.startswith(k)), "other"
        )
        out[(kind, pid)] = (int(fields[11]) + int(fields[12])) / tick
    return out


def cpu_per_request(before: dict, after: dict, requests: int) -> dict[str, float]:
    """Milliseconds of CPU per request by kind of process."""
    spent: dict[str, float] = {}
    for key, seconds in after.items():
        spent[key[0]] = spent.get(key[0], 0.0) + seconds - before.get(key, 0.0)
    return {kind: round(s / max(requests, 1) * 1000, 3) for kind, s in sorted(spent.items())}


def main() -> None:
    import django

    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--duration", type=float, default=8)
    parser.add_argument("--buyers", type=int, action="append")
    parser.add_argument("--cache", action="store_true", help="fragment cache on")
    args = parser.parse_args()
    django.setup()

    import tempfile

    from django.utils import timezone

    from bench import fixtures
    from bench.run import write_paths
    from bench.web import Site, wrk

    work = Path(os.environ.get("BENCH_WORKDIR") or tempfile.mkdtemp(prefix="handoff-load-"))
    work.mkdir(parents=True, exist_ok=True)
    counts = args.buyers or [4_000]
    buyer_ids = fixtures.ensure_buyers(max(counts), timezone.now())
    sessions = {n: fixtures.signed_in(buyer_ids[:n]) for n in counts}
    per_pass = 6_000  # more than a pass makes on a 2-core machine
    pool = fixtures.published_ids(
        per_pass * len(counts) * args.rounds, exclude_sellers=buyer_ids, offset=5_000
    )
    random.Random(7).shuffle(pool)
    ceiling = write_paths("ceiling", ["/_bench/ceiling"], work)
    env = {"HANDOFF_FRAGMENT_CACHE": "1" if args.cache else "0"}
    with Site(extra_env=env, log=work / "gunicorn.log") as site:
        wrk(site.url, script="paths.lua", duration=2, env={"BENCH_PATHS": ceiling})
        for _ in range(args.rounds):
            before = cpu_seconds()
            result = wrk(
                site.url, script="paths.lua", duration=args.duration, env={"BENCH_PATHS": ceiling}
            )
            top = result["rps"]
            line = [
                f"ceiling {top:.0f} req/s "
                f"{cpu_per_request(before, cpu_seconds(), result['requests'])}"
            ]
            for n in counts:
                chunk, pool = pool[:per_pass], pool[per_pass:]
                if not chunk:
                    raise SystemExit("not enough published listings left; seed again")
                file = work / "checkout.txt"
                file.write_text(
                    "".join(
                        f"{pk}\t{sessions[n][i % n][1]}\t{sessions[n][i % n][2]}\n"
                        for i, pk in enumerate(chunk)
                    )
                )
                before = cpu_seconds()
                result = wrk(
                    site.url,
                    script="checkout.lua",
                    duration=args.duration,
                    env={"BENCH_CHECKOUT": str(file)},
                )
                line.append(
                    f"{n} buyers: checkout {result['rps']:.0f} req/s ({result['rps'] / top:.3f}) "
                    f"{cpu_per_request(before, cpu_seconds(), result['requests'])}"
                )
            print(" | ".join(line), flush=True)


if __name__ == "__main__":
    main()
