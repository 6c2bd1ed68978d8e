"""Heartbeats of the processes /healthz cannot reach itself: Celery workers and the
beat that schedules.

Each worker writes ``worker:<hostname>`` and the scheduling beat writes ``beat``
every ``HEARTBEAT_SECONDS``. With a Redis broker they are keys in it (every node
reads the same ones; they expire on their own, so a dead worker's key goes away);
with the embedded file broker (``make run``, one machine) small files in
``VAR_DIR/heartbeats``. Values are UNIX times; readers compute ages.
"""

from __future__ import annotations

import functools
import time
from pathlib import Path

from django.conf import settings

PREFIX = "handoff:heartbeat:"
BEAT = "beat"


@functools.lru_cache(maxsize=4)
def _client(url: str):
    import redis

    return redis.Redis.from_url(url, socket_timeout=2, socket_connect_timeout=2)


def broker_client():
    """A Redis client for the broker (the heartbeats' and queues' server)."""
    return _client(settings.CELERY_BROKER_URL)


def _folder() -> Path:
    folder = Path(settings.VAR_DIR) / "heartbeats"
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def _ttl() -> int:
    # Long enough that a stale heartbeat is seen as stale before it vanishes.
    return max(int(settings.HEARTBEAT_STALE_SECONDS * 4), 10)


def record(name: str, *, now: float | None = None) -> None:
    """Say that ``name`` (``beat`` or ``worker:<hostname>``) is alive at ``now``."""
    now = time.time() if now is None else now
    if settings.BROKER_IS_REDIS:
        broker_client().set(PREFIX + name, repr(now), ex=_ttl())
    else:
        path = _folder() / name.replace(":", "@").replace("/", "_")
        tmp = path.with_suffix(".tmp")
        tmp.write_text(repr(now))
        tmp.replace(path)


def forget(name: str) -> None:
    """A process that stops cleanly takes its heartbeat with it."""
    if settings.BROKER_IS_REDIS:
        broker_client().delete(PREFIX + name)
    else:
        (_folder() / name.replace(":", "@").replace("/", "_")).unlink(missing_ok=True)


def read() -> dict[str, float]:
    """Every heartbeat still kept: name -> UNIX time."""
    out: dict[str, float] = {}
    if settings.BROKER_IS_REDIS:
        client = broker_client()
        keys = list(client.scan_iter(match=PREFIX + "*", count=100))
        if keys:
            for key, value in zip(keys, client.mget(keys), strict=True):
                if value is not None:
                    out[key.decode()[len(PREFIX) :]] = float(value)
        return out
    cutoff = time.time() - _ttl()
    for path in _folder().iterdir():
        if path.suffix == ".tmp":
            continue
        try:
            at = float(path.read_text())
        except (OSError, ValueError):
            continue
        if at >= cutoff:
            out[path.name.replace("@", ":", 1)] = at
    return out


def status(*, now: float | None = None) -> dict:
    """The beat's age and the workers alive, as /healthz and /metrics report them."""
    now = time.time() if now is None else now
    stale = settings.HEARTBEAT_STALE_SECONDS
    beats = read()
    beat_at = beats.get(BEAT)
    worker_ages = {
        name.split(":", 1)[1]: round(now - at, 1)
        for name, at in beats.items()
        if name.startswith("worker:")
    }
    alive = sorted(host for host, age in worker_ages.items() if age <= stale)
    return {
        "beat": {
            "ok": beat_at is not None and now - beat_at <= stale,
            "age_s": None if beat_at is None else round(now - beat_at, 1),
        },
        "workers": {"ok": bool(alive), "alive": len(alive), "ages_s": worker_ages},
    }
