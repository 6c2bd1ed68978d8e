"""Two runs of a job at once report only what each did (issue 18, item 13).

Each job's number is the rows that run itself moved under its lock, so two
overlapping runs add up to the number of rows, never more ("refunds 3 + 5 for 6
deals" was a run counting deals the other run had just handled). Real PostgreSQL
row locks, two threads released together by a barrier.
"""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from django.conf import settings
from django.db import close_old_connections, connection

from escrow import services, tasks
from escrow.models import Deal, Payout, Refund
from tests.factories import ListingFactory, VerifiedUserFactory

from .conftest import accepted_deal, after_protection, connect_seller, hand_over, open_and_pay

pytestmark = pytest.mark.django_db(transaction=True)

N = 8


@pytest.fixture(autouse=True)
def _postgres_only():
    if connection.vendor != "postgresql":
        pytest.skip("row-lock behaviour is tested on PostgreSQL")


def _twice_at_once(job, **kwargs) -> list[int]:
    """Run ``job(**kwargs)`` in two threads at the same moment; their results."""
    barrier = threading.Barrier(2)
    results: list = [None, None]
    errors: list[BaseException] = []

    def run(i):
        try:
            barrier.wait()
            results[i] = job(**kwargs)
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)
        finally:
            close_old_connections()
            connection.close()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    assert errors == []
    return results


def _deals(make, now, *, connected=False):
    deals = []
    for _ in range(N):
        seller = VerifiedUserFactory()
        if connected:
            connect_seller(seller)
        listing = ListingFactory(seller=seller, price=150_000, platform="youtube")
        deals.append(make(VerifiedUserFactory(), listing, now))
    return deals


def _pending(buyer, listing, now):
    return services.open_deal(buyer=buyer, listing_id=listing.pk, now=now)


def _delivered(buyer, listing, now):
    deal = open_and_pay(buyer, listing, now)
    hand_over(deal, now)
    return deal


def test_two_expiry_runs_add_up_to_the_deals(now):
    _deals(_pending, now)
    later = now + settings.PAYMENT_WINDOW + timedelta(seconds=1)
    counts = _twice_at_once(tasks.expire_unpaid_deals, now=later.isoformat())
    assert Deal.objects.filter(state="CANCELLED").count() == N
    assert sum(counts) == N, counts


def test_two_refund_runs_add_up_to_the_deals(now):
    _deals(open_and_pay, now)
    later = now + settings.DELIVERY_DEADLINE + timedelta(seconds=1)
    counts = _twice_at_once(tasks.refund_undelivered_deals, now=later.isoformat())
    assert Deal.objects.filter(state="REFUNDED").count() == N
    assert sum(counts) == N, counts


def test_two_refund_executions_add_up_to_the_refunds(now):
    deals = _deals(open_and_pay, now)
    later = now + settings.DELIVERY_DEADLINE + timedelta(seconds=1)
    for deal in deals:
        services.refund_undelivered(deal_id=deal.pk, now=later)
    counts = _twice_at_once(tasks.execute_due_refunds, now=later.isoformat())
    assert Refund.objects.filter(status="succeeded").count() == N
    assert sum(counts) == N, counts


def test_two_acceptance_runs_add_up_to_the_deals(now):
    _deals(_delivered, now)
    later = now + settings.INSPECTION_PERIOD + timedelta(seconds=1)
    counts = _twice_at_once(tasks.accept_after_inspection, now=later.isoformat())
    assert Deal.objects.filter(state="ACCEPTED").count() == N
    assert sum(counts) == N, counts


def test_two_release_runs_add_up_to_the_deals(now):
    _deals(accepted_deal, now, connected=True)
    later = after_protection(now)
    counts = _twice_at_once(tasks.release_after_protection, now=later.isoformat())
    assert Deal.objects.filter(state="RELEASED").count() == N
    assert sum(counts) == N, counts


def test_two_payout_runs_add_up_to_the_payouts(now):
    deals = _deals(accepted_deal, now, connected=True)
    later = after_protection(now)
    for deal in deals:
        services.release_deal(deal_id=deal.pk, now=later)
    counts = _twice_at_once(tasks.execute_due_payouts, now=later.isoformat())
    assert Payout.objects.filter(status="paid").count() == N
    assert sum(counts) == N, counts


def test_two_reminder_runs_add_up_to_the_deals(now):
    _deals(open_and_pay, now)
    soon = now + settings.DELIVERY_DEADLINE - timedelta(hours=1)
    counts = _twice_at_once(tasks.send_deadline_reminders, now=soon.isoformat())
    assert sum(counts) == N, counts


def test_two_verification_expiry_runs_add_up_to_the_users():
    from django.utils import timezone

    from accounts.models import IdentityVerification
    from accounts.tasks import process_verification_expiry

    for _ in range(N):
        VerifiedUserFactory()
    ended = timezone.now() + timedelta(days=settings.VERIFICATION_VALIDITY_DAYS + 1)
    counts = _twice_at_once(process_verification_expiry, now=ended.isoformat())
    assert IdentityVerification.objects.filter(state="expired").count() == N
    assert sum(c["expired"] for c in counts) == N, counts


def test_two_reconciliations_at_once_record_and_report_each_difference_once(now, settings):
    from accounts.models import Email
    from escrow.models import ReconciliationDifference, SimPaymentIntent, SimRefund

    settings.OPERATOR_EMAILS = ["ops@example.com"]
    deals = _deals(open_and_pay, now)
    pi = SimPaymentIntent.objects.get(pk=deals[0].payment.provider_ref)
    SimRefund.objects.create(
        id="re_sim_injected", payment_intent=pi, amount=500, metadata={}, created_at=now
    )
    later = now + timedelta(hours=1)
    _twice_at_once(tasks.reconcile, now=later.isoformat())  # neither run fails
    assert ReconciliationDifference.objects.filter(resolved_at__isnull=True).count() == 1
    alerts = Email.objects.filter(subject__contains="new difference")
    assert alerts.count() == 1


def test_two_governance_runs_add_up_to_the_rows(now):
    """The penalty jobs (already counting rows they locked, SKIP LOCKED): points
    expiring and sanctions ending, two runs at once."""
    from governance import tasks as governance_tasks
    from governance.models import Sanction, Violation
    from tests.governance.conftest import confirm, make_moderator

    moderator = make_moderator()
    for _ in range(N):
        # A warning (S2, 3 points): a sanction that ends and points that expire.
        confirm(user=VerifiedUserFactory(), rule="BEH-07", moderator=moderator, now=now)
    ended = Sanction.objects.filter(ends_at__isnull=False).count()
    assert ended > 0
    later = now + timedelta(days=400)

    counts = _twice_at_once(governance_tasks.expire_points, now=later.isoformat())
    assert sum(counts) == Violation.objects.filter(points_expired_noted=True).count() == N
    counts = _twice_at_once(governance_tasks.lift_expired_sanctions, now=later.isoformat())
    assert sum(counts) == ended
