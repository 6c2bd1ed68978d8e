"""The seller's use cases: drafting, editing, screenshots, submitting, withdrawing."""

from __future__ import annotations

from datetime import datetime

from django.db import transaction
from django.http import Http404
from django.utils import timezone

from governance.policy import can
from kernel.jobs import enqueue_on_commit

from ..exceptions import (
    DuplicateListing,
    IllegalTransition,
    IncompleteListing,
    ListingLocked,
    NotAllowedToList,
    TooManyScreenshots,
)
from ..images import process_screenshot
from ..models import MAX_SCREENSHOTS, Listing, ListingScreenshot
from ..ownership import get_ownership_checker, new_ownership_code
from .common import (
    REQUIRED_FOR_SUBMIT,
    SEARCH_FIELDS,
    SELLER_FIELDS,
    _lock_for_seller,
    _validate,
    handle_fingerprint,
    refresh_search_vector,
)
from .media import request_media_sync
from .transitions import transition_listing

State = Listing.State


def create_listing(*, seller, data: dict, now: datetime | None = None) -> Listing:
    """A new DRAFT listing of ``seller`` from the seller fields in ``data``.

    Validates every field (raises ``ValidationError``; nothing written). Anyone
    signed in may keep drafts; submitting needs the "list" capability.
    """
    now = now or timezone.now()
    listing = Listing(seller=seller, state=State.DRAFT, created_at=now)
    for field in SELLER_FIELDS:
        if field in data:
            setattr(listing, field, data[field])
    listing.handle_fingerprint = handle_fingerprint(listing.platform, listing.handle)
    _validate(listing, [f for f in SELLER_FIELDS if f in data])
    with transaction.atomic():
        listing.save()
        refresh_search_vector(listing)
    return listing


def update_listing(
    *, seller, listing_id: int, data: dict, now: datetime | None = None
) -> tuple[Listing, bool]:
    """Change the seller fields given in ``data``.

    Returns ``(listing, sent_back_to_review)``. Editing rules:
    - DRAFT, REJECTED, WITHDRAWN, PENDING_REVIEW: edited in place.
    - PUBLISHED: any real change sends the listing back to PENDING_REVIEW (buyers
      must only see what a moderator approved), so it leaves the catalogue until
      approved again.
    - RESERVED (mid-deal), SOLD, REMOVED: refused with ``ListingLocked``; the price
      and facts a buyer is paying for never change under a deal.
    Changing the platform or handle voids the ownership proof (a new code is issued
    on submission). Raises ``ValidationError`` for bad values; nothing is written.
    """
    now = now or timezone.now()
    with transaction.atomic():
        listing = _lock_for_seller(seller, listing_id)
        if not listing.is_editable:
            raise ListingLocked()
        changed = [f for f in SELLER_FIELDS if f in data and getattr(listing, f) != data[f]]
        if not changed:
            return listing, False
        for field in changed:
            setattr(listing, field, data[field])
        fields = set(changed)
        if {"platform", "handle"} & fields:
            listing.handle_fingerprint = handle_fingerprint(listing.platform, listing.handle)
            listing.ownership_proven = False
            listing.ownership_proven_at = None
            listing.ownership_proven_by = None
            listing.ownership_code = ""
            fields |= {
                "handle_fingerprint",
                "ownership_proven",
                "ownership_proven_at",
                "ownership_proven_by",
                "ownership_code",
            }
            if listing.state in (State.PENDING_REVIEW, State.PUBLISHED):
                listing.ownership_code = new_ownership_code()
        _validate(listing, None if listing.state != State.DRAFT else changed)
        sent_back = False
        if listing.state == State.PUBLISHED:
            transition_listing(
                listing=listing,
                to=State.PENDING_REVIEW,
                actor=seller,
                reason="edited by the seller: " + ", ".join(sorted(changed)),
                now=now,
                update_fields=sorted(fields),
            )
            sent_back = True
        else:
            listing.save(update_fields=sorted(fields | {"updated_at"}))
        if SEARCH_FIELDS & fields:
            refresh_search_vector(listing)
        if listing.state == State.PENDING_REVIEW and {"title", "niche", "description"} & fields:
            _record_text_findings(listing, now)  # edited text in the moderators' queue
        return listing, sent_back


def _after_content_change(listing: Listing, seller, reason: str, now) -> bool:
    if listing.state == State.PUBLISHED:
        transition_listing(
            listing=listing, to=State.PENDING_REVIEW, actor=seller, reason=reason, now=now
        )
        return True
    listing.save(update_fields=["updated_at"])
    return False


def add_screenshot(
    *, seller, listing_id: int, upload, caption: str = "", now: datetime | None = None
) -> ListingScreenshot:
    """Attach a screenshot (at most ``MAX_SCREENSHOTS``). The upload is validated as a
    real image, re-encoded without metadata and given a random name; a thumbnail is
    made. Raises ``ValidationError`` (bad file), ``TooManyScreenshots``,
    ``ListingLocked``; nothing is written then. A PUBLISHED listing goes back to review.
    """
    now = now or timezone.now()
    clean, thumb = process_screenshot(upload)  # before any lock: may be slow
    shot = None
    try:
        with transaction.atomic():
            listing = _lock_for_seller(seller, listing_id)
            if not listing.is_editable:
                raise ListingLocked()
            count = listing.screenshots.count()
            if count >= MAX_SCREENSHOTS:
                raise TooManyScreenshots()
            shot = ListingScreenshot(listing=listing, caption=caption[:120], position=count)
            shot.image.save(clean.content.name, clean.content, save=False)
            shot.thumbnail.save(thumb.name, thumb, save=False)
            shot.width, shot.height = clean.width, clean.height
            shot.save()  # into private storage (screenshot_path): a move publishes it
            _after_content_change(listing, seller, "screenshot added by the seller", now)
            if listing.state in Listing.MEDIA_PUBLIC_STATES:  # (never today: not editable)
                request_media_sync([listing.pk])
    except BaseException:
        # Nothing half-saved: files written before a rolled-back row are removed.
        if shot is not None:
            for f in (shot.image, shot.thumbnail):
                if f.name:
                    f.storage.delete(f.name)
        raise
    return shot


def delete_screenshot(
    *, seller, listing_id: int, screenshot_id: int, now: datetime | None = None
) -> None:
    now = now or timezone.now()
    with transaction.atomic():
        listing = _lock_for_seller(seller, listing_id)
        if not listing.is_editable:
            raise ListingLocked()
        shot = listing.screenshots.filter(pk=screenshot_id).first()
        if shot is None:
            raise Http404
        # Its files go after commit, from whichever storage holds them
        # (receivers.delete_screenshot_files).
        shot.delete()
        _after_content_change(listing, seller, "screenshot removed by the seller", now)


def _record_text_findings(listing: Listing, now: datetime) -> None:
    """The detectors read the text moderators are about to review; findings
    become automatic reports in their queue (never a sanction by themselves)."""
    from governance.registry import text_of
    from governance.services import record_automatic_findings

    record_automatic_findings(subject=listing, text=text_of(listing), now=now)


def submit_listing(*, seller, listing_id: int, now: datetime | None = None) -> Listing:
    """DRAFT/REJECTED/WITHDRAWN → PENDING_REVIEW.

    Only if ``governance.policy.can(seller, "list")`` (``NotAllowedToList``), the
    listing is complete with at least one screenshot (``IncompleteListing``) and the
    same account is not on the market in another listing (``DuplicateListing``).
    Issues the one-time ownership code if there is none. Nothing written on refusal.
    """
    now = now or timezone.now()
    if not can(seller, "list"):
        raise NotAllowedToList()
    with transaction.atomic():
        listing = _lock_for_seller(seller, listing_id)
        if listing.state == State.PENDING_REVIEW:
            return listing
        if listing.state not in (State.DRAFT, State.REJECTED, State.WITHDRAWN):
            raise IllegalTransition(listing.state, State.PENDING_REVIEW)
        missing = [f for f in REQUIRED_FOR_SUBMIT if not getattr(listing, f)]
        if missing or not listing.screenshots.exists():
            raise IncompleteListing()
        _validate(listing)
        if (
            Listing.objects.filter(
                handle_fingerprint=listing.handle_fingerprint, state__in=Listing.ACTIVE_STATES
            )
            .exclude(pk=listing.pk)
            .exists()
        ):
            raise DuplicateListing()
        fields = ["moderation_reason"]
        listing.moderation_reason = ""
        if not listing.ownership_code:
            listing.ownership_code = new_ownership_code()
            fields.append("ownership_code")
        transition_listing(
            listing=listing,
            to=State.PENDING_REVIEW,
            actor=seller,
            reason="submitted for review",
            now=now,
            update_fields=fields,
        )
        _record_text_findings(listing, now)
        checker = get_ownership_checker()
        if checker is not None and checker.supports(listing.platform):
            enqueue_on_commit("listings.tasks.check_listing_ownership", listing.pk)
        return listing


def withdraw_listing(
    *, seller, listing_id: int, reason: str = "", now: datetime | None = None
) -> Listing:
    """The seller takes a listing off the market (→ WITHDRAWN). Refused while a deal
    holds it (RESERVED) or once it is SOLD/REMOVED (``ListingLocked``)."""
    with transaction.atomic():
        listing = _lock_for_seller(seller, listing_id)
        if listing.state == State.WITHDRAWN:
            return listing
        if listing.state in (State.RESERVED, State.SOLD, State.REMOVED):
            raise ListingLocked()
        transition_listing(
            listing=listing,
            to=State.WITHDRAWN,
            actor=seller,
            reason=reason or "withdrawn by the seller",
            now=now,
        )
        return listing
