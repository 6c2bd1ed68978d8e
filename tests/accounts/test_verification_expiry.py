"""The expiry job: a reminder before, then the verified state is taken away."""

import datetime as dt

import pytest
from django.conf import settings
from django.core import mail

from accounts import services, tasks
from accounts.models import AuditEntry, IdentityVerification
from governance.policy import can
from tests.accounts.identity_helpers import ric, submit
from tests.factories import UserFactory
from tests.mail import outbox_sent, send_outbox

pytestmark = pytest.mark.django_db
T0 = dt.datetime(2026, 1, 10, 2, 0, tzinfo=dt.UTC)
DAY = dt.timedelta(days=1)


def _verified_user(n=0, *, now=T0):
    user = UserFactory()
    birth = dt.date(1980, 1, 1) + dt.timedelta(days=n)
    verification = submit(user, number=ric(birth), birth=birth, now=now)
    services.approve_verification(verification_id=verification.pk, actor=None, now=now)
    user.refresh_from_db()
    return user, verification


def test_verification_lasts_the_configured_period():
    user, verification = _verified_user()
    verification.refresh_from_db()
    assert verification.expires_at == T0 + dt.timedelta(days=settings.VERIFICATION_VALIDITY_DAYS)
    assert user.verified_until == verification.expires_at


def test_job_reminds_once_then_expires(django_capture_on_commit_callbacks):
    user, verification = _verified_user()
    expires = IdentityVerification.objects.get(pk=verification.pk).expires_at
    send_outbox()  # the "verified" e-mail
    mail.outbox.clear()

    with outbox_sent(), django_capture_on_commit_callbacks(execute=True):
        early = services.process_verification_expiry(now=expires - 31 * DAY)
    assert early == {"reminded": 0, "expired": 0}
    assert mail.outbox == []

    with outbox_sent(), django_capture_on_commit_callbacks(execute=True):
        counts = services.process_verification_expiry(now=expires - 29 * DAY)
    assert counts == {"reminded": 1, "expired": 0}
    assert len(mail.outbox) == 1 and "expires" in mail.outbox[0].subject.lower()
    assert "/verify/" in mail.outbox[0].body

    with outbox_sent(), django_capture_on_commit_callbacks(execute=True):
        again = services.process_verification_expiry(now=expires - 28 * DAY)
    assert again == {"reminded": 0, "expired": 0}  # idempotent: one reminder
    assert len(mail.outbox) == 1
    user.refresh_from_db()
    assert can(user, "sell")

    with outbox_sent(), django_capture_on_commit_callbacks(execute=True):
        counts = services.process_verification_expiry(now=expires)
    assert counts == {"reminded": 0, "expired": 1}
    verification.refresh_from_db()
    user.refresh_from_db()
    assert verification.state == "expired"
    assert user.verification_status == "expired" and user.verified_until is None
    assert not can(user, "sell") and not can(user, "buy")
    assert len(mail.outbox) == 2 and "expired" in mail.outbox[1].subject.lower()
    assert AuditEntry.objects.filter(action="accounts.verification.expired").count() == 1

    assert services.process_verification_expiry(now=expires + DAY) == {
        "reminded": 0,
        "expired": 0,
    }


def test_job_works_in_batches_within_a_query_budget(django_assert_max_num_queries):
    for n in range(5):
        _verified_user(n)
    expires = T0 + dt.timedelta(days=settings.VERIFICATION_VALIDITY_DAYS)
    # One outbox row per reminder, in the job's transaction.
    with django_assert_max_num_queries(25):
        assert services.process_verification_expiry(now=expires - DAY, batch_size=2) == {
            "reminded": 5,
            "expired": 0,
        }
    with django_assert_max_num_queries(60):
        counts = services.process_verification_expiry(now=expires + DAY, batch_size=2)
    assert counts == {"reminded": 0, "expired": 5}
    assert not IdentityVerification.objects.filter(state="verified").exists()


def test_renewed_user_is_not_expired_with_the_old_verification():
    user, first = _verified_user()
    expires = IdentityVerification.objects.get(pk=first.pk).expires_at
    renewal = submit(
        user, number=ric(dt.date(1980, 1, 1)), birth=dt.date(1980, 1, 1), now=expires - 5 * DAY
    )
    services.approve_verification(verification_id=renewal.pk, actor=None, now=expires - 5 * DAY)
    services.process_verification_expiry(now=expires + DAY)
    user.refresh_from_db()
    assert user.verification_status == "verified" and can(user, "sell")


def test_the_celery_task_takes_an_explicit_now():
    user, verification = _verified_user()
    expires = IdentityVerification.objects.get(pk=verification.pk).expires_at
    result = tasks.process_verification_expiry.apply(
        kwargs={"now": (expires + DAY).isoformat()}
    ).get()
    assert result == {"reminded": 0, "expired": 1}
    assert "expire-identity-verifications" in settings.CELERY_BEAT_SCHEDULE
    entry = settings.CELERY_BEAT_SCHEDULE["expire-identity-verifications"]
    assert entry["task"] == tasks.process_verification_expiry.name


@pytest.mark.worker
def test_beat_job_runs_in_a_real_worker(celery_worker):
    import time

    user, verification = _verified_user()
    expires = IdentityVerification.objects.get(pk=verification.pk).expires_at
    tasks.process_verification_expiry.delay(now=(expires + DAY).isoformat())
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        verification.refresh_from_db()
        if verification.state == "expired":
            break
        time.sleep(0.2)
    assert verification.state == "expired"
    user.refresh_from_db()
    assert not can(user, "buy")
