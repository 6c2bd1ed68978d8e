"""Settlement jobs. Thin: each takes ``now`` (ISO string, default: the time it
runs), finds what is due in bounded batches and calls one service per row. The
services lock with SKIP LOCKED and re-check the state, so a job run twice, or on
several workers at once, does each thing once. Money tasks are ``acks_late``.

Each job returns what this run changed: a step service returns None when the row
was not its to change (locked or already handled by another run, not due), so
two runs at once add up to the rows there were.
"""

from __future__ import annotations

import logging
import time
from datetime import datetime

from celery import shared_task
from django.utils import timezone

from kernel.jobs import task_now

from . import services
from .models import Deal
from .simulated_delivery import deliver_event

BATCH = 200

logger = logging.getLogger(__name__)


def _each(state: str, now: datetime, step) -> int:
    done = 0
    for deal_id in services.due_deals(state, now, BATCH):
        if step(deal_id=deal_id, now=now) is not None:
            done += 1
    return done


@shared_task(name="escrow.expire_unpaid_deals", acks_late=True)
def expire_unpaid_deals(now: str | None = None) -> int:
    """PENDING_PAYMENT past the payment window → CANCELLED; listing back on sale."""
    moment = task_now(now)
    return _each(
        Deal.State.PENDING_PAYMENT,
        moment,
        lambda deal_id, now: services.expire_deal(deal_id=deal_id, now=now, skip_locked=True),
    )


@shared_task(name="escrow.refund_undelivered_deals", acks_late=True)
def refund_undelivered_deals(now: str | None = None) -> int:
    """FUNDED past the delivery deadline → REFUNDED (refund requested and sent)."""
    moment = task_now(now)
    count = _each(Deal.State.FUNDED, moment, services.refund_undelivered)
    execute_due_refunds(now=moment.isoformat())
    return count


@shared_task(name="escrow.accept_after_inspection", acks_late=True)
def accept_after_inspection(now: str | None = None) -> int:
    """DELIVERED past the inspection deadline → ACCEPTED (silence is acceptance)."""
    return _each(Deal.State.DELIVERED, task_now(now), services.accept_after_inspection)


#: Deals released per transaction by the release job, and how long one run of the
#: job keeps taking batches (below the task's soft time limit, so a run ends
#: cleanly and the next beat run continues).
RELEASE_BATCH = 500
RELEASE_BUDGET_SECONDS = 120.0


def release_due(now: datetime, *, budget: float = RELEASE_BUDGET_SECONDS) -> int:
    """Release due deals batch after batch until none is left, a batch releases
    nothing (the rest is held by other workers) or ``budget`` seconds have passed."""
    started = time.monotonic()
    done = 0
    while True:
        released = len(services.release_due_deals(now=now, limit=RELEASE_BATCH))
        done += released
        if not released or time.monotonic() - started >= budget:
            return done


@shared_task(name="escrow.release_after_protection", acks_late=True)
def release_after_protection(now: str | None = None) -> int:
    """ACCEPTED past the protection window → RELEASED (in batches, see
    ``services.release_due_deals``); payouts created and sent."""
    moment = task_now(now)
    count = release_due(moment)
    execute_due_payouts(now=moment.isoformat())
    return count


@shared_task(name="escrow.send_due_emails")
def send_due_emails(now: str | None = None) -> int:
    """The outbox job's former name (messages beat queued before the outbox moved
    to ``marketplace.send_due_emails``): the same sweep, every outbox."""
    from kernel.tasks import send_due

    return send_due(now)


@shared_task(name="escrow.send_notification_emails")
def send_notification_emails(notification_ids: list[int], receipt: bool = False) -> int:
    """Task messages queued before the outbox existed (in flight during that
    deploy): their notifications, migrated as sent but never e-mailed, go back
    into the outbox."""
    from .models import Notification

    return Notification.objects.filter(
        pk__in=notification_ids,
        email_state=Notification.EmailState.SENT,
        emailed_at__isnull=True,
    ).update(
        email_state=Notification.EmailState.PENDING,
        email_due_at=timezone.now(),
        email_receipt=receipt,
    )


@shared_task(name="escrow.execute_due_payouts", acks_late=True)
def execute_due_payouts(now: str | None = None) -> int:
    """Send payouts that are scheduled, due for a retry (backoff) or stuck in
    flight (a crashed worker: looked up by metadata before any new transfer)."""
    moment = task_now(now)
    return sum(
        1
        for payout_id in services.due_payouts(moment, BATCH)
        if services.execute_payout(payout_id=payout_id, now=moment) is not None
    )


@shared_task(name="escrow.execute_due_refunds", acks_late=True)
def execute_due_refunds(now: str | None = None) -> int:
    moment = task_now(now)
    return sum(
        1
        for refund_id in services.due_refunds(moment, BATCH)
        if services.execute_refund(refund_id=refund_id, now=moment) is not None
    )


@shared_task(name="escrow.send_deadline_reminders")
def send_deadline_reminders(now: str | None = None) -> int:
    moment = task_now(now)
    sent = 0
    for state in services.REMINDER_LEAD:
        for deal_id in services.due_reminders(state, moment, BATCH):
            sent += services.send_reminder(deal_id=deal_id, now=moment)
    return sent


@shared_task(name="escrow.execute_payout", acks_late=True, max_retries=0)
def execute_payout_task(payout_id: int) -> None:
    services.execute_payout(payout_id=payout_id, now=timezone.now())


@shared_task(name="escrow.execute_payouts", acks_late=True, max_retries=0)
def execute_payouts_task(payout_ids: list[int]) -> int:
    """A chunk of payouts created together (the release batch); each is the same
    idempotent step as ``execute_payout``. Returns how many this run moved."""
    moment = timezone.now()
    return sum(
        1
        for payout_id in payout_ids
        if services.execute_payout(payout_id=payout_id, now=moment) is not None
    )


@shared_task(name="escrow.execute_refund", acks_late=True, max_retries=0)
def execute_refund_task(refund_id: int) -> None:
    services.execute_refund(refund_id=refund_id, now=timezone.now())


@shared_task(name="escrow.deliver_simulated_event", acks_late=True, max_retries=5)
def deliver_simulated_event(event_id: str) -> int:
    """The simulated provider delivering one signed event to our webhook handler."""
    return deliver_event(event_id)


@shared_task(name="escrow.flag_overdue_dispute_answers")
def flag_overdue_dispute_answers(now: str | None = None) -> int:
    """Open cases whose answer did not come by its deadline: marked for the
    moderator and reported to governance (TRX-06)."""
    moment = task_now(now)
    return sum(
        services.flag_overdue_answer(dispute_id=dispute_id, now=moment)
        for dispute_id in services.due_overdue_answers(moment, BATCH)
    )


@shared_task(name="escrow.reconcile", acks_late=True)
def reconcile(now: str | None = None) -> int:
    """Compare our books with the provider's; returns the differences found."""
    from .reconciliation import reconcile as run

    result = run(now=task_now(now))
    return result.differences_found if result is not None else -1


# Retention job (credentials after the deal ended): importing registers it, as
# Celery autodiscovers only <app>.tasks.
from .retention import erase_expired_credentials_task  # noqa: E402, F401
from .webhooks import retry_webhook_events  # noqa: E402, F401
