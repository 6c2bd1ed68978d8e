"""A listing's screenshots are public media exactly while the listing is publicly
visible (listings.media, listings.services.media): a draft's files are private and
served only through the permission-checked view to its seller and moderators;
publishing moves them to public media under new names; any take-down moves them
back under new names, so the URLs that were public answer 404."""

from __future__ import annotations

import time

import pytest
from django.core.files.storage import default_storage
from django.test import Client
from django.utils import timezone

from governance import signals as gov
from kernel.private_files import private_storage
from listings import media, services
from listings.models import FROZEN_REASON, Listing, ListingScreenshot, ScreenshotMove
from listings.services.media import sweep_media_moves, sync_listing_media
from tests.factories import UserFactory, VerifiedUserFactory
from tests.totp import force_login_with_second_factor

from .helpers import draft, moderator, published

State = Listing.State


def _names(listing) -> list[str]:
    return [
        name
        for shot in ListingScreenshot.objects.filter(listing=listing).order_by("pk")
        for name in (shot.image.name, shot.thumbnail.name)
    ]


def _view(listing, shot, kind="image") -> str:
    return f"/listings/{listing.pk}/screenshots/{shot.pk}/{kind}"


def _body(response) -> bytes:
    return b"".join(response.streaming_content)


def _publish(seller, mod=None):
    """A published listing whose files were moved (the task, run here directly)."""
    listing = published(seller, mod, screenshots=2)
    sync_listing_media(listing_id=listing.pk)
    return listing


@pytest.fixture
def seller():
    return VerifiedUserFactory()


@pytest.fixture
def mod():
    return moderator()


def test_the_views_url_is_the_routes_url():
    from django.urls import reverse

    for kind in ("image", "thumb"):
        assert media.screenshot_view_url(12, 345, kind) == reverse(
            "listings:screenshot_file", args=[12, 345, kind]
        )


# ------------------------------------------------------------------ drafts


@pytest.mark.django_db
def test_a_drafts_screenshots_are_not_public_media(client, seller):
    listing = draft(seller)
    names = _names(listing)
    assert names and all(n.startswith(media.PRIVATE_PREFIX) for n in names)
    for name in names:
        assert private_storage().exists(name)
        assert not default_storage.exists(name)
        assert client.get(f"/media/{name}").status_code == 404
        # Nor under the public prefix, guessed.
        public_guess = media.PUBLIC_PREFIX + name.removeprefix(media.PRIVATE_PREFIX)
        assert client.get(f"/media/{public_guess}").status_code == 404


@pytest.mark.django_db
def test_a_drafts_screenshot_is_served_to_its_seller_and_moderators_only(client, seller, mod):
    listing = draft(seller)
    shot = listing.screenshots.get()
    stored = private_storage().open(shot.image.name).read()

    client.force_login(seller)
    response = client.get(_view(listing, shot))
    assert response.status_code == 200
    assert _body(response) == stored
    assert response["Content-Type"] == "image/png"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert "sandbox" in response["Content-Security-Policy"]
    assert "no-store" in response["Cache-Control"]
    assert client.get(_view(listing, shot, "thumb")).status_code == 200
    assert client.head(_view(listing, shot)).status_code == 200
    assert client.post(_view(listing, shot)).status_code == 405

    force_login_with_second_factor(client, mod)
    assert client.get(_view(listing, shot)).status_code == 200

    # Staff without the second factor, another member, anonymous: it does not exist.
    client.logout()
    client.force_login(mod)
    assert client.get(_view(listing, shot)).status_code == 404
    client.force_login(UserFactory())
    assert client.get(_view(listing, shot)).status_code == 404
    assert client.get(_view(listing, shot, "thumb")).status_code == 404
    client.logout()
    assert client.get(_view(listing, shot)).status_code == 404
    # Nor does a wrong kind, a screenshot under another listing, or one that is gone.
    client.force_login(seller)
    assert client.get(_view(listing, shot, "original")).status_code == 404
    other = draft(seller, handle="@other_account")
    assert client.get(f"/listings/{other.pk}/screenshots/{shot.pk}/image").status_code == 404
    assert client.get(f"/listings/{listing.pk}/screenshots/999999/image").status_code == 404


@pytest.mark.django_db
def test_the_sellers_pages_show_a_drafts_screenshots_through_the_view(client, seller):
    listing = draft(seller)
    shot = listing.screenshots.get()
    client.force_login(seller)
    for page in (f"/sell/{listing.pk}/screenshots/", f"/sell/{listing.pk}/review/"):
        html = client.get(page).content.decode()
        assert _view(listing, shot, "thumb") in html
        assert "/media/" not in html


# ------------------------------------------------------------ publishing


@pytest.mark.django_db
def test_publishing_makes_the_screenshots_public_media_under_new_names(client, seller, mod):
    listing = published(seller, mod, screenshots=2)
    before = _names(listing)
    # Until the move has run, the pages use the view, which serves everyone now.
    shot = listing.screenshots.first()
    assert client.get(_view(listing, shot)).status_code == 200
    assert ScreenshotMove.objects.filter(listing_id=listing.pk, pending=True).exists()

    assert sync_listing_media(listing_id=listing.pk) is True

    after = _names(listing)
    assert all(n.startswith(media.PUBLIC_PREFIX) for n in after)
    assert not set(after) & set(before)  # new names
    assert not any(private_storage().exists(n) for n in before)  # old files deleted
    assert not ScreenshotMove.objects.filter(listing_id=listing.pk).exists()
    for name in after:
        response = client.get(f"/media/{name}")
        assert response.status_code == 200
    shot.refresh_from_db()
    page = client.get(f"/listings/{listing.pk}/").content.decode()
    assert f"/media/{shot.image.name}" in page and f"/media/{shot.thumbnail.name}" in page
    assert "/screenshots/" not in page
    cards = client.get("/listings/").content.decode()
    cover = listing.screenshots.order_by("position", "id").first()
    assert f'src="/media/{cover.thumbnail.name}"' in cards
    # The view still answers for a public listing, and may be cached.
    response = client.get(_view(listing, shot))
    assert response.status_code == 200 and response["Cache-Control"].startswith("public")


@pytest.mark.django_db
def test_a_pending_move_never_shows_a_broken_image(client, seller, mod):
    listing = published(seller, mod)  # the move has not run yet
    shot = listing.screenshots.get()
    page = client.get(f"/listings/{listing.pk}/").content.decode()
    cards = client.get("/listings/").content.decode()
    assert _view(listing, shot, "thumb") in page and _view(listing, shot, "thumb") in cards
    assert client.get(_view(listing, shot, "thumb")).status_code == 200


# ------------------------------------------------------------- take-downs


def _remove(listing, seller, mod):
    services.remove_listing(actor=mod, listing_id=listing.pk, reason="LST-03")


def _freeze(listing, seller, mod):
    gov.user_frozen.send(sender=None, user=seller, sanction=None)
    assert Listing.objects.get(pk=listing.pk).moderation_reason == FROZEN_REASON


def _ban(listing, seller, mod):
    gov.user_banned.send(sender=None, user=seller, sanction=None)


def _content_removed(listing, seller, mod):
    gov.content_removal_requested.send(sender=None, subject=listing, violation=None)


def _withdraw(listing, seller, mod):
    services.withdraw_listing(seller=seller, listing_id=listing.pk)


def _edited(listing, seller, mod):
    services.update_listing(seller=seller, listing_id=listing.pk, data={"price": 250_000})


def _sold(listing, seller, mod):
    services.reserve_listing(listing_id=listing.pk)
    services.mark_sold(listing_id=listing.pk)


def _sold_by_the_release_job(listing, seller, mod):
    services.reserve_listing(listing_id=listing.pk)
    services.mark_sold_many(listing_ids=[listing.pk], reasons={}, now=timezone.now())


@pytest.mark.django_db
@pytest.mark.parametrize(
    "take_down",
    [_remove, _freeze, _ban, _content_removed, _withdraw, _edited, _sold, _sold_by_the_release_job],
)
def test_a_take_down_ends_the_public_urls(client, seller, mod, take_down):
    listing = _publish(seller, mod)
    public = _names(listing)
    shot = listing.screenshots.first()
    assert all(client.get(f"/media/{n}").status_code == 200 for n in public)

    take_down(listing, seller, mod)
    assert not Listing.objects.get(pk=listing.pk).is_public
    assert client.get(_view(listing, shot)).status_code == 404  # at once, before any move
    sync_listing_media(listing_id=listing.pk)

    for name in public:
        assert not default_storage.exists(name)
        assert client.get(f"/media/{name}").status_code == 404
    private = _names(listing)
    assert all(n.startswith(media.PRIVATE_PREFIX) for n in private)
    assert all(private_storage().exists(n) for n in private)
    assert client.get(_view(listing, shot)).status_code == 404
    client.force_login(seller)
    assert client.get(_view(listing, shot)).status_code == 200


@pytest.mark.django_db
def test_a_reservation_keeps_the_files_where_they_are(client, seller, mod):
    # A checkout pauses the sale (Listing.MEDIA_PUBLIC_STATES): no mark, no move, and
    # an unpaid deal's end puts the listing back on sale under the same URLs.
    listing = _publish(seller, mod)
    public = _names(listing)
    services.reserve_listing(listing_id=listing.pk)
    assert not ScreenshotMove.objects.filter(listing_id=listing.pk).exists()
    services.release_reservation(listing_id=listing.pk)
    assert not ScreenshotMove.objects.filter(listing_id=listing.pk).exists()
    assert _names(listing) == public
    assert all(client.get(f"/media/{n}").status_code == 200 for n in public)


@pytest.mark.django_db(transaction=True)
def test_the_release_jobs_sales_are_marked_at_once_and_moved_by_one_sweep(seller, mod, monkeypatch):
    from celery import current_app

    listings = [published(seller, mod, handle=f"@batch_{n}", screenshots=1) for n in range(3)]
    for listing in listings:
        sync_listing_media(listing_id=listing.pk)
        services.reserve_listing(listing_id=listing.pk)
    sent = []
    monkeypatch.setattr(current_app, "send_task", lambda name, **kw: sent.append(name))
    services.mark_sold_many(
        listing_ids=[listing.pk for listing in listings], reasons={}, now=timezone.now()
    )
    assert ScreenshotMove.objects.filter(pending=True).count() == 3
    assert sent == ["listings.sweep_media_moves"]  # one queue message for the batch
    assert sweep_media_moves() == 3
    for listing in listings:
        assert all(n.startswith(media.PRIVATE_PREFIX) for n in _names(listing))


@pytest.mark.django_db
def test_a_restored_listing_is_public_again_under_new_names(client, seller, mod):
    listing = _publish(seller, mod)
    first = _names(listing)
    services.remove_listing(actor=mod, listing_id=listing.pk, reason="mistake")
    sync_listing_media(listing_id=listing.pk)
    services.restore_listing(moderator=mod, listing_id=listing.pk, reason="appeal upheld")
    sync_listing_media(listing_id=listing.pk)
    again = _names(listing)
    assert all(n.startswith(media.PUBLIC_PREFIX) for n in again)
    assert not set(again) & set(first)  # the URLs from before the removal stay dead
    assert all(client.get(f"/media/{n}").status_code == 404 for n in first)
    assert all(client.get(f"/media/{n}").status_code == 200 for n in again)


# ------------------------------------------------------------ the move itself


@pytest.mark.django_db
def test_running_the_move_twice_is_harmless(seller, mod):
    listing = published(seller, mod, screenshots=2)
    assert sync_listing_media(listing_id=listing.pk) is True
    names = _names(listing)
    assert sync_listing_media(listing_id=listing.pk) is True
    assert _names(listing) == names
    assert all(default_storage.exists(n) for n in names)
    assert sweep_media_moves() == 0


@pytest.mark.django_db
def test_the_move_follows_the_current_state_not_the_one_it_was_asked_for(seller, mod):
    listing = _publish(seller, mod)
    services.remove_listing(actor=mod, listing_id=listing.pk, reason="x")
    services.restore_listing(moderator=mod, listing_id=listing.pk, reason="y")
    # Two moves were asked for (to private, back to public); the state is public.
    public = _names(listing)
    assert sync_listing_media(listing_id=listing.pk) is True
    assert _names(listing) == public  # already where the current state wants them
    services.remove_listing(actor=mod, listing_id=listing.pk, reason="z")
    assert sync_listing_media(listing_id=listing.pk) is True
    assert all(n.startswith(media.PRIVATE_PREFIX) for n in _names(listing))


@pytest.mark.django_db
def test_a_state_change_during_the_copy_is_followed(seller, mod, monkeypatch):
    """The state changes while the files are being copied: the copies are dropped
    and the move goes toward the new state."""
    listing = _publish(seller, mod)
    public = _names(listing)
    services.remove_listing(actor=mod, listing_id=listing.pk, reason="x")
    real_copy = media.copy_to
    calls = []

    def copy_then_restore(name, *, public, thumbnail):
        calls.append(public)
        if len(calls) == 1:  # the listing comes back while the first file is copied
            services.restore_listing(moderator=mod, listing_id=listing.pk, reason="y")
        return real_copy(name, public=public, thumbnail=thumbnail)

    monkeypatch.setattr(media, "copy_to", copy_then_restore)
    assert sync_listing_media(listing_id=listing.pk) is True
    assert _names(listing) == public  # public again, untouched
    assert all(default_storage.exists(n) for n in public)
    # The private copies made before the restore were deleted, not left behind.
    assert not ScreenshotMove.objects.filter(listing_id=listing.pk).exists()


@pytest.mark.django_db
def test_the_sweeper_runs_a_move_whose_task_was_lost(client, seller, mod):
    listing = _publish(seller, mod)
    public = _names(listing)
    services.remove_listing(actor=mod, listing_id=listing.pk, reason="x")  # task never ran
    assert sweep_media_moves() == 1
    assert all(client.get(f"/media/{n}").status_code == 404 for n in public)
    assert sweep_media_moves() == 0


@pytest.mark.django_db
def test_a_file_that_cannot_be_deleted_yet_is_kept_for_the_next_run(seller, mod, monkeypatch):
    listing = _publish(seller, mod)
    public = _names(listing)
    services.remove_listing(actor=mod, listing_id=listing.pk, reason="x")
    real_delete = type(default_storage._wrapped).delete

    def failing_delete(self, name):
        raise OSError("storage unavailable")

    monkeypatch.setattr(type(default_storage._wrapped), "delete", failing_delete)
    sync_listing_media(listing_id=listing.pk)
    mark = ScreenshotMove.objects.get(listing_id=listing.pk)
    assert set(mark.orphans) == set(public) and not mark.pending
    monkeypatch.setattr(type(default_storage._wrapped), "delete", real_delete)
    sweep_media_moves()
    assert not any(default_storage.exists(n) for n in public)
    assert not ScreenshotMove.objects.exists()


# ------------------------------------------------------------------ deletes


@pytest.mark.django_db(transaction=True)
def test_deleting_a_screenshot_or_a_listing_deletes_its_files_wherever_they_are(seller, mod):
    listing = _publish(seller, mod)
    shot = listing.screenshots.first()
    public = [shot.image.name, shot.thumbnail.name]
    services.delete_screenshot(seller=seller, listing_id=listing.pk, screenshot_id=shot.pk)
    assert not any(default_storage.exists(n) for n in public)

    private = _names(draft(seller, handle="@second"))
    Listing.objects.filter(seller=seller, state=State.DRAFT).delete()
    assert private and not any(private_storage().exists(n) for n in private)


@pytest.mark.django_db(transaction=True)
def test_closing_an_account_takes_its_listings_screenshots_out_of_public_media(seller, mod):
    from accounts.services import close_account

    listing = _publish(seller, mod)
    public = _names(listing)
    close_account(user=seller)
    sync_listing_media(listing_id=listing.pk)
    assert Listing.objects.get(pk=listing.pk).state == State.WITHDRAWN
    assert not any(default_storage.exists(n) for n in public)


# ------------------------------------------------------- existing files


@pytest.mark.django_db
def test_the_command_moves_files_uploaded_before_the_rule(seller, mod):
    from django.core.management import call_command

    listing = draft(seller, screenshots=2)
    # A file stored the old way: public media although the listing is a draft.
    shot = listing.screenshots.first()
    old = shot.image.name
    legacy = media.copy_to(old, public=True, thumbnail=False)
    ListingScreenshot.objects.filter(pk=shot.pk).update(image=legacy)
    live = _publish(seller, mod)

    call_command("sync_listing_media")

    assert not default_storage.exists(legacy)
    assert all(n.startswith(media.PRIVATE_PREFIX) for n in _names(listing))
    assert all(n.startswith(media.PUBLIC_PREFIX) for n in _names(live))
    names = _names(listing)
    call_command("sync_listing_media")  # idempotent
    assert _names(listing) == names


@pytest.mark.django_db
def test_the_migration_marks_the_public_files_of_listings_that_are_not_public(seller, mod):
    import importlib

    from django.apps import apps

    migration = importlib.import_module("listings.migrations.0010_screenshot_storage_sides")
    hidden = draft(seller)
    shot = hidden.screenshots.get()
    legacy = media.copy_to(shot.thumbnail.name, public=True, thumbnail=True)
    ListingScreenshot.objects.filter(pk=shot.pk).update(thumbnail=legacy)
    _publish(seller, mod)  # public files of a public listing: left alone
    ScreenshotMove.objects.all().delete()

    migration.mark_files_of_hidden_listings(apps, None)

    assert list(ScreenshotMove.objects.values_list("listing_id", flat=True)) == [hidden.pk]
    assert sweep_media_moves() == 1
    assert not default_storage.exists(legacy)
    assert all(n.startswith(media.PRIVATE_PREFIX) for n in _names(hidden))


# ------------------------------------------------------------ real worker


def _wait_for(predicate, timeout=20.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.1)
    return predicate()


@pytest.mark.worker
def test_the_worker_moves_the_files_after_each_change_of_visibility(celery_worker, seller, mod):
    client = Client()
    listing = published(seller, mod)
    assert _wait_for(lambda: all(n.startswith(media.PUBLIC_PREFIX) for n in _names(listing)))
    public = _names(listing)
    assert all(client.get(f"/media/{n}").status_code == 200 for n in public)

    services.remove_listing(actor=mod, listing_id=listing.pk, reason="LST-03")
    assert _wait_for(lambda: all(n.startswith(media.PRIVATE_PREFIX) for n in _names(listing)))
    assert _wait_for(lambda: not ScreenshotMove.objects.filter(listing_id=listing.pk).exists())
    assert all(client.get(f"/media/{n}").status_code == 404 for n in public)


# ------------------------------------------------- cards and the moderators


@pytest.mark.django_db
def test_a_watched_listing_taken_down_shows_no_image_on_the_buyers_card(client, seller, mod):
    from django.utils import timezone

    from listings.watch import watch_listing

    listing = _publish(seller, mod)
    buyer = VerifiedUserFactory()
    watch_listing(user=buyer, listing_id=listing.pk, now=timezone.now())
    client.force_login(buyer)
    assert "/media/listings/thumbs/" in client.get("/watchlist/").content.decode()
    services.remove_listing(actor=mod, listing_id=listing.pk, reason="x")
    sync_listing_media(listing_id=listing.pk)
    html = client.get("/watchlist/").content.decode()
    assert "listing-thumb-empty" in html  # the placeholder, not a broken image
    assert "/media/" not in html and "/screenshots/" not in html


@pytest.mark.django_db
def test_the_moderators_list_shows_a_drafts_cover_through_the_view(client, seller, mod):
    listing = draft(seller)
    shot = listing.screenshots.get()
    force_login_with_second_factor(client, mod)
    html = client.get("/admin/listings/listing/").content.decode()
    assert _view(listing, shot, "thumb") in html
    assert client.get(_view(listing, shot, "thumb")).status_code == 200


# ------------------------------------------------------------ cached pages


@pytest.mark.django_db(transaction=True)
def test_cached_pages_follow_a_move_of_the_files(settings, seller, mod):
    """The fragment caches keep rendered HTML: a move (new names, another side) is a
    change they show, so the catalogue, the home page and the listing page (parts
    and the anonymous visitor's whole page) are rendered afresh after it."""
    from django.core.cache import cache

    from listings import fragments

    settings.FRAGMENT_CACHE = True
    cache.delete_many([fragments.GEN_KEY, fragments.ALL_KEY])
    client = Client()
    listing = published(seller, mod)  # the move has not run: the view's URLs
    shot = listing.screenshots.get()
    pages = (f"/listings/{listing.pk}/", "/listings/", "/")
    for _ in range(3):  # the listing page keeps the anonymous page on its second view
        for path in pages:
            assert _view(listing, shot, "thumb") in client.get(path).content.decode()

    sync_listing_media(listing_id=listing.pk)
    shot.refresh_from_db()
    for path in pages:
        html = client.get(path).content.decode()
        assert f"/media/{shot.thumbnail.name}" in html, path
        assert "/screenshots/" not in html, path
