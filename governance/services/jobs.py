"""The penalty jobs' work (tasks.py wraps these). Each takes ``now``, is
idempotent, and walks rows in batches with ``SKIP LOCKED`` so several workers
never do the same row twice.

Thresholds are not a job: the ladder is applied inside the decision's own
transaction (``confirm_report``), so no decision can leave a threshold unapplied.
"""

from __future__ import annotations

import hashlib
from datetime import datetime

from django.db import transaction

from ..detectors import DETECTOR_RULES, DETECTOR_VERSION, scan_text
from ..models import RescanState, Rule, Sanction, Violation
from ..registry import reportables
from . import sanctions as sx
from .reports import record_automatic_findings

BATCH = 200


def lift_expired_sanctions(*, now: datetime, batch: int = BATCH) -> int:
    """Record the end of sanctions whose ``ends_at`` has passed (``can()`` already
    stopped honouring them by the clock) and tell other apps (``sanction_lifted``,
    ``user_unbanned``). Returns how many ended."""
    total = 0
    while True:
        with transaction.atomic():
            rows = list(
                Sanction.objects.select_for_update(skip_locked=True)
                .filter(status=Sanction.Status.ACTIVE, ends_at__isnull=False, ends_at__lte=now)
                .order_by("pk")[:batch]
            )
            for sanction in rows:
                sx.end_sanction(sanction, status=Sanction.Status.ENDED, reason="expired", now=now)
        total += len(rows)
        if len(rows) < batch:
            return total


def expire_points(*, now: datetime, batch: int = BATCH) -> int:
    """Mark deductions whose 365 days have passed as restored (they already stopped
    counting by the clock; this records it for the user's history and the
    transparency figures). Returns how many were marked."""
    total = 0
    while True:
        with transaction.atomic():
            ids = list(
                Violation.objects.select_for_update(skip_locked=True)
                .filter(
                    status=Violation.Status.CONFIRMED,
                    points_expire_at__isnull=False,
                    points_expire_at__lte=now,
                    points_expired_noted=False,
                )
                .order_by("pk")
                .values_list("pk", flat=True)[:batch]
            )
            Violation.objects.filter(pk__in=ids).update(points_expired_noted=True)
        total += len(ids)
        if len(ids) < batch:
            return total


def catalogue_revision() -> str:
    """Changes whenever a detector rule's version or the detectors change."""
    versions = sorted(
        Rule.objects.filter(code__in=DETECTOR_RULES).values_list("code", "version", "is_active")
    )
    raw = f"{DETECTOR_VERSION}|{versions}"
    return hashlib.sha256(raw.encode()).hexdigest()[:32]


def rescan_content(*, now: datetime, batch: int = BATCH) -> int:
    """After a rules (or detector) change, scan every registered model's content
    again (``register_reportable(..., text=..., queryset=...)``), one batch per
    model per run, resuming from a cursor. Findings become automatic reports
    (deduplicated). Returns the number of objects scanned in this run."""
    revision = catalogue_revision()
    scanned = 0
    for entry in reportables():
        if entry.text is None or entry.queryset is None:
            continue
        label = entry.label_key
        RescanState.objects.get_or_create(model_label=label)
        with transaction.atomic():
            state = (
                RescanState.objects.select_for_update(skip_locked=True)
                .filter(model_label=label)
                .first()
            )
            if state is None or state.catalogue_revision == revision:
                continue  # another worker has it, or it is up to date
            if state.target_revision != revision:
                state.target_revision, state.last_pk = revision, ""
            qs = entry.queryset().order_by("pk")
            if state.last_pk:
                qs = qs.filter(pk__gt=entry.model._meta.pk.to_python(state.last_pk))
            objects = list(qs[:batch])
            for obj in objects:
                findings = scan_text(entry.text(obj))
                if findings:
                    record_automatic_findings(subject=obj, findings=findings, now=now)
            scanned += len(objects)
            if objects:
                state.last_pk = str(objects[-1].pk)
            if len(objects) < batch:
                state.catalogue_revision = revision
            state.updated_at = now
            state.save()
    return scanned
