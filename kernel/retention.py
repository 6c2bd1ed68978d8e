"""Retention jobs (data protection): one walk for every app's "erase what is past
its retention period", so each app says only what is expired and how to erase
one row.

The walk is idempotent and works in batches by primary key; each row is erased
in its own transaction under its row lock, re-checked as still expired, and a row
being handled elsewhere (``SKIP LOCKED``) is left for the next run.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from django.db import transaction
from django.db.models import Model, QuerySet

logger = logging.getLogger(__name__)

BATCH = 200


def erase_expired(
    *,
    expired: Callable[[], QuerySet],
    erase: Callable[[Model], None],
    batch_size: int = BATCH,
    log_message: str,
) -> int:
    """Call ``erase(row)`` (inside its transaction, row locked) for every row of
    ``expired()``; returns how many were erased. ``log_message`` (with one ``%s``,
    the running count) is logged after each batch."""
    done = 0
    last_pk = 0
    while True:
        ids = list(
            expired()
            .filter(pk__gt=last_pk)
            .order_by("pk")
            .values_list("pk", flat=True)[:batch_size]
        )
        if not ids:
            return done
        last_pk = ids[-1]
        for pk in ids:
            with transaction.atomic():
                # Only the row itself is locked (the filter may join its parents).
                row = (
                    expired()
                    .select_for_update(skip_locked=True, of=("self",))
                    .filter(pk=pk)
                    .first()
                )
                if row is None:  # no longer expired, already done, or locked elsewhere
                    continue
                erase(row)
                done += 1
        logger.info(log_message, done)
