"""Enqueue a Celery task by its registered name once the current transaction commits.

Services and gateways name the task instead of importing ``escrow.tasks``: the tasks
module sits above them (it imports the services), so importing it from below would
make a cycle. Like ``Task.delay_on_commit``, a broker outage at commit time is
logged, never raised into the request or job whose work has already committed:
every step enqueued here is also found by a beat job that scans the database."""

from __future__ import annotations

from celery import current_app
from django.db import transaction


def enqueue(task_name: str, *args) -> None:
    """Send ``task_name(*args)`` after commit (at once outside a transaction)."""

    def send_task():  # a named function: Django logs a robust callback's __qualname__
        return current_app.send_task(task_name, args=list(args))

    transaction.on_commit(send_task, robust=True)
