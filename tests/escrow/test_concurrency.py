"""On PostgreSQL, with real row locks: races and crashed workers."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from django.db import close_old_connections, connection, transaction

from escrow import services
from escrow.exceptions import EscrowError, TooManyUnpaidDeals
from escrow.gateways import simulated
from escrow.gateways.simulated import provider_totals
from escrow.models import Deal, Payment, Payout, SimPaymentIntent, SimTransfer
from tests.factories import ListingFactory, VerifiedUserFactory

from .conftest import accepted_deal, after_protection, connect_seller

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(autouse=True)
def _postgres_only():
    if connection.vendor != "postgresql":
        pytest.skip("row-lock behaviour is tested on PostgreSQL")


def _run_threads(target, n):
    barrier = threading.Barrier(n)
    errors: list[BaseException] = []

    def wrapped(i):
        try:
            barrier.wait()
            target(i)
        except EscrowError:
            pass
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)
        finally:
            close_old_connections()
            connection.close()

    threads = [threading.Thread(target=wrapped, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    return errors


def test_twenty_buyers_race_for_one_listing_one_deal_one_payment(now):
    listing = ListingFactory(seller=VerifiedUserFactory())
    buyers = [VerifiedUserFactory() for _ in range(20)]

    def buy(i):
        deal = services.open_deal(buyer=buyers[i], listing_id=listing.pk, now=now)
        services.prepare_payment(deal_id=deal.pk, now=now)

    errors = _run_threads(buy, 20)

    assert errors == []
    assert Deal.objects.count() == 1
    assert Payment.objects.count() == 1
    assert SimPaymentIntent.objects.count() == 1
    listing.refresh_from_db()
    assert listing.state == "RESERVED"


def _checkout_waiting_for(buyer, listing_id, now) -> tuple[threading.Thread, list]:
    """Start ``open_deal`` in a thread; it blocks on the buyer's row lock, which the
    caller holds. Returns the thread and where its outcome lands (a deal or an error)."""
    outcome: list = []

    def run():
        try:
            outcome.append(services.open_deal(buyer=buyer, listing_id=listing_id, now=now))
        except EscrowError as exc:
            outcome.append(exc)
        finally:
            connection.close()

    thread = threading.Thread(target=run)
    thread.start()
    thread.join(0.5)
    assert thread.is_alive(), "the second checkout should wait for the buyer's lock"
    return thread, outcome


def test_a_buyers_checkout_waiting_for_another_sees_its_deal_and_the_cap(now, settings):
    settings.MAX_UNPAID_DEALS = 1
    buyer = VerifiedUserFactory()
    first, second = (ListingFactory(seller=VerifiedUserFactory()) for _ in range(2))
    with transaction.atomic():  # the first checkout, still holding the buyer's lock
        services.open_deal(buyer=buyer, listing_id=first.pk, now=now)
        thread, outcome = _checkout_waiting_for(buyer, second.pk, now)
    thread.join(30)
    # It read the unpaid deals after the lock: the first deal counts against the cap.
    assert len(outcome) == 1 and isinstance(outcome[0], TooManyUnpaidDeals), outcome
    assert Deal.objects.filter(buyer=buyer).count() == 1
    second.refresh_from_db()
    assert second.state == "PUBLISHED"


def test_a_double_click_waiting_for_the_first_gets_the_same_deal(now):
    buyer = VerifiedUserFactory()
    listing = ListingFactory(seller=VerifiedUserFactory())
    with transaction.atomic():
        deal = services.open_deal(buyer=buyer, listing_id=listing.pk, now=now)
        thread, outcome = _checkout_waiting_for(buyer, listing.pk, now)
    thread.join(30)
    assert len(outcome) == 1 and getattr(outcome[0], "pk", None) == deal.pk, outcome
    assert Deal.objects.filter(buyer=buyer).count() == 1


def test_the_release_job_run_twice_at_once_makes_one_transfer(now):
    buyer = VerifiedUserFactory()
    listing = ListingFactory(seller=VerifiedUserFactory())
    connect_seller(listing.seller)
    deal = accepted_deal(buyer, listing, now)
    later = after_protection(now)
    from escrow import tasks

    errors = _run_threads(lambda i: tasks.release_after_protection(now=later.isoformat()), 2)

    assert errors == []
    deal.refresh_from_db()
    assert deal.state == Deal.State.RELEASED
    assert Payout.objects.count() == 1
    assert SimTransfer.objects.count() == 1
    assert Payout.objects.get().status == Payout.Status.PAID


class WorkerDied(BaseException):
    """Stands for the process dying: not an Exception, nothing catches it."""


@pytest.mark.parametrize("gap", [timedelta(minutes=30), timedelta(hours=25)])
def test_worker_dying_after_the_transfer_never_pays_twice(now, gap, monkeypatch):
    buyer = VerifiedUserFactory()
    listing = ListingFactory(seller=VerifiedUserFactory())
    connect_seller(listing.seller)
    deal = accepted_deal(buyer, listing, now)
    later = after_protection(now)
    services.release_deal(deal_id=deal.pk, now=later)
    payout = Payout.objects.get(deal=deal)

    # The provider performs the transfer, then the worker dies before recording it.
    real_transfer = simulated.SimulatedGateway.transfer

    def transfer_then_die(self, **kwargs):
        real_transfer(self, **kwargs)
        raise WorkerDied

    monkeypatch.setattr(simulated.SimulatedGateway, "transfer", transfer_then_die)
    with pytest.raises(WorkerDied):
        services.execute_payout(payout_id=payout.pk, now=later)
    monkeypatch.undo()
    payout.refresh_from_db()
    assert payout.status == Payout.Status.REQUESTED  # outcome unknown to us
    assert SimTransfer.objects.count() == 1

    # A retry soon after is held back (the attempt may still be running) …
    services.execute_payout(payout_id=payout.pk, now=later + timedelta(minutes=1))
    assert SimTransfer.objects.count() == 1
    # … and after the gap (past 24 h the provider has forgotten the key) it finds
    # the transfer by metadata instead of sending a second one.
    from escrow import tasks

    tasks.execute_due_payouts(now=(later + gap).isoformat())
    payout.refresh_from_db()
    assert payout.status == Payout.Status.PAID
    assert SimTransfer.objects.count() == 1
    assert provider_totals()["transferred"] == deal.price


def _hold_lock_in_another_connection(sql, params, held, done):
    """Another worker: lock a row and keep it until ``done`` is set."""
    from django.db import transaction

    try:
        with transaction.atomic():
            with connection.cursor() as cursor:
                cursor.execute(sql, params)
            held.set()
            done.wait(30)
    finally:
        connection.close()


LOCK_ROW = {
    "escrow_deal": "SELECT id FROM escrow_deal WHERE id = %s FOR UPDATE",
    "listings_listing": "SELECT id FROM listings_listing WHERE id = %s FOR UPDATE",
}


@pytest.mark.parametrize("table", sorted(LOCK_ROW))
def test_the_release_batch_skips_rows_another_worker_holds_without_waiting(now, table):
    first = accepted_deal(VerifiedUserFactory(), ListingFactory(seller=VerifiedUserFactory()), now)
    second = accepted_deal(VerifiedUserFactory(), ListingFactory(seller=VerifiedUserFactory()), now)
    held_id = first.pk if table == "escrow_deal" else first.listing_id
    held, done = threading.Event(), threading.Event()
    other = threading.Thread(
        target=_hold_lock_in_another_connection,
        args=(LOCK_ROW[table], [held_id], held, done),
    )
    other.start()
    try:
        assert held.wait(10)
        later = after_protection(now)
        # Returns at once (SKIP LOCKED never waits) with the deal nobody holds.
        assert services.release_due_deals(now=later, limit=10) == [second.pk]
        first.refresh_from_db()
        assert first.state == Deal.State.ACCEPTED
    finally:
        done.set()
        other.join(10)
    # Once the other worker lets go, the next run takes it.
    assert services.release_due_deals(now=later, limit=10) == [first.pk]


def test_two_release_workers_take_disjoint_batches_and_release_each_deal_once(now):
    from escrow import ledger, tasks
    from escrow.models import DealEvent

    deals = [
        accepted_deal(VerifiedUserFactory(), ListingFactory(seller=VerifiedUserFactory()), now)
        for _ in range(8)
    ]
    later = after_protection(now)
    released: list[list[int]] = [[], []]

    def worker(i):
        while batch := services.release_due_deals(now=later, limit=3):
            released[i].extend(batch)

    errors = _run_threads(worker, 2)

    assert errors == []
    assert sorted(released[0] + released[1]) == sorted(d.pk for d in deals)
    assert not set(released[0]) & set(released[1])
    assert DealEvent.objects.filter(kind="released").count() == 8
    assert Payout.objects.count() == 8
    assert ledger.unbalanced_transactions() == []
    assert sum(ledger.trial_balance().values()) == 0
    assert tasks.release_after_protection(now=later.isoformat()) == 0
