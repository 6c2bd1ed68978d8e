"""/healthz reports the Celery processes: real workers and beats (celery-redbeat on
real Redis) started as an operator starts them; 503 when the beat or every worker
is gone; two beats, one schedules, the other takes over when it is stopped."""

from __future__ import annotations

import signal

import pytest
import redis
from django.conf import settings
from django.test import override_settings

from .procs import base_env, celery, stop, wait_for

pytestmark = [pytest.mark.worker, pytest.mark.django_db]


@pytest.fixture
def broker_db(tmp_path):
    """A Redis database of its own, so the session's worker and its heartbeat (in
    database 0) do not count here."""
    if not settings.BROKER_IS_REDIS:
        pytest.skip("needs a Redis broker (make test)")
    url = settings.CELERY_BROKER_URL.rsplit("/", 1)[0] + "/7"
    client = redis.Redis.from_url(url)
    client.flushdb()
    yield url
    client.flushdb()


def _env(url, tmp_path, **extra):
    return base_env(
        BROKER_URL=url,
        CELERY_BROKER_URL="",
        HANDOFF_VAR_DIR=str(tmp_path),
        HEARTBEAT_SECONDS="0.5",
        BEAT_LOCK_SECONDS="3",
        **extra,
    )


def _healthz(client, url):
    with override_settings(
        CELERY_BROKER_URL=url, HEALTHZ_HEARTBEATS=True, HEARTBEAT_STALE_SECONDS=3
    ):
        response = client.get("/healthz")
    return response.status_code, response.json()


def _log_has(path, text):
    return path.exists() and text in path.read_text(errors="replace")


def test_healthz_turns_503_when_beat_or_every_worker_is_gone(client, broker_db, tmp_path):
    env = _env(broker_db, tmp_path)
    # Consumes a queue nobody sends to: alive, but runs no job against this database.
    worker = celery(
        "worker",
        "--pool=solo",
        "-Q",
        "probe",
        "-n",
        "probe1@%h",
        env=env,
        log=tmp_path / "worker.log",
    )
    beat = celery("beat", env=env, log=tmp_path / "beat.log")
    try:
        status, body = wait_for(
            lambda: (r := _healthz(client, broker_db))[0] == 200 and r,
            timeout=90,
            what="healthz 200 with a worker and a beat",
        )
        assert body["checks"]["beat"]["ok"] and body["checks"]["workers"]["alive"] == 1
        assert "probe1" not in str(body)  # host names stay off the public page

        stop(beat, signal.SIGKILL)  # a lost node: nothing cleans up after it
        status, body = wait_for(
            lambda: (r := _healthz(client, broker_db))[0] == 503 and r,
            timeout=30,
            what="healthz 503 without beat",
        )
        assert body["checks"]["beat"]["ok"] is False
        assert body["checks"]["workers"]["ok"] is True
        assert body["checks"]["database"]["ok"] and body["checks"]["broker"]["ok"]

        beat = celery("beat", env=env, log=tmp_path / "beat2.log")
        wait_for(lambda: _healthz(client, broker_db)[0] == 200, timeout=90, what="beat back")

        stop(worker, signal.SIGKILL)
        status, body = wait_for(
            lambda: (r := _healthz(client, broker_db))[0] == 503 and r,
            timeout=30,
            what="healthz 503 without workers",
        )
        assert body["checks"]["workers"] == {"ok": False, "alive": 0}
        assert body["checks"]["beat"]["ok"] is True
    finally:
        stop(beat)
        stop(worker)


def test_two_beats_one_schedules_and_the_other_takes_over(client, broker_db, tmp_path):
    env = _env(broker_db, tmp_path)
    logs = [tmp_path / "beat-a.log", tmp_path / "beat-b.log"]
    beats = [celery("beat", env=env, log=logs[0])]
    try:
        wait_for(lambda: _log_has(logs[0], "Acquired lock"), timeout=60, what="first beat lock")
        beats.append(celery("beat", env=env, log=logs[1]))
        wait_for(lambda: _log_has(logs[1], "beat: Starting"), timeout=60, what="second beat")
        queue = redis.Redis.from_url(broker_db)
        wait_for(lambda: queue.llen("celery") >= 2, timeout=30, what="jobs sent")
        # The second beat waits for the lock and sends nothing meanwhile.
        assert not _log_has(logs[1], "Acquired lock")
        assert not _log_has(logs[1], "Sending due task")

        stop(beats[0], signal.SIGKILL)
        wait_for(lambda: _log_has(logs[1], "Acquired lock"), timeout=30, what="takeover")
        wait_for(lambda: _log_has(logs[1], "Sending due task"), timeout=30, what="b schedules")
        status, body = wait_for(
            lambda: (r := _healthz(client, broker_db))[1]["checks"]["beat"]["ok"] and r,
            timeout=30,
            what="the new beat's heartbeat",
        )
    finally:
        for beat in beats:
            stop(beat)
