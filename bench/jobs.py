"""The job side of the benchmark: the release job on N worker processes, the
ledger check after it, and the detectors over a corpus of messages.

``python -m bench.jobs release-worker --now ISO`` is one worker: it runs the
release job's loop (``escrow.tasks.release_due``: batches of
``tasks.RELEASE_BATCH`` deals through ``escrow.services.release_due_deals``),
then the due payouts through ``execute_payout``, until nothing is due, counting
its SQL statements with a connection ``execute_wrapper``, and prints one JSON line.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import re
import subprocess
import sys
import time
from collections import Counter
from datetime import datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


_STATEMENT = re.compile(
    r'^\s*(SELECT|INSERT INTO|UPDATE|DELETE FROM|SAVEPOINT|RELEASE SAVEPOINT)\b.*?(?:FROM\s+)?"?(\w+)"?',
    re.S,
)


class QueryCounter:
    """Counts statements, by verb and first table (a connection execute_wrapper)."""

    def __init__(self) -> None:
        self.count = 0
        self.kinds: Counter = Counter()

    def __call__(self, execute, sql, params, many, context):
        self.count += 1
        match = _STATEMENT.match(sql)
        if match is None:
            kind = sql.split(None, 1)[0].upper() if sql.strip() else "?"
        elif "SAVEPOINT" in match.group(1):
            kind = match.group(1)
        else:
            kind = f"{match.group(1)} {match.group(2)}"
        self.kinds[kind] += 1
        return execute(sql, params, many, context)


def release_worker(now_iso: str) -> dict:
    """One worker: the release job's loop (``escrow.tasks.release_due``, as
    ``release_after_protection`` runs it, without its trailing payout run) until
    nothing is due, then the payout job (``tasks.execute_due_payouts``) until no
    payout is due."""
    from django.db import connection

    from escrow import services, tasks

    now = datetime.fromisoformat(now_iso)
    phases = {}
    for phase in ("release", "payouts"):
        counter = QueryCounter()
        calls = done = 0
        started = time.monotonic()
        with connection.execute_wrapper(counter):
            while True:
                calls += 1
                if phase == "release":
                    released = tasks.release_due(now, budget=3600)
                    done += released
                    if not released:
                        break
                else:
                    if not services.due_payouts(now, 1):
                        break
                    done += tasks.execute_due_payouts(now=now_iso)
        phases[phase] = {
            "calls": calls,
            "counted": done,
            "queries": counter.count,
            "statements": dict(counter.kinds.most_common()),
            "seconds": round(time.monotonic() - started, 3),
        }
    return phases


def run_release(*, deal_ids: list[int], now: datetime, workers: int) -> dict:
    """Start ``workers`` processes on the due deals and wait for all of them."""
    started = time.monotonic()
    procs = [
        subprocess.Popen(
            [sys.executable, "-m", "bench.jobs", "release-worker", "--now", now.isoformat()],
            cwd=ROOT,
            env=os.environ.copy(),
            stdout=subprocess.PIPE,
            text=True,
        )
        for _ in range(workers)
    ]
    reports = []
    for proc in procs:
        out, _ = proc.communicate(timeout=1800)
        if proc.returncode != 0:
            raise RuntimeError(f"release worker failed ({proc.returncode}): {out}")
        reports.append(json.loads(out.strip().splitlines()[-1]))
    seconds = time.monotonic() - started
    n = len(deal_ids)
    result = {"workers": workers, "deals": n, "seconds": round(seconds, 2), "per_worker": reports}
    for phase in ("release", "payouts"):
        # Wall time of a phase: the slowest worker's (they run side by side).
        wall = max(r[phase]["seconds"] for r in reports)
        queries = sum(r[phase]["queries"] for r in reports)
        statements: Counter = Counter()
        for r in reports:
            statements.update(r[phase]["statements"])
        result[phase] = {
            "seconds": round(wall, 2),
            "deals_per_s": round(n / wall, 1) if wall else None,
            "queries": queries,
            "queries_per_deal": round(queries / n, 3),
            "statements_per_deal": {k: round(v / n, 4) for k, v in statements.most_common()},
        }
    result["deals_per_s"] = result["release"]["deals_per_s"]
    result["queries_per_deal"] = result["release"]["queries_per_deal"]
    result["check"] = check_release(deal_ids)
    return result


def check_release(deal_ids: list[int]) -> dict:
    """After the job: every deal RELEASED once, its listing SOLD, its payout PAID,
    the books balanced (every transaction, the whole book, and per deal nothing
    left in escrow or owed to the seller)."""
    from django.db.models import Count, Sum

    from escrow import ledger
    from escrow.models import Account, Deal, DealEvent, LedgerEntry, Payout
    from listings.models import Listing

    deals = Deal.objects.filter(pk__in=deal_ids)
    held = (
        LedgerEntry.objects.filter(deal_id__in=deal_ids, account=Account.ESCROW_HELD)
        .values("deal_id")
        .annotate(s=Sum("amount"))
        .exclude(s=0)
        .count()
    )
    owed = (
        LedgerEntry.objects.filter(deal_id__in=deal_ids, account=Account.SELLER_PAYABLE)
        .values("deal_id")
        .annotate(s=Sum("amount"))
        .exclude(s=0)
        .count()
    )
    twice = (
        DealEvent.objects.filter(deal_id__in=deal_ids, kind="released")
        .values("deal_id")
        .annotate(n=Count("id"))
        .filter(n__gt=1)
        .count()
    )
    trial = ledger.trial_balance()
    out = {
        "released": deals.filter(state=Deal.State.RELEASED).count(),
        "released_twice": twice,
        "listings_sold": Listing.objects.filter(
            pk__in=deals.values("listing_id"), state=Listing.State.SOLD
        ).count(),
        "payouts_paid": Payout.objects.filter(
            deal_id__in=deal_ids, status=Payout.Status.PAID
        ).count(),
        "unbalanced_transactions": len(ledger.unbalanced_transactions()),
        "book_sum": sum(trial.values()),
        "deals_with_escrow_left": held,
        "deals_with_payable_left": owed,
    }
    out["ok"] = (
        out["released"] == len(deal_ids)
        and out["released_twice"] == 0
        and out["listings_sold"] == len(deal_ids)
        and out["payouts_paid"] == len(deal_ids)
        and out["unbalanced_transactions"] == 0
        and out["book_sum"] == 0
        and held == 0
        and owed == 0
    )
    return out


# ----------------------------------------------------------------- detectors

_EN = [
    "Great account, {n} followers, mostly US audience, monetised since 2021.",
    "Can you hand over the 2FA codes after payment? I'm ready to buy today.",
    "Add me on WhatsApp +1 415 555 {n4} and we can do it cheaper.",
    "Follow for follow! Guaranteed income every month, never banned.",
    "Email me at seller{n}@example.com to skip the fees, pay me directly.",
    "The engagement rate is about {p}% and the audience is 70% female.",
    "Is the original email included? Also, what niche does it post in?",
    "Thanks, received the credentials, checking the login now.",
]
_ZH = [
    "账号粉丝{n}，美妆类，女性用户为主，已开通橱窗。",
    "加我微信 wx{n4} 私下交易更便宜。",
    "V信：abc{n4}，扣扣 {n}，飞机联系。",
    "一键三连求点赞，好评返现！",
    "永不封号，稳赚不赔，月入过万。",
    "请问换绑手机号需要多久？我这边随时可以验收。",
    "已经收到账号密码，正在检查登录情况，谢谢。",
    "播放量稳定，平均每条{n4}播放，互动率{p}%。",
]


def message_corpus(count: int, seed: int = 20261124) -> list[str]:
    """``count`` deal/listing messages, half English, half Chinese; about a third
    carry something a detector should find."""
    rng = random.Random(seed)
    out = []
    for i in range(count):
        template = rng.choice(_ZH if i % 2 else _EN)
        out.append(
            template.format(
                n=rng.randint(1000, 2_000_000), n4=rng.randint(1000, 9999), p=rng.randint(1, 12)
            )
        )
    return out


def run_detectors(count: int = 100_000) -> dict:
    from governance.detectors import scan_text

    corpus = message_corpus(count)
    scan_text(corpus[0])  # compiled at import; this warms caches only
    started, cpu_started = time.perf_counter(), time.process_time()
    findings = flagged = 0
    for text in corpus:
        found = scan_text(text)
        findings += len(found)
        flagged += bool(found)
    seconds = time.perf_counter() - started
    # CPU time too: on a shared host the wall clock also counts other processes
    cpu_seconds = time.process_time() - cpu_started
    return {
        "messages": count,
        "seconds": round(seconds, 3),
        "messages_per_s": round(count / seconds),
        "cpu_seconds": round(cpu_seconds, 3),
        "messages_per_cpu_s": round(count / cpu_seconds),
        "messages_flagged": flagged,
        "findings": findings,
    }


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser()
    sub = parser.add_subparsers(dest="cmd", required=True)
    worker = sub.add_parser("release-worker")
    worker.add_argument("--now", required=True)
    sub.add_parser("detectors")
    args = parser.parse_args(argv)

    import django

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "marketplace.settings")
    django.setup()
    if args.cmd == "release-worker":
        print(json.dumps(release_worker(args.now)))
    else:
        print(json.dumps(run_detectors()))


if __name__ == "__main__":
    main()
