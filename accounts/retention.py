"""Retention of identity documents (data protection).

The images of a verification (document photo, selfie) are needed only until a
moderator or the identity provider has decided. ``IDENTITY_DOCUMENT_RETENTION_DAYS``
(default 90) after the decision they are deleted from private storage; the row
keeps what the law and the duplicate check need (state, dates, the keyed hash and
the last 4 characters of the number). The job is ``kernel.retention``'s walk:
idempotent, in batches, a row being handled elsewhere (``SKIP LOCKED``) left for
the next run.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from celery import shared_task
from django.conf import settings
from django.db import transaction
from django.db.models import Q

from kernel.jobs import task_now
from kernel.retention import BATCH, erase_expired

from .audit import record_audit
from .models import IdentityVerification

logger = logging.getLogger(__name__)

IMAGE_FIELDS = ("document_image", "selfie_image")


def _delete_files_on_commit(storage, names: list[str]) -> None:
    def delete():
        for name in names:
            try:
                storage.delete(name)
            except OSError:  # pragma: no cover - logged for the operators, retried never
                logger.exception("retention: could not delete a private file")

    transaction.on_commit(delete)


def erase_verification_images(verification: IdentityVerification) -> list[str]:
    """Blank the image fields of ``verification`` and delete its files after commit.

    Caller holds the row lock inside a transaction and saves nothing else; returns
    the fields that were cleared (empty when there was nothing to delete)."""
    cleared: list[str] = []
    names: list[str] = []
    for field in IMAGE_FIELDS:
        file = getattr(verification, field)
        if file and file.name:
            names.append(file.name)
            setattr(verification, field, "")
            cleared.append(field)
    if cleared:
        verification.save(update_fields=cleared)
        storage = IdentityVerification._meta.get_field("document_image").storage
        _delete_files_on_commit(storage, names)
    return cleared


def expired_documents(now: datetime):
    cutoff = now - timedelta(days=settings.IDENTITY_DOCUMENT_RETENTION_DAYS)
    return (
        IdentityVerification.objects.filter(decided_at__isnull=False, decided_at__lte=cutoff)
        .exclude(state=IdentityVerification.State.PENDING)
        .filter(~Q(document_image="") | ~Q(selfie_image=""))
    )


def delete_expired_identity_documents(*, now: datetime, batch_size: int = BATCH) -> int:
    """Delete the images of every verification decided at least
    ``IDENTITY_DOCUMENT_RETENTION_DAYS`` before ``now``. Returns how many
    verifications lost their images; a second run finds nothing to do."""

    def erase(verification: IdentityVerification) -> None:
        cleared = erase_verification_images(verification)
        record_audit(
            actor=None,
            action="accounts.verification.documents_deleted",
            target=verification,
            reason=f"retention: {settings.IDENTITY_DOCUMENT_RETENTION_DAYS} days "
            "after the decision",
            after={"deleted": cleared},
        )

    return erase_expired(
        expired=lambda: expired_documents(now),
        erase=erase,
        batch_size=batch_size,
        log_message="retention: identity documents deleted for %s verifications",
    )


@shared_task(name="accounts.delete_expired_identity_documents")
def delete_expired_identity_documents_task(now: str | None = None) -> int:
    """Beat: daily. ``now`` (ISO 8601) lets a test or an operator pick the instant."""
    return delete_expired_identity_documents(now=task_now(now))
