"""A buyer's watchlist and saved searches; the job that e-mails a saved search's
new matches (once, even when two runs overlap; retried when the mail server fails)."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from django.core import mail
from django.db import connection
from django.utils import timezone

from listings import watch
from listings.exceptions import WatchError
from listings.models import Listing, SavedSearch, WatchedListing
from tests.factories import ListingFactory, UserFactory, VerifiedUserFactory
from tests.listings.helpers import published
from tests.mail import send_outbox

pytestmark = pytest.mark.django_db
State = Listing.State


def test_a_buyer_watches_and_unwatches_a_listing_from_its_page(client):
    buyer = UserFactory()
    listing = ListingFactory(seller=VerifiedUserFactory(), title="Retro gaming channel")
    client.force_login(buyer)
    page = client.get(f"/listings/{listing.pk}/").content.decode()
    assert "Add to watchlist" in page
    client.post(f"/listings/{listing.pk}/watch/")
    client.post(f"/listings/{listing.pk}/watch/")  # a double click: still one row
    assert WatchedListing.objects.filter(user=buyer, listing=listing).count() == 1
    assert "On your watchlist" in client.get(f"/listings/{listing.pk}/").content.decode()
    assert "Retro gaming channel" in client.get("/watchlist/").content.decode()
    client.post(f"/listings/{listing.pk}/watch/", {"action": "remove"})
    assert not WatchedListing.objects.exists()


def test_unlisted_and_own_listings_cannot_be_watched(client):
    seller = VerifiedUserFactory()
    draft = ListingFactory(seller=seller, state=State.DRAFT, published_at=None)
    own = ListingFactory(seller=seller)
    with pytest.raises(WatchError):
        watch.watch_listing(user=UserFactory(), listing_id=draft.pk, now=timezone.now())
    with pytest.raises(WatchError):
        watch.watch_listing(user=seller, listing_id=own.pk, now=timezone.now())
    client.force_login(UserFactory())
    response = client.post(f"/listings/{draft.pk}/watch/", follow=True)
    assert response.status_code in (200, 404)  # never a 500
    assert not WatchedListing.objects.exists()


def test_watchlist_pages_need_login_and_show_only_ones_own(client):
    assert client.get("/watchlist/").status_code == 302
    alice, bob = UserFactory(), UserFactory()
    listing = ListingFactory(seller=VerifiedUserFactory(), title="Alice watches this")
    watch.watch_listing(user=alice, listing_id=listing.pk, now=timezone.now())
    search = watch.save_search(user=alice, params="q=gaming", now=timezone.now())
    client.force_login(bob)
    page = client.get("/watchlist/").content.decode()
    assert "Alice watches this" not in page and "gaming" not in page
    client.post(f"/listings/saved-searches/{search.pk}/", {"action": "delete"})
    assert SavedSearch.objects.filter(pk=search.pk).exists()  # not Bob's to delete


def test_saving_a_search_keeps_its_filters_canonical_and_once(client):
    buyer = UserFactory()
    client.force_login(buyer)
    client.post(
        "/listings/saved-searches/",
        {"query": "platform=tiktok&q=gaming&page=3&platform=youtube&min_price=abc"},
    )
    client.post("/listings/saved-searches/", {"query": "q=gaming&platform=youtube&platform=tiktok"})
    search = SavedSearch.objects.get(user=buyer)
    assert search.query == "q=gaming&platform=tiktok&platform=youtube"
    page = client.get("/watchlist/").content.decode()
    assert "“gaming”" in page and "TikTok, YouTube" in page
    response = client.post("/listings/saved-searches/", {"query": "page=2"}, follow=True)
    assert "nothing to save yet" in response.content.decode()
    assert SavedSearch.objects.count() == 1


def test_a_new_matching_listing_is_emailed_once(settings):
    buyer = UserFactory(email="buyer@example.com")
    seller = VerifiedUserFactory()
    start = timezone.now() - timedelta(hours=1)
    published(seller, title="Old gaming channel", niche="gaming", handle="@ux_h1")
    search = watch.save_search(user=buyer, params="q=gaming", now=timezone.now())
    assert watch.send_saved_search_alerts(now=timezone.now()) == 0  # nothing new yet
    new = published(seller, title="Fresh gaming channel", niche="gaming", handle="@ux_h2")
    published(seller, title="Cooking with Lin", niche="food", handle="@ux_h3")  # does not match
    mail.outbox.clear()
    later = timezone.now() + timedelta(seconds=1)
    assert watch.send_saved_search_alerts(now=later) == 1
    send_outbox()
    assert len(mail.outbox) == 1
    body = mail.outbox[0].body
    assert "Fresh gaming channel" in body and f"/listings/{new.pk}/" in body
    assert "Old gaming channel" not in body and "Cooking" not in body
    assert "/watchlist/" in body
    assert watch.send_saved_search_alerts(now=later + timedelta(minutes=5)) == 0
    send_outbox()
    assert len(mail.outbox) == 1
    search.refresh_from_db()
    assert search.checked_at > start


def test_alerts_off_sends_nothing_and_turning_them_on_starts_from_now(client):
    buyer = UserFactory()
    seller = VerifiedUserFactory()
    search = watch.save_search(user=buyer, params="platform=youtube", now=timezone.now())
    client.force_login(buyer)
    client.post(f"/listings/saved-searches/{search.pk}/", {"action": "alerts_off"})
    ListingFactory(seller=seller, platform="youtube", published_at=timezone.now())
    assert watch.send_saved_search_alerts(now=timezone.now() + timedelta(seconds=1)) == 0
    client.post(f"/listings/saved-searches/{search.pk}/", {"action": "alerts_on"})
    assert watch.send_saved_search_alerts(now=timezone.now() + timedelta(seconds=1)) == 0
    send_outbox()
    assert not mail.outbox


def test_a_mail_outage_delays_the_alert_and_loses_nothing(settings):
    buyer = UserFactory(email="patient@example.com")
    watch.save_search(user=buyer, params="platform=youtube", now=timezone.now())
    ListingFactory(
        seller=VerifiedUserFactory(),
        platform="youtube",
        title="Travel diaries",
        published_at=timezone.now() + timedelta(seconds=1),
    )
    settings.EMAIL_BACKEND = "tests.kernel.test_outbox.DownMailServer"
    settings.EMAIL_RETRY_SECONDS = 0
    first = timezone.now() + timedelta(seconds=2)
    assert watch.send_saved_search_alerts(now=first) == 1  # queued in the outbox
    send_outbox()  # the mail server refuses: the row waits
    assert not mail.outbox
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    assert watch.send_saved_search_alerts(now=first + timedelta(seconds=1)) == 0  # not twice
    send_outbox()
    assert [m.to for m in mail.outbox] == [["patient@example.com"]]
    assert "Travel diaries" in mail.outbox[0].body


@pytest.mark.django_db(transaction=True)
def test_two_overlapping_runs_send_each_alert_once():
    buyers = [UserFactory() for _ in range(6)]
    for buyer in buyers:
        watch.save_search(user=buyer, params="platform=youtube", now=timezone.now())
    ListingFactory(
        seller=VerifiedUserFactory(),
        platform="youtube",
        published_at=timezone.now() + timedelta(seconds=1),
    )
    later = timezone.now() + timedelta(seconds=2)
    counts = []
    mail.outbox.clear()

    def run():
        try:
            counts.append(watch.send_saved_search_alerts(now=later))
        finally:
            connection.close()

    threads = [threading.Thread(target=run) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sum(counts) == 6
    send_outbox()
    assert len(mail.outbox) == 6


def test_the_job_keeps_its_query_count(django_assert_max_num_queries):
    seller = VerifiedUserFactory()
    for n in range(10):
        watch.save_search(user=UserFactory(), params=f"min_followers={n}", now=timezone.now())
    ListingFactory(seller=seller, published_at=timezone.now() + timedelta(seconds=1))
    # per search: its matches, the claim, the e-mail row and the savepoint pair
    with django_assert_max_num_queries(1 + 10 * 5):
        assert watch.send_saved_search_alerts(now=timezone.now() + timedelta(seconds=2)) == 10


def test_the_watchlist_is_in_the_navigation_in_both_languages(client):
    client.force_login(UserFactory())
    assert 'href="/watchlist/"' in client.get("/").content.decode()
    client.cookies["django_language"] = "zh-hans"
    page = client.get("/watchlist/").content.decode()
    assert "关注" in page and "保存的搜索" in page


def test_a_search_too_long_to_save_is_refused_with_a_message(client):
    client.force_login(UserFactory())
    platforms = "&".join(f"platform={p}" for p in ("youtube", "tiktok", "douyin", "x"))
    query = f"q={'美' * 100}&{platforms}&min_price=1&max_price=999999&min_followers=1"
    response = client.post("/listings/saved-searches/", {"query": query * 3}, follow=True)
    assert response.status_code == 200
    assert SavedSearch.objects.count() <= 1  # saved (cut) or refused, never a 500


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_the_beat_job_runs_in_a_real_worker_and_sends_the_alert(celery_worker):
    import time

    from listings.tasks import send_saved_search_alerts_task

    buyer = UserFactory(email="watcher@example.com")
    watch.save_search(user=buyer, params="platform=tiktok", now=timezone.now())
    ListingFactory(
        seller=VerifiedUserFactory(),
        platform="tiktok",
        title="Dance clips",
        published_at=timezone.now() + timedelta(seconds=1),
    )
    mail.outbox.clear()
    later = timezone.now() + timedelta(seconds=2)
    send_saved_search_alerts_task.delay(now=later.isoformat())
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline and not mail.outbox:
        time.sleep(0.1)
        send_outbox()  # beat's outbox job, once the worker has queued the alert
    assert [m.to for m in mail.outbox] == [["watcher@example.com"]]
    assert "Dance clips" in mail.outbox[0].body
