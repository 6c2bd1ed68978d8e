"""Thin Celery tasks for listings: take ids, re-read, call a service."""

from __future__ import annotations

from celery import shared_task

from .models import Listing
from .ownership import get_ownership_checker
from .services import mark_ownership_proven, refresh_search_tiers


@shared_task(name="listings.tasks.check_listing_ownership", time_limit=60, soft_time_limit=50)
def check_listing_ownership(listing_id: int) -> bool:
    """Ask the configured automatic checker whether the code is in the bio; if it is,
    mark ownership proven. Outside any transaction (network call), then the service
    locks and re-checks the listing's state."""
    checker = get_ownership_checker()
    listing = Listing.objects.filter(pk=listing_id, state=Listing.State.PENDING_REVIEW).first()
    if checker is None or listing is None or listing.ownership_proven:
        return False
    if not checker.supports(listing.platform):
        return False
    result = checker.check(
        platform=listing.platform, handle=listing.handle, code=listing.ownership_code
    )
    if result.proven:
        mark_ownership_proven(moderator=None, listing_id=listing_id, note=result.detail)
    return result.proven


@shared_task(name="listings.refresh_search_tiers")
def refresh_search_tiers_task() -> int:
    """Hourly: the search tiers follow the newest listings (idempotent)."""
    return refresh_search_tiers()


@shared_task(name="listings.send_saved_search_alerts", time_limit=300, soft_time_limit=280)
def send_saved_search_alerts_task(now: str | None = None) -> int:
    """Every few minutes: e-mail saved searches their new matches."""
    from kernel.jobs import task_now

    from .watch import send_saved_search_alerts

    return send_saved_search_alerts(now=task_now(now))


@shared_task(
    name="listings.sync_listing_media",
    autoretry_for=(Exception,),
    retry_backoff=5,
    retry_backoff_max=60,
    max_retries=5,
    time_limit=120,
    soft_time_limit=100,
)
def sync_listing_media_task(listing_id: int) -> bool:
    """After a change of visibility: the listing's screenshot files to public or
    private storage (``services.media``). Retried on a storage error; the
    sweeper runs whatever is still marked."""
    from .services.media import sync_listing_media

    return sync_listing_media(listing_id=listing_id)


@shared_task(name="listings.sweep_media_moves", time_limit=290, soft_time_limit=280)
def sweep_media_moves_task() -> int:
    """Every minute: screenshot moves whose task was lost or failed (idempotent)."""
    from .services.media import sweep_media_moves

    return sweep_media_moves()
