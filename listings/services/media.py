"""Moving a listing's screenshot files between public and private storage
(``listings.media``), so that they are public media exactly while the listing is
in ``Listing.MEDIA_PUBLIC_STATES`` (publicly visible, or held by a checkout).

- ``request_media_sync`` is called by ``transition_listing`` whenever a move changes
  the listing's visibility: in the same transaction it marks the listing
  (``ScreenshotMove.pending``) and enqueues ``listings.sync_listing_media`` after
  commit (for a batch of sales, one sweep). The mark is the record: a task the broker lost is found by the sweeper.
- ``sync_listing_media`` copies each file that is on the wrong side to the right
  one under a NEW random name (outside any lock: file I/O may be slow), then under
  the listing's row lock re-reads the state: if the listing still wants that
  side the rows take the new names and the old names become orphans, deleted
  after commit; if the state changed meanwhile, the copies are dropped and it
  moves toward the CURRENT state. Idempotent: a second run finds nothing to do.
- ``sweep_media_moves`` (beat, every minute) runs what is left.

A page never shows a broken image meanwhile: a non-public listing's pages use the
view's URL, which serves from wherever the file is, and a page cached with a URL
is invalidated when the row changes (``listings.fragments`` watches screenshots).
"""

from __future__ import annotations

import logging

from django.db import transaction
from django.utils import timezone

from kernel.jobs import enqueue_on_commit

from .. import media
from ..models import Listing, ListingScreenshot, ScreenshotMove

logger = logging.getLogger(__name__)

TASK = "listings.sync_listing_media"
SWEEP_TASK = "listings.sweep_media_moves"
FIELDS = ("image", "thumbnail")
#: Rounds of copy-then-check before leaving the rest to the sweeper (the state
#: changed under each round).
ROUNDS = 3
SWEEP_BATCH = 100


def is_public_state(state: str) -> bool:
    return state in Listing.MEDIA_PUBLIC_STATES


def request_media_sync(listing_ids: list[int]) -> None:
    """Mark the listings' files to move toward their current visibility and enqueue
    the move after commit: one listing's own task, or for several (the release job's
    sales) one sweep, so a batch costs one queue message. Caller holds the
    listings' row locks in its transaction."""
    if not listing_ids:
        return
    _mark(listing_ids)
    if len(listing_ids) == 1:
        enqueue_on_commit(TASK, listing_ids[0])
    else:
        enqueue_on_commit(SWEEP_TASK)


def _mark(listing_ids) -> None:
    """Mark (or mark again) listings as pending, in one statement (an upsert)."""
    now = timezone.now()
    ScreenshotMove.objects.bulk_create(
        [ScreenshotMove(listing_id=pk, pending=True, updated_at=now) for pk in listing_ids],
        update_conflicts=True,
        unique_fields=["listing_id"],
        update_fields=["pending", "updated_at"],
    )


def _delete_quietly(names) -> None:
    for name in names:
        try:
            media.ScreenshotStorage.storage_for(name).delete(name)
        except Exception:  # noqa: BLE001 - logged; the name stays an orphan for the next run
            logger.warning("could not delete a screenshot copy %s", name, exc_info=True)


def _plan(listing_id: int) -> tuple[bool, dict]:
    """(target side, {(shot id, field): (name, copy)}): copies made on the target
    side of every file of the listing that is on the other side."""
    state = Listing.objects.filter(pk=listing_id).values_list("state", flat=True).first()
    public = state is not None and is_public_state(state)
    copies: dict[tuple[int, str], tuple[str, str]] = {}
    try:
        for shot in ListingScreenshot.objects.filter(listing_id=listing_id).order_by("pk"):
            for field in FIELDS:
                name = getattr(shot, field).name
                if name and media.is_public_name(name) != public:
                    copy = media.copy_to(name, public=public, thumbnail=field == "thumbnail")
                    copies[(shot.pk, field)] = (name, copy)
    except BaseException:
        _delete_quietly(new for _old, new in copies.values())
        raise
    return public, copies


def _apply(listing_id: int, public: bool, copies: dict) -> bool | None:
    """Under the listing's row lock: give the rows the copies' names if the listing
    still wants side ``public``. Returns True when every file is on that side (the
    mark is cleared), False when some is not yet (an upload meanwhile), None when
    the state changed (nothing applied; the caller drops the copies)."""
    with transaction.atomic():
        listing = Listing.objects.select_for_update().filter(pk=listing_id).only("state").first()
        now_public = listing is not None and is_public_state(listing.state)
        if now_public != public:
            return None
        orphans, unused = [], dict(copies)
        done = True
        shots = ListingScreenshot.objects.select_for_update().filter(listing_id=listing_id)
        for shot in shots.order_by("pk"):
            changed = []
            for field in FIELDS:
                name = getattr(shot, field).name
                if not name or media.is_public_name(name) == public:
                    continue
                old, copy = unused.pop((shot.pk, field), (None, None))
                if old != name:  # a file that appeared after the plan
                    done = False
                    if copy:
                        orphans.append(copy)
                    continue
                setattr(shot, field, copy)
                changed.append(field)
                orphans.append(old)
            if changed:
                # A save (not an update): post_save invalidates the cached pages.
                shot.save(update_fields=changed)
        orphans += [copy for _old, copy in unused.values()]  # screenshots deleted meanwhile
        mark, _created = ScreenshotMove.objects.select_for_update().get_or_create(
            listing_id=listing_id
        )
        mark.orphans = sorted(set(mark.orphans) | set(orphans))
        mark.pending = not done
        mark.updated_at = timezone.now()
        mark.save()
        return done


def _purge_orphans(listing_id: int) -> None:
    """Delete the files a move replaced (after its commit), then forget them; the
    mark goes once nothing is pending or left. A file that cannot be deleted now
    stays listed for the next run."""
    names = (
        ScreenshotMove.objects.filter(listing_id=listing_id)
        .values_list("orphans", flat=True)
        .first()
    )
    deleted = set()
    for name in names or []:
        try:
            media.ScreenshotStorage.storage_for(name).delete(name)
        except Exception:  # noqa: BLE001 - kept as an orphan; the sweeper retries
            logger.warning("could not delete an old screenshot file %s", name, exc_info=True)
        else:
            deleted.add(name)
    with transaction.atomic():
        mark = ScreenshotMove.objects.select_for_update().filter(listing_id=listing_id).first()
        if mark is None:
            return
        mark.orphans = [name for name in mark.orphans if name not in deleted]
        if not mark.orphans and not mark.pending:
            mark.delete()
        elif deleted:
            mark.save(update_fields=["orphans"])


def sync_listing_media(*, listing_id: int) -> bool:
    """Move ``listing_id``'s screenshot files to the side its current state asks
    for (public storage while ``Listing.is_public``, else private), under new
    names, and delete the old files. Returns True when every file is where it
    belongs. Idempotent; safe to run twice at once (the row lock decides) and
    whatever the state did meanwhile (it follows the current state)."""
    try:
        for _round in range(ROUNDS):
            public, copies = _plan(listing_id)
            try:
                done = _apply(listing_id, public, copies)
            except BaseException:
                _delete_quietly(new for _old, new in copies.values())
                raise
            if done is None:
                _delete_quietly(new for _old, new in copies.values())
                continue
            if done:
                return True
        return False
    finally:
        _purge_orphans(listing_id)


def sweep_media_moves(*, batch_size: int = SWEEP_BATCH) -> int:
    """Run every move (and deletion) still marked, in batches; a listing that fails
    now is logged and left marked for the next sweep. Returns how many listings
    were handled (each at most once per sweep)."""
    handled, last = 0, 0
    while True:
        batch = list(
            ScreenshotMove.objects.filter(pk__gt=last)
            .order_by("pk")
            .values_list("pk", "listing_id")[:batch_size]
        )
        for pk, listing_id in batch:
            last = pk
            try:
                sync_listing_media(listing_id=listing_id)
            except Exception:  # noqa: BLE001 - one listing's storage error stops no other
                logger.exception("screenshot move of listing %s failed", listing_id)
            handled += 1
        if len(batch) < batch_size:
            return handled


def mark_listings_for_sync(*, listing_ids) -> int:
    """Mark listings to be checked by the sweeper (the command and the migration of
    existing files). Returns how many marks were made or renewed."""
    ids = sorted(set(listing_ids))
    if ids:
        _mark(ids)
    return len(ids)


def find_misplaced_listings(*, batch_size: int = 500):
    """Yield lists of ids (at most ``batch_size`` each, by id) of listings with a
    screenshot file on the wrong side of their visibility."""
    from django.db.models import Q

    public_file = Q(image__startswith=media.PUBLIC_PREFIX) | Q(
        thumbnail__startswith=media.PUBLIC_PREFIX
    )
    private_file = Q(image__startswith=media.PRIVATE_PREFIX) | Q(
        thumbnail__startswith=media.PRIVATE_PREFIX
    )
    public = Q(listing__state__in=Listing.MEDIA_PUBLIC_STATES)
    wrong = (public & private_file) | (~public & public_file)
    last = 0
    while True:
        ids = list(
            ListingScreenshot.objects.filter(wrong, listing_id__gt=last)
            .order_by("listing_id")
            .values_list("listing_id", flat=True)
            .distinct()[:batch_size]
        )
        if not ids:
            return
        yield ids
        last = ids[-1]
