"""Penalty jobs (beat: CELERY_BEAT_SCHEDULE). Thin: each calls one service with
``now``; the services are idempotent and walk rows with SKIP LOCKED."""

from __future__ import annotations

from celery import shared_task

from kernel.jobs import task_now

from . import services


@shared_task(name="governance.lift_expired_sanctions", acks_late=True)
def lift_expired_sanctions(now: str | None = None) -> int:
    return services.lift_expired_sanctions(now=task_now(now))


@shared_task(name="governance.expire_points", acks_late=True)
def expire_points(now: str | None = None) -> int:
    return services.expire_points(now=task_now(now))


@shared_task(name="governance.rescan_content", acks_late=True)
def rescan_content(now: str | None = None) -> int:
    return services.rescan_content(now=task_now(now))


@shared_task(name="governance.build_transparency_snapshots", acks_late=True)
def build_transparency_snapshots(now: str | None = None) -> list[str]:
    return [str(s) for s in services.build_transparency_snapshots(now=task_now(now))]
