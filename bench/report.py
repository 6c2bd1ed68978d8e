"""Markdown tables of one results file, for docs/performance.md.

``python -m bench.report bench/results/<date>.json``
"""

from __future__ import annotations

import json
import sys

from bench.explain import count_statement, rows_statement
from bench.run import TARGETS, TARGETS_CACHE_OFF


def pages(result: dict) -> str:
    out = [
        "| scenario | cache | req/s | ratio to ceiling | target | p50 ms | p95 ms | p99 ms |",
        "| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    modes = result.get("pages", {})
    names = list(next(iter(modes.values()), {}))
    for name in names:
        for mode, label in (("cache_off", "off"), ("cache_on", "on")):
            r = modes.get(mode, {}).get(name)
            if r is None or "rps" not in r:
                continue
            targets = TARGETS_CACHE_OFF if mode == "cache_off" else TARGETS
            target = f"≥ {targets[name]}" if name in targets else ""
            out.append(
                f"| {name} | {label} | {r['rps']:,.0f} | {r['ratio_to_ceiling']:.3f} | {target} "
                f"| {r['p50_ms']:.1f} | {r['p95_ms']:.1f} | {r['p99_ms']:.1f} |"
            )
    return "\n".join(out)


def growth(result: dict) -> str:
    names = ("catalogue", "search_en", "search_zh", "catalogue_space", "search_vocab")
    out = [
        "| listings | " + " | ".join(f"{n} p50 / p99 ms" for n in names) + " |",
        "| ---: |" + " ---: |" * len(names),
    ]
    for size, step in result.get("growth", {}).items():
        cells = [
            f"{step[n]['p50_ms']:.0f} / {step[n]['p99_ms']:.0f}" if n in step else "" for n in names
        ]
        out.append(f"| {int(size):,} | " + " | ".join(cells) + " |")
    return "\n".join(out)


def explain(result: dict, size: str) -> str:
    step = result.get("growth", {}).get(size)
    if not step:
        return "(no growth step at this size in this run)"
    out = [
        "| filter | rows query ms | rows: indexes used | rows: seq scans | capped count ms |",
        "| --- | ---: | --- | --- | ---: |",
    ]
    for name, ex in step["explain"].items():
        rows, count = rows_statement(ex), count_statement(ex)
        out.append(
            f"| {name} | {rows.get('execution_ms')} | {', '.join(rows.get('indexes', []))} "
            f"| {', '.join(rows.get('seq_scans', [])) or '—'} | {count.get('execution_ms', '—')} |"
        )
    return "\n".join(out)


def jobs(result: dict) -> str:
    out = [
        "| workers | release deals/s | queries/deal | payouts/s | queries/payout | books |",
        "| ---: | ---: | ---: | ---: | ---: | --- |",
    ]
    for r in result.get("jobs", {}).get("release", []):
        out.append(
            f"| {r['workers']} | {r['release']['deals_per_s']} | {r['release']['queries_per_deal']} "
            f"| {r['payouts']['deals_per_s']} | {r['payouts']['queries_per_deal']} "
            f"| {'balanced' if r['check']['ok'] else 'NOT OK'} |"
        )
    det = result.get("jobs", {}).get("detectors")
    if det:
        out.append("")
        out.append(
            f"Detectors: {det['messages']:,} messages in {det['seconds']} s = "
            f"**{det['messages_per_s']:,} messages/s** on one core "
            f"({det['messages_flagged']:,} flagged, {det['findings']:,} findings)."
        )
    return "\n".join(out)


def main() -> None:
    result = json.loads(open(sys.argv[1]).read())  # noqa: SIM115
    for title, text in (
        ("pages", pages(result)),
        ("growth", growth(result)),
        ("explain 100k", explain(result, "100000")),
        ("jobs", jobs(result)),
    ):
        print(f"### {title}\n\n{text}\n")


if __name__ == "__main__":
    main()
