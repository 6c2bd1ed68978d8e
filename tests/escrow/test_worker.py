"""The settlement job really runs in a Celery worker, through Redis."""

from __future__ import annotations

import smtplib
import time

import pytest
from django.core.mail.backends import locmem

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


class RefusingMailServer(locmem.EmailBackend):
    """The mail server (outside world): refuses the next ``refusals`` messages."""

    refusals = 0

    def send_messages(self, messages):
        if RefusingMailServer.refusals > 0:
            RefusingMailServer.refusals -= 1
            raise smtplib.SMTPServerDisconnected("421 try again later")
        return super().send_messages(messages)


def test_deal_e_mails_the_mail_server_refused_are_sent_on_a_later_try(celery_worker, settings, now):
    from django.core import mail

    from escrow import services

    settings.EMAIL_BACKEND = "tests.escrow.test_worker.RefusingMailServer"
    settings.EMAIL_RETRY_SECONDS = 1
    RefusingMailServer.refusals = 3  # both "deal opened" e-mails, then the first retry of one
    mail.outbox.clear()
    buyer = VerifiedUserFactory()
    listing = ListingFactory(seller=VerifiedUserFactory())

    services.open_deal(buyer=buyer, listing_id=listing.pk, now=now)

    assert _wait_for(lambda: len(mail.outbox) == 2, timeout=30)
    assert RefusingMailServer.refusals == 0
    assert sorted(m.to[0] for m in mail.outbox) == sorted([buyer.email, listing.seller.email])
    time.sleep(1.5)  # no copy follows: each e-mail went out once
    assert len(mail.outbox) == 2


def test_a_direct_call_reports_what_it_sent_and_gives_up_on_the_rest(settings, now, caplog):
    from django.core import mail

    from escrow import services
    from escrow.models import Notification

    buyer = VerifiedUserFactory()
    listing = ListingFactory(seller=VerifiedUserFactory())
    deal = services.open_deal(buyer=buyer, listing_id=listing.pk, now=now)
    ids = list(Notification.objects.filter(deal=deal).values_list("pk", flat=True))
    settings.EMAIL_BACKEND = "tests.escrow.test_worker.RefusingMailServer"
    RefusingMailServer.refusals = 1
    mail.outbox.clear()

    assert tasks.send_notification_emails(ids) == 1

    assert len(mail.outbox) == 1
    assert "gave up e-mailing deal notifications" in caplog.text


def test_an_e_mail_retry_is_never_due_after_the_brokers_visibility_timeout(settings):
    # A countdown past the timeout would be handed out again before it is due.
    settings.CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": 900}
    assert tasks._below_visibility(960) == 840
    assert tasks._below_visibility(120) == 120
    settings.CELERY_BROKER_TRANSPORT_OPTIONS = {}  # the file-system broker: no timeout
    assert tasks._below_visibility(960) == 960
