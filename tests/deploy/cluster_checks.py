"""The topology test's verdicts, read from the database, the broker, the e-mail
folders and the beats' JSON logs after the load (the test's process has the
cluster's settings, with a direct database connection)."""

from __future__ import annotations

import json
import time
from datetime import datetime
from pathlib import Path

import urllib3
from django.conf import settings
from django.db.models import Count, Sum
from django.utils import timezone

# The outbox job's task name, as beat logs it ("Sending due task <entry> (<task>)").
EMAIL_JOB = "marketplace.send_due_emails"


def _broker():
    import redis

    return redis.Redis.from_url(settings.CELERY_BROKER_URL)


def email_baseline() -> dict:
    from escrow.models import Notification

    return {"sent": Notification.objects.filter(email_state="sent").count()}


def wait_for_drain(*, timeout: float) -> dict:
    """Until the outbox is empty, the broker holds no task (queued or unacked) and
    every provider event was handled; a killed worker's tasks come back after the
    visibility timeout."""
    from escrow.models import Notification, SimEvent, WebhookEvent

    started = time.monotonic()
    state: dict = {}
    while True:
        now = timezone.now()
        pending = Notification.objects.filter(email_state="pending")
        broker = _broker()
        handled = set(
            WebhookEvent.objects.filter(processed_at__isnull=False).values_list(
                "event_id", flat=True
            )
        )
        state = {
            "pending_emails": pending.count(),
            "claimed_by_a_stopped_worker": pending.filter(
                email_due_at__gt=now + timezone.timedelta(seconds=60)
            ).count(),
            "queued_tasks": broker.llen("celery"),
            "unacked_tasks": broker.hlen("unacked"),
            "unhandled_events": SimEvent.objects.exclude(pk__in=handled).count(),
        }
        done = not any(
            state[k]
            for k in ("pending_emails", "queued_tasks", "unacked_tasks", "unhandled_events")
        )
        if done or time.monotonic() - started > timeout:
            return {"ok": done, "seconds": round(time.monotonic() - started, 1), **state}
        time.sleep(1)


def check_emails(baseline: dict, folders: list[Path]) -> dict:
    """Every e-mail the outbox marked sent is in the mail folders exactly once."""
    from escrow.models import Notification

    messages = 0
    for folder in folders:
        for path in folder.glob("*.log") if folder.exists() else []:
            messages += sum(
                1
                for line in path.read_text(errors="replace").splitlines()
                if line.startswith("Message-ID:")
            )
    sent = Notification.objects.filter(email_state="sent").count() - baseline["sent"]
    failed = Notification.objects.filter(email_state="failed").count()
    pending = Notification.objects.filter(email_state="pending").count()
    problems = []
    if messages != sent:
        problems.append(f"e-mails written {messages} != outbox rows sent {sent}")
    if pending:
        problems.append(f"{pending} e-mails still pending (lost?)")
    if failed:
        problems.append(f"{failed} e-mails given up")
    return {
        "sent": sent,
        "messages_written": messages,
        "pending": pending,
        "failed": failed,
        "problems": problems,
    }


def check_books(*, port: int, deals: list[int]) -> dict:
    """Every ledger transaction balances; each paid deal is funded once, its escrow
    holding what the buyer paid; our books match the (simulated) provider's; every
    provider event replayed through the proxy's webhook is accepted and changes
    nothing."""
    from escrow.gateways import get_gateway
    from escrow.gateways.simulated import sign
    from escrow.models import Account, Deal, DealEvent, LedgerEntry, SimEvent
    from escrow.reconciliation import compare

    problems = []
    unbalanced = (
        LedgerEntry.objects.values("transaction_id")
        .annotate(total=Sum("amount"))
        .exclude(total=0)
        .count()
    )
    if unbalanced:
        problems.append(f"{unbalanced} unbalanced ledger transactions")
    funded_twice = (
        DealEvent.objects.filter(to_state=Deal.State.FUNDED)
        .values("deal_id")
        .annotate(n=Count("id"))
        .filter(n__gt=1)
        .count()
    )
    if funded_twice:
        problems.append(f"{funded_twice} deals funded twice")
    funded = Deal.objects.filter(pk__in=deals)
    not_funded = funded.exclude(state=Deal.State.FUNDED).count()
    if not_funded:
        problems.append(f"{not_funded} paid deals are not FUNDED")
    held = dict(
        LedgerEntry.objects.filter(account=Account.ESCROW_HELD, deal_id__in=deals)
        .values_list("deal_id")
        .annotate(total=Sum("amount"))
        .order_by()
    )
    wrong = [d.pk for d in funded if -held.get(d.pk, 0) != d.total]
    if wrong:
        problems.append(f"escrow does not hold what was paid for deals {wrong[:10]}")
    now = timezone.now()
    gateway = get_gateway()
    differences, ours, theirs = compare(
        gateway.provider_records(now=now),
        provider=gateway.name,
        now=now + timezone.timedelta(days=1),
    )
    if differences:
        problems.append(f"reconciliation differences: {list(differences)[:10]}")

    entries_before = LedgerEntry.objects.count()
    pool = urllib3.HTTPConnectionPool("127.0.0.1", port, retries=3, timeout=10)
    statuses: dict[int, int] = {}
    for event in SimEvent.objects.all():
        payload = event.payload.encode()
        answer = pool.urlopen(
            "POST",
            "/webhooks/stripe/",
            body=payload,
            headers={
                "Host": "127.0.0.1",
                "Stripe-Signature": sign(payload),
                "Content-Type": "application/json",
            },
        )
        statuses[answer.status] = statuses.get(answer.status, 0) + 1
    if set(statuses) - {200}:
        problems.append(f"webhook replays answered {statuses}")
    if LedgerEntry.objects.count() != entries_before:
        problems.append("a replayed webhook moved money")
    escrow_total = -(
        LedgerEntry.objects.filter(account=Account.ESCROW_HELD).aggregate(t=Sum("amount"))["t"] or 0
    )
    return {
        "deals_paid_by_clients": len(deals),
        "funded": funded.count() - not_funded,
        "escrow_held_minor_units": escrow_total,
        "ledger_transactions_unbalanced": unbalanced,
        "reconciliation_differences": len(differences),
        "webhook_replays": statuses,
        "problems": problems,
    }


def _sends(path: Path) -> list[float]:
    out = []
    if not path.exists():
        return out
    for line in path.read_text(errors="replace").splitlines():
        if not line.startswith("{"):
            continue
        try:
            record = json.loads(line)
        except ValueError:
            continue
        if "Sending due task" in record.get("message", "") and EMAIL_JOB in record["message"]:
            out.append(datetime.fromisoformat(record["time"]).timestamp())
    return out


def check_schedule(logs: list[Path], *, killed_beat_at: float, lock_seconds: int) -> dict:
    """The e-mail sweep (every EMAIL_OUTBOX_SECONDS) as the beats sent it: never two
    at once (two beats scheduling), no gap longer than the interval, except one
    failover gap of at most the beat lock's lifetime."""
    interval = settings.EMAIL_OUTBOX_SECONDS
    per_beat = {path.stem: _sends(path) for path in logs}
    times = sorted(t for sends in per_beat.values() for t in sends)
    gaps = [b - a for a, b in zip(times, times[1:], strict=False)]
    problems = []
    doubled = sum(1 for gap in gaps if gap < interval / 2)
    if doubled:
        problems.append(f"the e-mail job was sent twice at once {doubled} times")
    failover = [
        b - a
        for a, b in zip(times, times[1:], strict=False)
        if a <= killed_beat_at + 1 and b >= killed_beat_at
    ]
    failover_gap = max(failover, default=0.0)
    others = [g for g in gaps if g not in failover]
    slack = 3.0  # a beat's loop and a loaded 2-core machine
    if others and max(others) > interval + slack:
        problems.append(f"the e-mail job skipped: a gap of {max(others):.1f} s")
    if failover_gap > lock_seconds + interval + slack:
        problems.append(f"failover took {failover_gap:.1f} s (lock {lock_seconds} s)")
    if len([b for b, s in per_beat.items() if s]) < 2:
        problems.append(f"only one beat ever scheduled: {list(per_beat)}")
    return {
        "email_job_sends": len(times),
        "by_beat": {name: len(sends) for name, sends in per_beat.items()},
        "sent_twice_at_once": doubled,
        "max_gap_s": round(max(others, default=0.0), 1),
        "failover_gap_s": round(failover_gap, 1),
        "problems": problems,
    }
