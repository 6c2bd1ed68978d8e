"""The settlement job really runs in a Celery worker, through Redis."""

from __future__ import annotations

import smtplib
import threading
import time
from datetime import timedelta

import pytest
from django.core.mail.backends import locmem
from django.utils import timezone

from escrow import tasks
from escrow.models import Deal, Notification, Payout
from escrow.notifications import send_due_emails
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
    assert not mail.outbox  # the step only wrote them into the outbox
    tasks.send_due_emails.delay()  # what beat sends every EMAIL_OUTBOX_SECONDS

    def paid_mails():
        return {
            message.to[0]: message.body for message in mail.outbox if "opened" not in message.body
        }

    assert _wait_for(lambda: len(paid_mails()) == 2)
    sent = paid_mails()
    assert set(sent) == {buyer.email, listing.seller.email}
    assert "Receipt" in sent[buyer.email]  # the receipt flag travels with the row
    assert "Receipt" not in sent[listing.seller.email]
    deal_mails = [m for m in mail.outbox if f"#{deal.pk}" in m.body]
    assert len(deal_mails) == 4  # and the two "deal opened" ones, each once
    assert set(Notification.objects.filter(deal=deal).values_list("email_state", flat=True)) == {
        "sent"
    }


class RefusingMailServer(locmem.EmailBackend):
    """The mail server (outside world): refuses the next ``refusals`` messages."""

    refusals = 0

    def send_messages(self, messages):
        if RefusingMailServer.refusals > 0:
            RefusingMailServer.refusals -= 1
            raise smtplib.SMTPServerDisconnected("421 try again later")
        return super().send_messages(messages)


class WorkerKilled(BaseException):
    """Stands for the worker process dying: not an ``Exception``, nothing catches it."""


class DyingMailServer(locmem.EmailBackend):
    """Takes the first message, then the worker dies while sending the next."""

    def send_messages(self, messages):
        from django.core import mail

        if mail.outbox:
            raise WorkerKilled()
        return super().send_messages(messages)


def _open_deal_mails():
    from django.core import mail

    from escrow import services

    buyer = VerifiedUserFactory()
    listing = ListingFactory(seller=VerifiedUserFactory())
    deal = services.open_deal(buyer=buyer, listing_id=listing.pk, now=timezone.now())
    mail.outbox.clear()
    return deal, sorted([buyer.email, listing.seller.email])


def test_deal_e_mails_the_mail_server_refused_are_sent_on_a_later_try(settings):
    from django.core import mail

    settings.EMAIL_BACKEND = "tests.escrow.test_worker.RefusingMailServer"
    settings.EMAIL_RETRY_SECONDS = 1
    deal, recipients = _open_deal_mails()
    RefusingMailServer.refusals = 3  # both "deal opened" e-mails, then the first retry of one
    t0 = timezone.now()

    assert send_due_emails(now=t0) == (0, 2)
    assert send_due_emails(now=t0) == (0, 0)  # not tried again before their backoff
    assert send_due_emails(now=t0 + timedelta(seconds=1)) == (1, 1)
    assert send_due_emails(now=t0 + timedelta(seconds=2)) == (0, 0)  # 2 s after its 2nd try
    assert send_due_emails(now=t0 + timedelta(seconds=3)) == (1, 0)

    assert sorted(m.to[0] for m in mail.outbox) == recipients  # each once
    rows = Notification.objects.filter(deal=deal)
    assert sorted(rows.values_list("email_attempts", flat=True)) == [2, 3]
    assert set(rows.values_list("email_state", flat=True)) == {"sent"}
    assert send_due_emails(now=t0 + timedelta(days=1)) == (0, 0)


def test_an_e_mail_refused_every_time_is_given_up_after_its_retries(settings, caplog):
    from django.core import mail

    settings.EMAIL_BACKEND = "tests.escrow.test_worker.RefusingMailServer"
    settings.EMAIL_RETRY_SECONDS = 1
    settings.EMAIL_RETRIES = 2
    deal, _ = _open_deal_mails()
    RefusingMailServer.refusals = 100
    t0 = timezone.now()

    for seconds in (0, 1, 3):  # the first try, then retries after 1 and 2 s
        assert send_due_emails(now=t0 + timedelta(seconds=seconds)) == (0, 2)

    rows = Notification.objects.filter(deal=deal)
    assert set(rows.values_list("email_state", flat=True)) == {"failed"}
    assert "gave up e-mailing deal notification" in caplog.text
    RefusingMailServer.refusals = 0
    assert send_due_emails(now=t0 + timedelta(days=1)) == (0, 0)
    assert not mail.outbox
    assert rows.count() == 2  # the in-app notifications stay


def test_a_worker_that_dies_while_sending_loses_no_e_mail(settings):
    """Its claim ends and another sweep sends what it had not marked sent."""
    from django.core import mail

    deal, recipients = _open_deal_mails()
    settings.EMAIL_BACKEND = "tests.escrow.test_worker.DyingMailServer"
    t0 = timezone.now()

    with pytest.raises(WorkerKilled):
        send_due_emails(now=t0)
    assert len(mail.outbox) == 1
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    assert send_due_emails(now=t0 + timedelta(seconds=1)) == (0, 0)  # still its claim
    claim_over = t0 + timedelta(seconds=settings.EMAIL_CLAIM_SECONDS)

    assert send_due_emails(now=claim_over) == (1, 0)

    assert sorted(m.to[0] for m in mail.outbox) == recipients
    assert set(Notification.objects.filter(deal=deal).values_list("email_state", flat=True)) == {
        "sent"
    }


class SlowMailServer(locmem.EmailBackend):
    """Holds the first e-mail of the thread named "first sweep" until released."""

    started = threading.Event()
    release = threading.Event()

    def send_messages(self, messages):
        if threading.current_thread().name == "first sweep" and not SlowMailServer.started.is_set():
            SlowMailServer.started.set()
            SlowMailServer.release.wait(10)
        return super().send_messages(messages)


def test_two_sweeps_at_once_send_each_e_mail_once(settings):
    """The first sweep's claim commits before it sends: a second sweep while the
    first is still sending takes only the rows the first did not claim."""
    from django.core import mail
    from django.db import connections

    for _ in range(3):
        _open_deal_mails()
    settings.EMAIL_BACKEND = "tests.escrow.test_worker.SlowMailServer"
    SlowMailServer.started.clear()
    SlowMailServer.release.clear()
    results = {}

    def first_sweep():
        try:
            results["first"] = send_due_emails(limit=4)
        finally:
            connections.close_all()

    thread = threading.Thread(target=first_sweep, name="first sweep")
    thread.start()
    try:
        assert SlowMailServer.started.wait(10)  # the first is sending its first e-mail
        results["second"] = send_due_emails()
    finally:
        SlowMailServer.release.set()
        thread.join(10)

    assert results == {"first": (4, 0), "second": (2, 0)}
    recipients = [m.to[0] for m in mail.outbox]
    assert len(recipients) == len(set(recipients)) == 6
    assert send_due_emails(now=timezone.now() + timedelta(days=1)) == (0, 0)


class PickyMailServer(locmem.EmailBackend):
    """Fails, with an error that is not a refusal, for one address."""

    broken = ""

    def send_messages(self, messages):
        if messages[0].to[0] == PickyMailServer.broken:
            raise RuntimeError("unexpected answer")
        return super().send_messages(messages)


def test_an_e_mail_that_fails_in_another_way_does_not_hold_up_the_others(settings, caplog):
    from django.core import mail

    settings.EMAIL_BACKEND = "tests.escrow.test_worker.PickyMailServer"
    deal, recipients = _open_deal_mails()
    other, other_recipients = _open_deal_mails()
    PickyMailServer.broken = recipients[0]

    assert send_due_emails() == (3, 1)

    assert sorted(m.to[0] for m in mail.outbox) == sorted([recipients[1], *other_recipients])
    assert "could not e-mail deal notification" in caplog.text
    stuck = Notification.objects.get(deal=deal, user__email=recipients[0])
    assert (stuck.email_state, stuck.email_attempts) == ("pending", 1)  # tried again later


def test_an_e_mail_claimed_too_often_without_an_answer_is_given_up(settings, caplog):
    """Workers that died while sending it, again and again: not sent once more."""
    from django.core import mail

    deal, _ = _open_deal_mails()
    Notification.objects.filter(deal=deal).update(email_attempts=settings.EMAIL_RETRIES + 1)

    assert send_due_emails() == (0, 2)

    assert not mail.outbox
    assert set(Notification.objects.filter(deal=deal).values_list("email_state", flat=True)) == {
        "failed"
    }
    assert "gave up e-mailing deal notification" in caplog.text


def test_a_sweep_past_its_deadline_gives_the_rest_back(settings):
    from django.core import mail

    deal, _ = _open_deal_mails()

    assert send_due_emails(deadline=time.monotonic() - 1) == (0, 0)

    assert not mail.outbox
    rows = Notification.objects.filter(deal=deal)
    assert set(rows.values_list("email_attempts", flat=True)) == {0}
    assert send_due_emails() == (2, 0)  # due at once, not after a claim


def test_task_messages_queued_before_the_outbox_go_through_it():
    """A deploy's in-flight ``escrow.send_notification_emails`` messages: their rows
    were migrated as sent without being e-mailed; the old task puts them back."""
    from django.core import mail

    deal, recipients = _open_deal_mails()
    rows = Notification.objects.filter(deal=deal)
    first, second = rows.order_by("pk")
    rows.update(email_state="sent", email_due_at=None)  # as the migration left them
    Notification.objects.filter(pk=second.pk).update(emailed_at=timezone.now())  # really sent

    assert tasks.send_notification_emails([first.pk, second.pk], receipt=True) == 1
    assert send_due_emails() == (1, 0)
    assert [m.to[0] for m in mail.outbox] == [first.user.email]
    assert "Receipt" in mail.outbox[0].body
