"""Jobs: enqueueing one by its task name after commit, and the instant a job
runs for.

A service must not import the tasks module that wraps it (the tasks import the
services: a cycle). It names the task instead; Celery routes by name.
"""

from __future__ import annotations

import logging
from datetime import datetime

from celery import current_app
from django.db import transaction
from django.utils import timezone

logger = logging.getLogger(__name__)


def enqueue_on_commit(name: str, *args, **kwargs) -> None:
    """Send the task registered as ``name`` once the current transaction commits (at
    once outside one). A broker that is down is logged, not raised into the request
    or job whose work has committed (``robust``): every job's work is also found by a
    beat job that scans the database."""

    def enqueue():  # a named function: Django logs a robust callback's __qualname__
        current_app.send_task(name, args=args, kwargs=kwargs)

    transaction.on_commit(enqueue, robust=True)


def task_now(now: str | None) -> datetime:
    """The instant a job runs for: ``now`` as a task received it (ISO 8601, so a
    test or an operator can pick it; without a zone, the site's), else the
    present."""
    if not now:
        return timezone.now()
    moment = datetime.fromisoformat(now)
    return timezone.make_aware(moment) if timezone.is_naive(moment) else moment
