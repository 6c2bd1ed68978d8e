"""Retention of handover credentials (data protection).

The login, password, recovery codes and notes a seller handed over are needed only
while the deal can still be inspected or disputed. ``CREDENTIAL_RETENTION_DAYS``
(default 30) after the deal ended (released, refunded or split: ``Deal.closed_at``)
they are blanked; the handover row, the deal, its events and its ledger entries stay.
The job is ``kernel.retention``'s walk: idempotent, in batches, a row locked
elsewhere (``SKIP LOCKED``) left for the next run.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from celery import shared_task
from django.conf import settings

from kernel.jobs import task_now
from kernel.retention import BATCH, erase_expired

from .models import Deal, Handover

logger = logging.getLogger(__name__)

SECRET_FIELDS = ("login", "password", "recovery", "notes")
ENDED = (Deal.State.RELEASED, Deal.State.REFUNDED, Deal.State.SPLIT)


def expired_credentials(now: datetime):
    cutoff = now - timedelta(days=settings.CREDENTIAL_RETENTION_DAYS)
    return Handover.objects.filter(
        deal__state__in=ENDED, deal__closed_at__isnull=False, deal__closed_at__lte=cutoff
    ).exclude(login="", password="", recovery="", notes="")


def erase_handover(handover: Handover) -> None:
    """Blank the secrets of ``handover``; caller holds its row lock."""
    for field in SECRET_FIELDS:
        setattr(handover, field, "")
    handover.save(update_fields=list(SECRET_FIELDS))


def erase_expired_credentials(*, now: datetime, batch_size: int = BATCH) -> int:
    """Blank the credentials of every deal that ended at least
    ``CREDENTIAL_RETENTION_DAYS`` before ``now``; returns how many were erased."""
    from accounts.services import record_audit

    def erase(handover: Handover) -> None:
        erase_handover(handover)
        record_audit(
            actor=None,
            action="escrow.credentials_erased",
            target=handover.deal,
            reason=f"retention: {settings.CREDENTIAL_RETENTION_DAYS} days after the deal ended",
        )

    return erase_expired(
        expired=lambda: expired_credentials(now),
        erase=erase,
        batch_size=batch_size,
        log_message="retention: credentials erased for %s deals",
    )


@shared_task(name="escrow.erase_expired_credentials")
def erase_expired_credentials_task(now: str | None = None) -> int:
    """Beat: daily. ``now`` (ISO 8601) lets a test or an operator pick the instant."""
    return erase_expired_credentials(now=task_now(now))
