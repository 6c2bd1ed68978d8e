"""Identity-document images are deleted IDENTITY_DOCUMENT_RETENTION_DAYS after the
decision, by a job that takes ``now``, works in batches and does each row once."""

from __future__ import annotations

import datetime as dt
from datetime import timedelta

import pytest
from django.conf import settings
from django.utils import timezone

from accounts import services
from accounts.models import AuditEntry, IdentityVerification
from accounts.retention import delete_expired_identity_documents
from accounts.tasks import delete_expired_identity_documents_task
from marketplace.celery import app
from tests.factories import UserFactory

from .identity_helpers import moderator, ric, submit

pytestmark = pytest.mark.django_db


def _storage():
    return IdentityVerification._meta.get_field("document_image").storage


def test_images_are_deleted_after_the_retention_period_and_only_once(
    django_capture_on_commit_callbacks,
):
    now = timezone.now().replace(microsecond=0)
    decided = submit(UserFactory(), now=now, selfie=True)
    services.approve_verification(verification_id=decided.pk, actor=moderator(), now=now)
    pending = submit(
        UserFactory(), now=now - timedelta(days=400), number=ric(dt.date(1990, 3, 14), seq="456")
    )  # never decided: kept
    decided.refresh_from_db()
    names = [decided.document_image.name, decided.selfie_image.name]
    assert all(_storage().exists(name) for name in names)
    retention = timedelta(days=settings.IDENTITY_DOCUMENT_RETENTION_DAYS)

    assert delete_expired_identity_documents(now=now + retention - timedelta(seconds=1)) == 0
    with django_capture_on_commit_callbacks(execute=True):
        assert delete_expired_identity_documents_task(now=(now + retention).isoformat()) == 1

    decided.refresh_from_db()
    assert not decided.document_image and not decided.selfie_image
    assert not any(_storage().exists(name) for name in names)
    assert decided.state == "verified" and decided.document_last4  # the record stays
    pending.refresh_from_db()
    assert pending.document_image and _storage().exists(pending.document_image.name)
    entry = AuditEntry.objects.get(action="accounts.verification.documents_deleted")
    assert entry.target_id == str(decided.pk) and entry.actor is None
    # Idempotent: a second run (or a redelivered task) finds nothing.
    assert delete_expired_identity_documents(now=now + retention * 2) == 0


def test_the_job_works_through_more_rows_than_one_batch(django_capture_on_commit_callbacks):
    now = timezone.now().replace(microsecond=0)
    mod = moderator()
    for i in range(5):
        v = submit(UserFactory(), now=now, number=ric(dt.date(1990, 3, 14), seq=f"2{i}1"))
        services.reject_verification(verification_id=v.pk, actor=mod, reason="blurred", now=now)
    later = now + timedelta(days=settings.IDENTITY_DOCUMENT_RETENTION_DAYS)
    with django_capture_on_commit_callbacks(execute=True):
        assert delete_expired_identity_documents(now=later, batch_size=2) == 5
    assert not IdentityVerification.objects.exclude(document_image="").exists()


def test_retention_jobs_are_registered_and_scheduled():
    app.loader.import_default_modules()
    scheduled = {entry["task"] for entry in settings.CELERY_BEAT_SCHEDULE.values()}
    for name in ("accounts.delete_expired_identity_documents", "escrow.erase_expired_credentials"):
        assert name in app.tasks
        assert name in scheduled
