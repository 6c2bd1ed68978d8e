"""Handover credentials are blanked CREDENTIAL_RETENTION_DAYS after the deal ended;
the deal, its events and its ledger entries stay."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.conf import settings

from accounts.models import AuditEntry
from escrow import ledger, tasks
from escrow.models import Deal, Handover, LedgerEntry
from escrow.retention import erase_expired_credentials
from escrow.tasks import erase_expired_credentials_task
from tests.factories import ListingFactory, VerifiedUserFactory

from .conftest import accepted_deal, after_protection, connect_seller, hand_over, open_and_pay

pytestmark = pytest.mark.django_db


def test_credentials_are_erased_after_the_retention_period_and_only_once(buyer, listing, now):
    connect_seller(listing.seller)
    released = accepted_deal(buyer, listing, now)
    ended = after_protection(now)
    assert tasks.release_after_protection(now=ended.isoformat()) == 1
    released.refresh_from_db()
    assert released.state == Deal.State.RELEASED and released.closed_at == ended
    open_deal = open_and_pay(
        VerifiedUserFactory(), ListingFactory(seller=VerifiedUserFactory()), now
    )
    hand_over(open_deal, now)  # DELIVERED: still needed, never erased
    entries = LedgerEntry.objects.count()
    retention = timedelta(days=settings.CREDENTIAL_RETENTION_DAYS)

    assert erase_expired_credentials(now=ended + retention - timedelta(seconds=1)) == 0
    assert erase_expired_credentials_task(now=(ended + retention).isoformat()) == 1

    handover = Handover.objects.get(deal=released)
    assert (handover.login, handover.password, handover.recovery, handover.notes) == ("",) * 4
    assert Handover.objects.get(deal=open_deal).password == "s3cret-pass"
    released.refresh_from_db()
    assert released.state == Deal.State.RELEASED
    assert LedgerEntry.objects.count() == entries and ledger.unbalanced_transactions() == []
    assert AuditEntry.objects.filter(
        action="escrow.credentials_erased", target_id=str(released.pk)
    ).exists()
    assert erase_expired_credentials(now=ended + retention * 3) == 0  # idempotent


def _in_another_connection(job):
    import threading

    from django.db import connection

    result = {}

    def run():
        try:
            result["value"] = job()
        finally:
            connection.close()

    thread = threading.Thread(target=run)
    thread.start()
    thread.join(60)
    return result.get("value")


@pytest.mark.django_db(transaction=True)
def test_the_job_skips_a_handover_locked_elsewhere_and_never_locks_the_deal(buyer, listing, now):
    """The walk locks only the handover row: a deal held by settlement elsewhere
    does not hold the erasure up, and a handover locked elsewhere waits for the
    next run (SKIP LOCKED), without blocking this one."""
    from django.db import connection, transaction

    if connection.vendor != "postgresql":
        pytest.skip("row-lock behaviour is tested on PostgreSQL")
    connect_seller(listing.seller)
    released = accepted_deal(buyer, listing, now)
    ended = after_protection(now)
    tasks.release_after_protection(now=ended.isoformat())
    later = ended + timedelta(days=settings.CREDENTIAL_RETENTION_DAYS)
    job = lambda: erase_expired_credentials(now=later, batch_size=1)  # noqa: E731

    with transaction.atomic():
        Handover.objects.select_for_update().get(deal=released)
        assert _in_another_connection(job) == 0
    with transaction.atomic():
        Deal.objects.select_for_update().get(pk=released.pk)
        assert _in_another_connection(job) == 1
    assert Handover.objects.get(deal=released).password == ""
