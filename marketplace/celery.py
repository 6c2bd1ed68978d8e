"""The Celery application. Tasks live in each app's ``tasks.py``; the beat schedule
is ``CELERY_BEAT_SCHEDULE`` in settings."""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "marketplace.settings")

app = Celery("marketplace")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
