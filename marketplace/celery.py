"""The Celery application. Tasks live in each app's ``tasks.py``; the beat schedule
is ``CELERY_BEAT_SCHEDULE`` in settings."""

import logging
import os

from celery import Celery, bootsteps
from celery import Task as BaseTask

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "marketplace.settings")


class Task(BaseTask):
    """Every task of the project (``shared_task`` included).

    ``delay_on_commit`` enqueues after the transaction commits; if the broker is
    down then (Redis outage), the error is logged and NOT raised into the request
    or job whose work has already committed: a buyer whose payment was captured
    must not get a 500 with the payment unrecorded. Nothing is lost by it, because
    every enqueued step is also found by a beat job that scans the database
    (scheduled payouts and refunds, due deadlines)."""

    def delay_on_commit(self, *args, **kwargs):
        from django.db import transaction

        def enqueue():  # a named function: Django logs a robust callback's __qualname__
            return self.delay(*args, **kwargs)

        transaction.on_commit(enqueue, robust=True)


app = Celery("marketplace", task_cls=Task)


@app.on_after_configure.connect
def _make_file_broker_folders(sender, source, **kwargs):
    """The file broker (make run) neither makes its folders nor works without them;
    made here, when a worker, beat or task sender first reads the configuration,
    so that importing settings writes nothing."""
    from pathlib import Path

    options = source.broker_transport_options or {}
    if str(source.broker_url or "").startswith("filesystem://"):
        for key in ("data_folder_in", "data_folder_out", "processed_folder", "control_folder"):
            if options.get(key):
                Path(options[key]).mkdir(parents=True, exist_ok=True)


app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


class Heartbeat(bootsteps.StartStopStep):
    """Every ``HEARTBEAT_SECONDS`` the worker writes its heartbeat
    (marketplace.heartbeats), which /healthz and /metrics read; a clean stop
    removes it. It runs on the worker's timer, so a worker whose loop is stuck
    stops beating too."""

    requires = {"celery.worker.components:Timer"}

    def __init__(self, worker, **kwargs):
        super().__init__(worker, **kwargs)
        self.tref = None

    def _beat(self, worker):
        from . import heartbeats

        try:
            heartbeats.record(f"worker:{worker.hostname}")
        except Exception:  # a heartbeat never stops the worker
            logging.getLogger(__name__).warning("worker heartbeat not written", exc_info=True)

    def start(self, worker):
        from django.conf import settings

        self._beat(worker)
        self.tref = worker.timer.call_repeatedly(
            settings.HEARTBEAT_SECONDS, self._beat, (worker,), priority=10
        )

    def stop(self, worker):
        from . import heartbeats

        if self.tref is not None:
            self.tref.cancel()
            self.tref = None
        try:
            heartbeats.forget(f"worker:{worker.hostname}")
        except Exception:  # noqa: BLE001 - the key expires anyway
            logging.getLogger(__name__).debug("worker heartbeat not removed", exc_info=True)


app.steps["worker"].add(Heartbeat)
