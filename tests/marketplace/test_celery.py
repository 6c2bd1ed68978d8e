"""The job runner: a real worker, a real broker, and the beat schedule."""

from __future__ import annotations

import time
from datetime import timedelta

import pytest
from django.conf import settings
from django.contrib.sessions.models import Session
from django.db import transaction
from django.utils import timezone

from accounts.tasks import clear_expired_sessions
from marketplace.celery import app

pytestmark = pytest.mark.worker


def _wait_for(predicate, timeout=15.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.1)
    return predicate()


def _make_session(key: str, expired: bool) -> None:
    offset = timedelta(days=-1 if expired else 1)
    Session.objects.create(
        session_key=key, session_data="e30=", expire_date=timezone.now() + offset
    )


def test_task_sent_through_broker_runs_in_worker_and_writes_to_postgres(celery_worker):
    _make_session("expired-session-aaaaaaaaaaaaaaaa", expired=True)
    _make_session("live-session-bbbbbbbbbbbbbbbbbbbb", expired=False)

    clear_expired_sessions.delay()

    assert _wait_for(lambda: not Session.objects.filter(session_key__startswith="expired").exists())
    assert Session.objects.filter(session_key__startswith="live").exists()


def test_task_enqueued_in_rolled_back_transaction_never_runs(celery_worker):
    _make_session("expired-session-cccccccccccccccc", expired=True)

    class Rollback(Exception):
        pass

    with pytest.raises(Rollback), transaction.atomic():
        clear_expired_sessions.delay_on_commit()
        raise Rollback

    # Give a wrongly enqueued task time to run: the expired session must survive.
    time.sleep(2)
    assert Session.objects.filter(session_key__startswith="expired").exists()

    # The same call in a transaction that commits does run: the worker is consuming,
    # so the survival above is the rollback's doing.
    with transaction.atomic():
        clear_expired_sessions.delay_on_commit()
    assert _wait_for(lambda: not Session.objects.filter(session_key__startswith="expired").exists())


def test_every_beat_entry_names_a_registered_task():
    app.loader.import_default_modules()
    assert settings.CELERY_BEAT_SCHEDULE, "the beat schedule is empty"
    for name, entry in settings.CELERY_BEAT_SCHEDULE.items():
        assert entry["task"] in app.tasks, (
            f"beat entry {name!r} names unknown task {entry['task']!r}"
        )


def test_celery_uses_json_and_time_limits():
    assert app.conf.task_serializer == "json"
    assert app.conf.accept_content == ["json"]
    assert app.conf.task_time_limit and app.conf.task_soft_time_limit
    assert not app.conf.task_always_eager
