"""Monthly transparency figures. The public page reads only the snapshots this
writes (by the scheduled job), never live counts."""

from __future__ import annotations

import statistics
from datetime import UTC, date, datetime

from django.db import transaction
from django.db.models import Count

from ..models import Appeal, Report, Sanction, TransparencySnapshot, Violation


def month_start(moment: datetime | date) -> date:
    return date(moment.year, moment.month, 1)


def _bounds(month: date) -> tuple[datetime, datetime]:
    start = datetime(month.year, month.month, 1, tzinfo=UTC)
    nxt = date(month.year + (month.month == 12), month.month % 12 + 1, 1)
    return start, datetime(nxt.year, nxt.month, 1, tzinfo=UTC)


def previous_month(month: date) -> date:
    return date(month.year - (month.month == 1), (month.month - 2) % 12 + 1, 1)


def compute_figures(month: date) -> dict:
    """The figures for one calendar month (UTC)."""
    start, end = _bounds(month)
    in_month = {"created_at__gte": start, "created_at__lt": end}

    by_source = dict.fromkeys(Report.Source.values, 0)
    for row in Report.objects.filter(**in_month).values("source").annotate(n=Count("id")):
        by_source[row["source"]] = row["n"]

    violations = Violation.objects.filter(decided_at__gte=start, decided_at__lt=end)
    by_rule = [
        {"rule": row["rule__code"], "category": row["rule__category"], "count": row["n"]}
        for row in violations.values("rule__code", "rule__category")
        .annotate(n=Count("id"))
        .order_by("rule__code")
    ]
    by_category: dict[str, int] = {}
    for row in by_rule:
        by_category[row["category"]] = by_category.get(row["category"], 0) + row["count"]

    sanctions = dict.fromkeys(Sanction.Kind.values, 0)
    for row in (
        Sanction.objects.filter(starts_at__gte=start, starts_at__lt=end)
        .values("kind")
        .annotate(n=Count("id"))
    ):
        sanctions[row["kind"]] = row["n"]

    appeals_decided = Appeal.objects.filter(decided_at__gte=start, decided_at__lt=end)
    durations = sorted(
        int((decided - created).total_seconds())
        for created, decided in Report.objects.filter(
            decided_at__gte=start, decided_at__lt=end
        ).values_list("created_at", "decided_at")
    )
    return {
        "month": f"{month:%Y-%m}",
        "reports_received": {**by_source, "total": sum(by_source.values())},
        "reports_decided": len(durations),
        "violations": {
            "total": sum(r["count"] for r in by_rule),
            "by_rule": by_rule,
            "by_category": by_category,
        },
        "sanctions": {**sanctions, "total": sum(sanctions.values())},
        "appeals": {
            "received": Appeal.objects.filter(**in_month).count(),
            "upheld": appeals_decided.filter(status=Appeal.Status.UPHELD).count(),
            "rejected": appeals_decided.filter(status=Appeal.Status.REJECTED).count(),
        },
        "reversals": Violation.objects.filter(
            overruled_at__gte=start, overruled_at__lt=end
        ).count(),
        "median_seconds_to_decision": int(statistics.median(durations)) if durations else None,
    }


def build_transparency_snapshot(*, month: date, now: datetime) -> TransparencySnapshot:
    """Write (or rewrite) the snapshot of ``month``; complete once the month is over."""
    month = month_start(month)
    _start, end = _bounds(month)
    with transaction.atomic():
        snapshot, _ = TransparencySnapshot.objects.update_or_create(
            month=month,
            defaults={"generated_at": now, "complete": now >= end, "data": compute_figures(month)},
        )
        return snapshot


def build_transparency_snapshots(*, now: datetime) -> list[TransparencySnapshot]:
    """The job: last month (final figures) and the running month so far."""
    current = month_start(now.astimezone(UTC))
    return [
        build_transparency_snapshot(month=previous_month(current), now=now),
        build_transparency_snapshot(month=current, now=now),
    ]
