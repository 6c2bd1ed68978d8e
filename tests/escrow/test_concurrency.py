"""On PostgreSQL, with real row locks: races and crashed workers."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from django.db import close_old_connections, connection

from escrow import services
from escrow.exceptions import EscrowError
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
