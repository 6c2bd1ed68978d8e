"""Writes that matter in listings. One keyword-only function per use case, each in
one ``transaction.atomic``, locking the listing row (``select_for_update``) before it
reads-then-writes, and recording a ``ListingEvent`` for every state change.

Services that escrow calls (``reserve_listing``, ``release_reservation``,
``mark_sold``, ``withdraw_after_exposure``) take a ``listing_id`` and may be called
inside escrow's own transaction. The one lock order across the apps is **listing →
deal → the deal's money rows** (payment, refund, payout), each by primary key:
escrow locks the listing row before the deal row, so when it calls these functions
it already holds the listing lock and ``_lock`` only re-acquires it. Nothing here
locks a deal.
"""

from __future__ import annotations

from datetime import datetime

from django.conf import settings
from django.db import connection, transaction
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.services import record_audit
from governance.policy import can
from marketplace.batch import WriteBatch
from marketplace.crypto import keyed_hash
from marketplace.rows import load_by_pk

from . import fragments, search, signals
from .exceptions import (
    DuplicateListing,
    IllegalTransition,
    IncompleteListing,
    ListingError,
    ListingLocked,
    ListingNotAvailable,
    NotAllowedToList,
    OwnershipNotProven,
    TooManyScreenshots,
)
from .images import process_screenshot
from .models import MAX_SCREENSHOTS, Listing, ListingEvent, ListingScreenshot
from .ownership import get_ownership_checker, new_ownership_code

State = Listing.State


# ----------------------------------------------------------------- transitions


def can_transition(from_state: str, to_state: str) -> bool:
    return to_state in Listing.TRANSITIONS.get(from_state, frozenset())


def transition_listing(
    *,
    listing: Listing,
    to: str,
    actor=None,
    reason: str = "",
    now: datetime | None = None,
    update_fields: list[str] | None = None,
    batch: WriteBatch | None = None,
) -> ListingEvent:
    """Move ``listing`` to state ``to`` and record the event.

    Precondition: the caller holds the listing's row lock (``select_for_update``)
    inside an atomic block, and ``listing`` is that locked row. Raises
    ``IllegalTransition`` (nothing written) if the table does not allow the move.
    ``update_fields``: further fields the caller changed on ``listing`` to save
    along with the state. ``batch``: the caller's ``marketplace.batch.WriteBatch``,
    to send both writes with the caller's (then the event's ``pk`` stays None).
    """
    now = now or timezone.now()
    from_state = listing.state
    if not can_transition(from_state, to):
        raise IllegalTransition(from_state, to)
    listing.state = to
    fields = {"state", "updated_at", *(update_fields or [])}
    if to == State.PUBLISHED and (listing.published_at is None or from_state != State.RESERVED):
        listing.published_at = now
        fields.add("published_at")
    if to == State.PENDING_REVIEW:
        listing.submitted_at = now
        fields.add("submitted_at")
    event = ListingEvent(
        listing=listing,
        from_state=from_state,
        to_state=to,
        actor=actor if actor is not None and getattr(actor, "is_authenticated", False) else None,
        reason=reason,
        created_at=now,
    )
    if batch is not None:
        batch.update(listing, sorted(fields))
        return batch.insert(event)
    listing.save(update_fields=sorted(fields))
    event.save(force_insert=True)
    return event


def _lock(listing_id: int) -> Listing:
    return Listing.objects.select_for_update().get(pk=listing_id)


# -------------------------------------------------------- called by escrow


def reserve_listing(
    *, listing_id: int, actor=None, reason: str = "", now: datetime | None = None
) -> Listing:
    """PUBLISHED → RESERVED for a new deal. Locks the listing row, so two buyers can
    never both reserve it: the second gets ``ListingNotAvailable`` (nothing written).
    """
    with transaction.atomic():
        return reserve_locked_listing(_lock(listing_id), actor=actor, reason=reason, now=now)


#: What a checkout needs of the listing it locks: all but the ~3 KB search vector
#: and the encrypted handle (never decrypted for a buyer), in the model's field
#: order.
_SALE_FIELDS = tuple(
    f.attname
    for f in Listing._meta.concrete_fields
    if f.attname not in {"search_vector", "handle", "handle_fingerprint"}
)


def lock_listing_for_sale(listing_id: int) -> Listing | None:
    """Lock the listing's row in the caller's transaction and return it without its
    search vector or handle (loaded on access if ever needed); None if there is no
    such listing. For ``reserve_locked_listing``. One statement, without the ORM's
    query machinery (``marketplace.rows``): on the checkout path it cost more than
    PostgreSQL's answer."""
    return load_by_pk(Listing, int(listing_id), columns=_SALE_FIELDS, for_update=True)


def reserve_locked_listing(
    listing: Listing,
    *,
    actor=None,
    reason: str = "",
    now: datetime | None = None,
    batch: WriteBatch | None = None,
) -> Listing:
    """``reserve_listing`` for a caller that already holds ``listing``'s row lock in
    its own transaction (escrow's ``open_deal`` locks the buyer, then the listing):
    no second lock, no savepoint. ``ListingNotAvailable`` unless PUBLISHED.
    ``batch``: as for ``transition_listing``."""
    if listing.state != State.PUBLISHED:
        raise ListingNotAvailable()
    transition_listing(
        listing=listing,
        to=State.RESERVED,
        actor=actor,
        reason=reason or "reserved",
        now=now,
        batch=batch,
    )
    return listing


def release_reservation(
    *, listing_id: int, actor=None, reason: str = "", now: datetime | None = None
) -> Listing:
    """RESERVED → PUBLISHED (an unpaid deal was cancelled, or refunded before handover).

    Idempotent for a listing already PUBLISHED. A listing that was removed or
    withdrawn meanwhile stays where it is (returned unchanged).
    """
    with transaction.atomic():
        listing = _lock(listing_id)
        if listing.state != State.RESERVED:
            return listing
        transition_listing(
            listing=listing,
            to=State.PUBLISHED,
            actor=actor,
            reason=reason or "reservation released",
            now=now,
        )
        return listing


def mark_sold(
    *, listing_id: int, actor=None, reason: str = "", now: datetime | None = None
) -> Listing:
    """RESERVED → SOLD when the deal is released. Idempotent for a SOLD listing;
    raises ``IllegalTransition`` from any other state."""
    with transaction.atomic():
        listing = _lock(listing_id)
        if listing.state == State.SOLD:
            return listing
        transition_listing(
            listing=listing, to=State.SOLD, actor=actor, reason=reason or "sold", now=now
        )
        return listing


def mark_sold_many(*, listing_ids: list[int], reasons: dict[int, str], now: datetime) -> None:
    """RESERVED → SOLD for many listings at once (the release job's batch): one
    UPDATE and one INSERT of events instead of a lock, save and insert each.

    Precondition: inside ``transaction.atomic``, the caller holds every listing's
    row lock and has checked that each is RESERVED (``mark_sold`` is the checked,
    one-at-a-time path). Bulk writes send no ``post_save``; the catalogue fragment
    cache is invalidated here (after commit), for what the sale changes: these
    listings, and the standing (completed sales) of their sellers, which every page
    and card of theirs shows and which the caller writes in bulk too."""
    if not listing_ids:
        return
    if not can_transition(State.RESERVED, State.SOLD):  # the table is the one truth
        raise IllegalTransition(State.RESERVED, State.SOLD)
    Listing.objects.filter(pk__in=listing_ids).update(state=State.SOLD, updated_at=timezone.now())
    ListingEvent.objects.bulk_create(
        ListingEvent(
            listing_id=pk,
            from_state=State.RESERVED,
            to_state=State.SOLD,
            reason=reasons.get(pk, "sold"),
            created_at=now,
        )
        for pk in listing_ids
    )
    # A bulk update sends no signal. Each sale also changes its seller's standing,
    # on every page of theirs: a new version for each of those pages costs a query
    # and a cache write per page, so the whole cache is made stale instead, once.
    fragments.bump()


def withdraw_after_exposure(
    *, listing_id: int, actor=None, reason: str = "", now: datetime | None = None
) -> Listing:
    """RESERVED → WITHDRAWN: the deal was refunded after the credentials were shown,
    so the seller must secure the account and resubmit. Ownership must be proven
    again (a new code is issued on resubmission). Idempotent for WITHDRAWN."""
    with transaction.atomic():
        listing = _lock(listing_id)
        if listing.state == State.WITHDRAWN:
            return listing
        listing.ownership_proven = False
        listing.ownership_code = ""
        transition_listing(
            listing=listing,
            to=State.WITHDRAWN,
            actor=actor,
            reason=reason or "withdrawn after the credentials were shown",
            now=now,
            update_fields=["ownership_proven", "ownership_code"],
        )
        return listing


# ------------------------------------------------------------- helpers

#: Fields the seller edits; the form steps each cover a subset.
SELLER_FIELDS = (
    "platform",
    "niche",
    "follower_count",
    "avg_views",
    "avg_likes",
    "account_created_on",
    "audience_region",
    "monetised",
    "monthly_revenue",
    "handle",
    "title",
    "description",
    "price",
)
SEARCH_FIELDS = {"title", "niche", "description"}
#: Fields without which a listing cannot be submitted.
REQUIRED_FOR_SUBMIT = ("platform", "niche", "title", "description", "price", "handle")


def normalise_handle(handle: str) -> str:
    """Lower-case, without scheme, ``www.``, ``@`` and trailing slash: one account,
    one fingerprint however the seller typed it."""
    value = (handle or "").strip().lower()
    for prefix in ("https://", "http://"):
        if value.startswith(prefix):
            value = value[len(prefix) :]
    if value.startswith("www."):
        value = value[4:]
    return value.lstrip("@").rstrip("/")


def handle_fingerprint(platform: str, handle: str) -> str:
    norm = normalise_handle(handle)
    return keyed_hash(f"listing-handle:{platform}:{norm}") if norm else ""


def refresh_search_vector(listing: Listing) -> None:
    """Recompute the stored search document (PostgreSQL only; see listings.search)."""
    if not search.uses_postgres_search():
        return
    Listing.objects.filter(pk=listing.pk).update(
        search_vector=search.vector_expression(
            title=listing.title, niche=listing.niche, description=listing.description
        )
    )


#: The floor of the recent listings: the id of the ``size``-th newest published
#: listing, 0 when there are fewer.
_FLOOR_SQL = (
    "SELECT COALESCE((SELECT id FROM listings_listing WHERE state = 'PUBLISHED' "
    "ORDER BY id DESC LIMIT 1 OFFSET %(size)s - 1), 0)"
)
#: One batch each: flag the highest unflagged ids at or above the floor (just below
#: the flagged rows), unflag the lowest flagged ids below it. Either way the
#: flagged rows stay a suffix of the table by id at every commit.
_FLAG_SQL = (
    "UPDATE listings_listing SET search_recent = true WHERE id IN (SELECT id FROM "
    "listings_listing WHERE NOT search_recent AND id >= %(floor)s ORDER BY id DESC "
    "LIMIT %(batch)s)"
)
_UNFLAG_SQL = (
    "UPDATE listings_listing SET search_recent = false WHERE id IN (SELECT id FROM "
    "listings_listing WHERE search_recent AND id < %(floor)s ORDER BY id LIMIT %(batch)s)"
)


def refresh_search_recency(*, size: int | None = None, batch: int = 5000) -> int:
    """Flag the newest ``size`` (``SEARCH_RECENT_LISTINGS``) published listings'
    ids and up as recent (``Listing.search_recent``), none below; returns the rows
    changed. In batches of ``batch`` rows, each its own transaction (the first run
    on a large table flags tens of thousands of rows: the newest listings, those
    being bought, are never locked for long); after every batch the flagged rows
    are a suffix of the table by id, what the relevance window's recent path
    relies on."""
    size = max(1, size if size is not None else settings.SEARCH_RECENT_LISTINGS)
    with connection.cursor() as cursor:
        cursor.execute(_FLOOR_SQL, {"size": size})
        floor = cursor.fetchone()[0]
    changed = 0
    for sql in (_FLAG_SQL, _UNFLAG_SQL):
        while True:
            with transaction.atomic(), connection.cursor() as cursor:
                cursor.execute(sql, {"floor": floor, "batch": batch})
                done = cursor.rowcount
            changed += done
            if done < batch:
                break
    return changed


def _validate(listing: Listing, fields=None) -> None:
    """Model validation (ranges, choices, lengths, constraints) before anything is
    written: of ``fields`` only (a draft may be incomplete), or of everything."""
    if fields is None:
        exclude = ["seller", "search_vector", "ownership_proven_by"]
    else:
        exclude = [f.name for f in Listing._meta.concrete_fields if f.name not in set(fields)]
    listing.full_clean(exclude=exclude)


def _lock_for_seller(seller, listing_id: int) -> Listing:
    """The seller's own listing, locked. Someone else's listing looks missing."""
    try:
        return Listing.objects.select_for_update().get(pk=listing_id, seller=seller)
    except Listing.DoesNotExist:
        raise Http404 from None


def _snapshot(listing: Listing) -> dict:
    """Audit-safe view of a listing (never the handle)."""
    return {
        "state": listing.state,
        "price": listing.price,
        "ownership_proven": listing.ownership_proven,
        "featured": listing.featured,
    }


# -------------------------------------------------------------- seller side


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
            shot.save()
            _after_content_change(listing, seller, "screenshot added by the seller", now)
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
        names = [shot.image.name, shot.thumbnail.name]
        storage = shot.image.storage
        shot.delete()
        _after_content_change(listing, seller, "screenshot removed by the seller", now)
        transaction.on_commit(lambda: [storage.delete(n) for n in names if n])


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
        checker = get_ownership_checker()
        if checker is not None and checker.supports(listing.platform):
            from .tasks import check_listing_ownership

            check_listing_ownership.delay_on_commit(listing.pk)
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


# ---------------------------------------------------------------- moderation


def _lock_for_moderation(listing_id: int) -> Listing:
    return _lock(listing_id)


def mark_ownership_proven(
    *, moderator, listing_id: int, note: str = "", now: datetime | None = None
) -> Listing:
    """Record that the ownership code was seen in the account's bio.

    ``moderator`` is None when an automatic checker proved it. Audited."""
    now = now or timezone.now()
    with transaction.atomic():
        listing = _lock_for_moderation(listing_id)
        if listing.ownership_proven:
            return listing
        if not listing.ownership_code or listing.state != State.PENDING_REVIEW:
            raise ListingError(
                _("Ownership can be proven only for a listing in review with a code.")
            )
        before = _snapshot(listing)
        listing.ownership_proven = True
        listing.ownership_proven_at = now
        listing.ownership_proven_by = moderator
        listing.save(
            update_fields=[
                "ownership_proven",
                "ownership_proven_at",
                "ownership_proven_by",
                "updated_at",
            ]
        )
        record_audit(
            actor=moderator,
            action="listing.ownership_proven",
            target=listing,
            reason=note or ("automatic check" if moderator is None else "code seen in the bio"),
            before=before,
            after=_snapshot(listing),
        )
        return listing


def approve_listing(
    *, moderator, listing_id: int, note: str = "", now: datetime | None = None
) -> Listing:
    """PENDING_REVIEW → PUBLISHED. Requires ownership proven (``OwnershipNotProven``).
    Audited."""
    with transaction.atomic():
        listing = _lock_for_moderation(listing_id)
        if listing.state != State.PENDING_REVIEW:
            raise IllegalTransition(listing.state, State.PUBLISHED)
        if not listing.ownership_proven:
            raise OwnershipNotProven()
        before = _snapshot(listing)
        listing.moderation_reason = ""
        transition_listing(
            listing=listing,
            to=State.PUBLISHED,
            actor=moderator,
            reason=note or "approved",
            now=now,
            update_fields=["moderation_reason"],
        )
        record_audit(
            actor=moderator,
            action="listing.approve",
            target=listing,
            reason=note,
            before=before,
            after=_snapshot(listing),
        )
        return listing


def reject_listing(
    *, moderator, listing_id: int, reason: str, now: datetime | None = None
) -> Listing:
    """PENDING_REVIEW → REJECTED with a reason the seller sees (required). Audited."""
    reason = (reason or "").strip()
    if not reason:
        raise ListingError(_("Give the seller a reason for the rejection."), code="reason_required")
    with transaction.atomic():
        listing = _lock_for_moderation(listing_id)
        if listing.state != State.PENDING_REVIEW:
            raise IllegalTransition(listing.state, State.REJECTED)
        before = _snapshot(listing)
        listing.moderation_reason = reason
        transition_listing(
            listing=listing,
            to=State.REJECTED,
            actor=moderator,
            reason=reason,
            now=now,
            update_fields=["moderation_reason"],
        )
        record_audit(
            actor=moderator,
            action="listing.reject",
            target=listing,
            reason=reason,
            before=before,
            after=_snapshot(listing),
        )
        return listing


def remove_listing(*, actor, listing_id: int, reason: str, now: datetime | None = None) -> Listing:
    """Take a listing down by governance (→ REMOVED) from any state but SOLD.

    ``actor`` is the moderator, or None for an automatic sanction. Sends
    ``listing_removed`` after commit so that escrow cancels unpaid deals. Audited.
    """
    reason = (reason or "").strip()
    if not reason:
        raise ListingError(_("Give a reason for the removal."), code="reason_required")
    with transaction.atomic():
        listing = _lock(listing_id)
        if listing.state == State.REMOVED:
            return listing
        before = _snapshot(listing)
        listing.moderation_reason = reason
        listing.featured = False
        transition_listing(
            listing=listing,
            to=State.REMOVED,
            actor=actor,
            reason=reason,
            now=now,
            update_fields=["moderation_reason", "featured"],
        )
        record_audit(
            actor=actor,
            action="listing.remove",
            target=listing,
            reason=reason,
            before=before,
            after=_snapshot(listing),
        )
        pk = listing.pk
        transaction.on_commit(
            lambda: signals.listing_removed.send(sender=Listing, listing_id=pk, reason=reason)
        )
        return listing


def restore_listing(
    *, moderator, listing_id: int, reason: str, now: datetime | None = None
) -> Listing:
    """REMOVED → PUBLISHED (e.g. an appeal was upheld, a freeze ended). Only a listing
    that had been published with proven ownership; anything else must be resubmitted
    (``ListingError``). Audited."""
    with transaction.atomic():
        listing = _lock(listing_id)
        if listing.state == State.REMOVED and (
            listing.published_at is None or not listing.ownership_proven
        ):
            raise ListingError(
                _("Only a listing that was published can be restored."), code="not_restorable"
            )
        before = _snapshot(listing)
        listing.moderation_reason = ""
        transition_listing(
            listing=listing,
            to=State.PUBLISHED,
            actor=moderator,
            reason=reason or "restored",
            now=now,
            update_fields=["moderation_reason"],
        )
        record_audit(
            actor=moderator,
            action="listing.restore",
            target=listing,
            reason=reason,
            before=before,
            after=_snapshot(listing),
        )
        return listing


def set_listing_featured(*, moderator, listing_id: int, featured: bool) -> Listing:
    """Show (or stop showing) a PUBLISHED listing on the home page. Audited."""
    with transaction.atomic():
        listing = _lock(listing_id)
        if featured and listing.state != State.PUBLISHED:
            raise ListingError(_("Only a published listing can be featured."), code="not_published")
        if listing.featured == featured:
            return listing
        before = _snapshot(listing)
        listing.featured = featured
        listing.save(update_fields=["featured", "updated_at"])
        record_audit(
            actor=moderator,
            action="listing.feature" if featured else "listing.unfeature",
            target=listing,
            before=before,
            after=_snapshot(listing),
        )
        return listing


def remove_listings_of_seller(*, seller_id: int, actor=None, reason: str) -> int:
    """Governance took the seller's right to sell away (ban): every listing of theirs
    that is on the market or waiting for it goes to REMOVED. Returns how many."""
    ids = list(
        Listing.objects.filter(
            seller_id=seller_id,
            state__in=[State.PENDING_REVIEW, State.PUBLISHED, State.RESERVED, State.DRAFT],
        )
        .order_by("pk")
        .values_list("pk", flat=True)
    )
    for pk in ids:
        remove_listing(actor=actor, listing_id=pk, reason=reason)
    return len(ids)
