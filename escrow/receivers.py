"""Escrow's subscriptions to other apps' signals (dependency direction: escrow
listens to listings, never the other way)."""

from __future__ import annotations

from django.utils import timezone

from . import services


def on_listing_removed(sender, *, listing_id: int, reason: str = "", **kwargs) -> None:
    """Governance took a listing down: cancel its unpaid deals."""
    services.cancel_deals_of_removed_listing(listing_id=listing_id, now=timezone.now())
