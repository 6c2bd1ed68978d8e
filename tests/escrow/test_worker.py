"""The settlement job really runs in a Celery worker, through Redis."""

from __future__ import annotations

import time

import pytest

from escrow import tasks
from escrow.models import Deal, Payout
from tests.factories import ListingFactory, VerifiedUserFactory

from .conftest import accepted_deal, after_protection, connect_seller

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]


def _wait_for(predicate, timeout=20.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.1)
    return predicate()


def test_due_release_job_runs_in_the_worker_and_pays_the_seller(celery_worker, now):
    buyer = VerifiedUserFactory()
    listing = ListingFactory(seller=VerifiedUserFactory())
    connect_seller(listing.seller)
    deal = accepted_deal(buyer, listing, now)

    tasks.release_after_protection.delay(now=after_protection(now).isoformat())

    assert _wait_for(lambda: Deal.objects.get(pk=deal.pk).state == Deal.State.RELEASED)
    assert _wait_for(lambda: Payout.objects.filter(deal=deal, status=Payout.Status.PAID).exists())


def test_money_tasks_are_acks_late():
    for task in (
        tasks.release_after_protection,
        tasks.refund_undelivered_deals,
        tasks.execute_due_payouts,
        tasks.execute_payout_task,
        tasks.execute_refund_task,
    ):
        assert task.acks_late


def test_a_deal_steps_e_mails_are_sent_by_the_worker(celery_worker, now):
    from django.core import mail

    from escrow import services

    from .conftest import GOOD_CARD

    buyer = VerifiedUserFactory()
    listing = ListingFactory(seller=VerifiedUserFactory())
    deal = services.open_deal(buyer=buyer, listing_id=listing.pk, now=now)
    services.acknowledge_transfer_policy(deal_id=deal.pk, buyer=buyer, note="policy", now=now)
    mail.outbox.clear()

    services.pay_deal(deal_id=deal.pk, buyer=buyer, card=GOOD_CARD, now=now)

    def paid_mails():  # the "deal opened" ones may still be arriving
        return {
            message.to[0]: message.body for message in mail.outbox if "opened" not in message.body
        }

    assert _wait_for(lambda: len(paid_mails()) == 2)
    sent = paid_mails()
    assert set(sent) == {buyer.email, listing.seller.email}
    assert "Receipt" in sent[buyer.email]  # the receipt flag travels with the task
    assert "Receipt" not in sent[listing.seller.email]
