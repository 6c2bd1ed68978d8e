"""Beat schedulers that also write the beat's heartbeat (marketplace.heartbeats).

``RedBeatScheduler`` (Redis broker): celery-redbeat, the schedule and a lock in
Redis, so several beats may run and only the lock holder schedules; only the holder
ticks, so the heartbeat is the scheduling beat's. ``PersistentScheduler``: Celery's
own, for the embedded file broker of ``make run``.
"""

from __future__ import annotations

import logging
import time

from celery.beat import PersistentScheduler as _PersistentScheduler
from django.conf import settings

from . import heartbeats

logger = logging.getLogger(__name__)


class _HeartbeatMixin:
    _last_heartbeat = 0.0

    def tick(self, *args, **kwargs):
        wait = super().tick(*args, **kwargs)
        now = time.monotonic()
        if now - self._last_heartbeat >= settings.HEARTBEAT_SECONDS:
            try:
                heartbeats.record(heartbeats.BEAT)
            except Exception:  # a heartbeat never stops the schedule
                logger.warning("beat: could not write its heartbeat", exc_info=True)
            self._last_heartbeat = now
        return min(wait, settings.HEARTBEAT_SECONDS)

    def close(self):
        try:
            if self._last_heartbeat:  # a waiting beat must not erase the holder's
                heartbeats.forget(heartbeats.BEAT)
        except Exception:  # noqa: BLE001 - shutting down; the key expires anyway
            logger.debug("beat: heartbeat not removed", exc_info=True)
        super().close()


class PersistentScheduler(_HeartbeatMixin, _PersistentScheduler):
    pass


def __getattr__(name: str):
    # redbeat is imported only when its scheduler is asked for: importing it
    # connects its lock handler to every beat's start, which fails (an error in the
    # log) under the stock scheduler of ``make run``.
    if name == "RedBeatScheduler":
        from redbeat import RedBeatScheduler as base

        scheduler = type(name, (_HeartbeatMixin, base), {"__module__": __name__})
        globals()[name] = scheduler
        return scheduler
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
