"""Heartbeats on the embedded file broker (make run: one machine, no Redis): files
in HANDOFF_VAR_DIR, read by /healthz in another process."""

from __future__ import annotations

import time

import pytest
from django.test import override_settings

from marketplace import heartbeats


@pytest.fixture
def file_heartbeats(tmp_path):
    with override_settings(
        BROKER_IS_REDIS=False, VAR_DIR=tmp_path, HEARTBEAT_STALE_SECONDS=5, HEALTHZ_HEARTBEATS=True
    ):
        yield tmp_path


def test_fresh_beat_and_worker_are_alive_and_stale_ones_are_not(file_heartbeats):
    now = time.time()
    heartbeats.record("beat", now=now - 1)
    heartbeats.record("worker:celery@a", now=now - 2)
    heartbeats.record("worker:celery@b", now=now - 60)  # stopped a minute ago
    status = heartbeats.status(now=now)
    assert status["beat"] == {"ok": True, "age_s": 1.0}
    assert status["workers"]["alive"] == 1 and status["workers"]["ok"] is True

    later = heartbeats.status(now=now + 10)
    assert later["beat"]["ok"] is False and later["workers"]["ok"] is False


def test_a_clean_stop_removes_the_heartbeat(file_heartbeats):
    heartbeats.record("worker:celery@a")
    heartbeats.forget("worker:celery@a")
    assert heartbeats.status()["workers"] == {"ok": False, "alive": 0, "ages_s": {}}


@pytest.mark.django_db
def test_healthz_is_503_without_heartbeats_and_200_with_them(client, file_heartbeats):
    response = client.get("/healthz")
    assert response.status_code == 503
    assert response.json()["checks"]["beat"] == {"ok": False, "age_s": None}
    heartbeats.record("beat")
    heartbeats.record("worker:celery@a")
    response = client.get("/healthz")
    assert response.status_code == 200, response.json()
    assert response.json()["checks"]["workers"] == {"ok": True, "alive": 1}
