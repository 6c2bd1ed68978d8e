"""The outbox job (``kernel.outbox``): every app's e-mails go out here."""

from __future__ import annotations

import time

from celery import shared_task
from django.conf import settings
from django.utils.dateparse import parse_datetime

#: Rows per outbox per chunk.
CHUNK = 200


def send_due(now: str | None = None) -> int:
    """Chunks of every outbox until nothing is due or ``EMAIL_BUDGET_SECONDS`` have
    passed (checked before every e-mail; what is left is given back). Returns how
    many e-mails this run sent."""
    from kernel import outbox

    moment = parse_datetime(now) if now else None
    deadline = time.monotonic() + settings.EMAIL_BUDGET_SECONDS
    total = 0
    while True:
        busy = False
        for box in outbox.outboxes():
            sent, failed = outbox.sweep(box, now=moment, limit=CHUNK, deadline=deadline)
            total += sent
            busy = busy or sent + failed >= CHUNK
        if not busy or time.monotonic() > deadline:
            return total


@shared_task(name="marketplace.send_due_emails")
def send_due_emails(now: str | None = None) -> int:
    """On beat every ``EMAIL_OUTBOX_SECONDS``; several at once take different rows;
    beat's message expires after one interval, so a stalled worker does not pile
    sweeps up."""
    return send_due(now)
