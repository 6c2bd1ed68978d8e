"""The instant a job runs for (kernel.jobs.task_now): every app's tasks read it
the same way."""

from __future__ import annotations

from datetime import UTC, datetime

from django.utils import timezone

from kernel.jobs import task_now


def test_a_task_reads_its_instant_with_or_without_a_zone(settings):
    assert task_now("2026-03-01T10:00:00+00:00") == datetime(2026, 3, 1, 10, tzinfo=UTC)
    naive = task_now("2026-03-01T10:00:00")
    assert timezone.is_aware(naive)
    assert naive == timezone.make_aware(datetime(2026, 3, 1, 10))
    before = timezone.now()
    assert before <= task_now(None) <= timezone.now()
    assert before <= task_now("") <= timezone.now()
