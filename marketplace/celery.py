"""The Celery application. Tasks live in each app's ``tasks.py``; the beat schedule
is ``CELERY_BEAT_SCHEDULE`` in settings."""

import os

from celery import Celery
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
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
