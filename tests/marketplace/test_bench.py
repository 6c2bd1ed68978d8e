"""The benchmark's plumbing (bench/): no timings here, only that it works.

- the ceiling page is routed only when BENCH_ENDPOINTS is on;
- the bench scripts import;
- the EXPLAIN step captures the catalogue's SQL with the fragment cache on;
- a due deal written in bulk by bench.fixtures leaves the same rows as one built
  through the services, and the real release job releases it with balanced books.
"""

from __future__ import annotations

import importlib
import os
from datetime import timedelta

import pytest
from django.conf import settings
from django.urls import clear_url_caches
from django.utils import timezone

from escrow import services
from escrow.models import Deal, DealEvent, Handover, LedgerEntry, Payment
from listings.models import Listing, ListingEvent
from marketplace.ceiling import CEILING_HTML
from tests.escrow.conftest import accepted_deal, connect_seller
from tests.escrow.protection_helpers import settle_enqueued
from tests.factories import ListingFactory, VerifiedUserFactory


def _reload_urls():
    import marketplace.urls

    importlib.reload(marketplace.urls)
    clear_url_caches()


@pytest.mark.django_db
def test_ceiling_answers_only_when_enabled(client, settings):
    settings.BENCH_ENDPOINTS = True
    _reload_urls()
    try:
        response = client.get("/_bench/ceiling")
        assert response.status_code == 200
        assert response.content == CEILING_HTML
        assert "Content-Security-Policy" in response.headers  # behind the same middleware
    finally:
        settings.BENCH_ENDPOINTS = False
        _reload_urls()
    assert client.get("/_bench/ceiling").status_code == 404


def test_bench_scripts_import():
    for name in (
        "bench.run",
        "bench.jobs",
        "bench.fixtures",
        "bench.web",
        "bench.explain",
        "bench.inprocess",
        "bench.checkout_load",
    ):
        importlib.import_module(name)
    from bench.jobs import message_corpus
    from bench.run import catalogue_urls

    assert len(set(catalogue_urls())) == 40
    assert len(message_corpus(10)) == 10


def test_checkout_load_counts_cpu_per_request_by_kind_of_process():
    from bench.checkout_load import cpu_per_request, cpu_seconds

    before = {("gunicorn", "1"): 1.0, ("gunicorn", "2"): 2.0, ("postgres", "3"): 0.5}
    after = {
        ("gunicorn", "1"): 1.5,
        ("gunicorn", "2"): 2.25,
        ("postgres", "3"): 0.75,
        ("postgres", "4"): 0.25,  # a backend that started during the run
    }
    assert cpu_per_request(before, after, 250) == {"gunicorn": 3.0, "postgres": 2.0}
    own = [seconds for (kind, pid), seconds in cpu_seconds().items() if pid == str(os.getpid())]
    assert len(own) == 1 and own[0] > 0  # this process, read from /proc


def _shape(deal: Deal) -> dict:
    return {
        "state": deal.state,
        "events": list(deal.events.order_by("id").values_list("from_state", "to_state", "kind")),
        "payment": Payment.objects.filter(deal=deal).values_list("status", "amount").get(),
        "handover": Handover.objects.filter(deal=deal).exists(),
        "ledger": sorted(
            LedgerEntry.objects.filter(deal=deal).values_list("transaction__kind", "account")
        ),
        "listing": Listing.objects.get(pk=deal.listing_id).state,
        "listing_events": list(
            ListingEvent.objects.filter(listing_id=deal.listing_id)
            .order_by("id")
            .values_list("from_state", "to_state")
        )[-1:],
    }


@pytest.mark.django_db(transaction=True)
def test_bulk_due_deal_matches_services_and_releases(monkeypatch):
    from bench import fixtures
    from bench.jobs import check_release, release_worker

    now = timezone.now().replace(microsecond=0)
    seller = VerifiedUserFactory()
    buyer = VerifiedUserFactory()
    connect_seller(seller)
    made = accepted_deal(buyer, ListingFactory(seller=seller), now - timedelta(days=11))
    bulk_listing = ListingFactory(seller=seller, price=made.price)
    [bulk_id] = fixtures.build_due_deals(
        listing_ids=[bulk_listing.pk], buyer_ids=[buyer.pk], now=now
    )
    bulk = Deal.objects.get(pk=bulk_id)
    assert bulk.due_at <= now
    assert _shape(bulk) == _shape(Deal.objects.get(pk=made.pk))

    report = release_worker(now.isoformat())
    assert report["release"]["counted"] == 2
    assert report["release"]["queries"] > 0
    # The release also enqueues one payout task per payout on commit; the session's
    # real worker may be sending one while the job's payout phase skips it as in
    # flight. Let the worker finish before the books are checked.
    for deal_id in (made.pk, bulk_id):
        settle_enqueued(Deal.objects.get(pk=deal_id))
    check = check_release([made.pk, bulk_id])
    assert check["ok"], check
    assert DealEvent.objects.filter(deal_id=bulk_id, kind="released").count() == 1
    assert services.due_deals(Deal.State.ACCEPTED, now, 10) == []
    assert settings.BENCH_ENDPOINTS is False


@pytest.mark.django_db
def test_explain_sees_the_catalogue_sql_even_when_the_fragment_cache_is_on(client, settings):
    from django.core.cache import cache

    from bench.explain import explain_url

    settings.FRAGMENT_CACHE = True  # as in production with Redis
    ListingFactory()
    try:
        assert client.get("/listings/").status_code == 200  # now cached
        out = explain_url("/listings/")
    finally:
        cache.clear()
    assert out["status"] == 200
    assert out["statements"], "the catalogue's SQL was not captured"
    assert all("Execution Time" in s["plan"] for s in out["statements"])


@pytest.mark.django_db
def test_inprocess_skips_a_listing_taken_since_it_was_sampled_and_stops_on_a_5xx(client):
    from django.http import HttpResponse

    from bench import inprocess, traffic

    listings = [ListingFactory() for _ in range(3)]
    paths = traffic.listing_paths(traffic.all_published_ids())
    Listing.objects.filter(pk=listings[1].pk).update(state=Listing.State.RESERVED)
    figures = inprocess._timed(client, paths, warm=0)
    assert figures["timed"] == 2 and figures["skipped"] == {404: 1}
    assert figures["statements"] > 0 and figures["wall_ms"] > 0
    assert inprocess._skipped_note(figures) == ", 1 skipped (HTTP 404 ×1)"
    assert inprocess._skipped_note(inprocess._timed(client, paths[:1], warm=0)) == ""

    with pytest.raises(RuntimeError, match="HTTP 503"):
        inprocess._measure(["/x"], lambda path: HttpResponse(status=503))
