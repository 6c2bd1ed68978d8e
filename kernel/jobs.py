"""Enqueueing a job by its task name, after commit.

A service must not import the tasks module that wraps it (the tasks import the
services: a cycle). It names the task instead; Celery routes by name.
"""

from __future__ import annotations

import logging

from celery import current_app
from django.db import transaction

logger = logging.getLogger(__name__)


def enqueue_on_commit(name: str, *args, **kwargs) -> None:
    """Send the task registered as ``name`` once the current transaction commits (at
    once outside one). A broker that is down is logged, not raised into the request
    or job whose work has committed (``robust``): every job's work is also found by a
    beat job that scans the database."""

    def enqueue():  # a named function: Django logs a robust callback's __qualname__
        current_app.send_task(name, args=args, kwargs=kwargs)

    transaction.on_commit(enqueue, robust=True)
