"""Penalty jobs (beat: CELERY_BEAT_SCHEDULE). Thin: each calls one service with
``now``; the services are idempotent and walk rows with SKIP LOCKED."""

from __future__ import annotations

from celery import shared_task
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from . import services


def _now(now: str | None):
    return parse_datetime(now) if now else timezone.now()


@shared_task(name="governance.lift_expired_sanctions", acks_late=True)
def lift_expired_sanctions(now: str | None = None) -> int:
    return services.lift_expired_sanctions(now=_now(now))


@shared_task(name="governance.expire_points", acks_late=True)
def expire_points(now: str | None = None) -> int:
    return services.expire_points(now=_now(now))


@shared_task(name="governance.rescan_content", acks_late=True)
def rescan_content(now: str | None = None) -> int:
    return services.rescan_content(now=_now(now))


@shared_task(name="governance.build_transparency_snapshots", acks_late=True)
def build_transparency_snapshots(now: str | None = None) -> list[str]:
    return [str(s) for s in services.build_transparency_snapshots(now=_now(now))]
