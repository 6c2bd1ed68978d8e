"""Selectors of the periodic jobs (``due_*``) and the reminder step."""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from django.db import transaction
from django.db.models import F, Q

from escrow.models import (
    Deal,
    Dispute,
    Payout,
    Refund,
)
from escrow.notifications import notify
from escrow.services.outgoing import IN_FLIGHT_TIMEOUT
from escrow.services.transitions import lock_deal

logger = logging.getLogger(__name__)
State = Deal.State

#: Reminders go out this long before a deadline (a fraction for short windows).
REMINDER_LEAD = {
    State.PENDING_PAYMENT: timedelta(minutes=10),
    State.FUNDED: timedelta(hours=24),
    State.DELIVERED: timedelta(hours=24),
    State.ACCEPTED: timedelta(hours=24),
}
REMINDER_TARGET = {
    State.PENDING_PAYMENT: "buyer",
    State.FUNDED: "seller",
    State.DELIVERED: "buyer",
    State.ACCEPTED: "seller",
}


def send_reminder(*, deal_id: int, now: datetime) -> bool:
    """One reminder per deadline (``reminded_for`` holds the due_at reminded)."""
    with transaction.atomic():
        deal = lock_deal(deal_id, skip_locked=True)
        if deal is None or deal.due_at is None or deal.state not in REMINDER_LEAD:
            return False
        if deal.reminded_for == deal.due_at or deal.due_at - REMINDER_LEAD[deal.state] > now:
            return False
        deal.reminded_for = deal.due_at
        deal.save(update_fields=["reminded_for", "updated_at"])
        target = deal.buyer if REMINDER_TARGET[deal.state] == "buyer" else deal.seller
        notify(
            deal=deal,
            user=target,
            kind=f"reminder_{deal.state}_{REMINDER_TARGET[deal.state]}",
            now=now,
        )
    return True


# -------------------------------------------------------------------- queries


def due_deals(state: str, now: datetime, limit: int) -> list[int]:
    qs = Deal.objects.filter(state=state, due_at__lte=now)
    if state == State.ACCEPTED:
        # A watched deal is not released while the watch stands (the buyer may
        # still ask for a refund); it is released by the first run after it ends.
        qs = qs.filter(watched_since__isnull=True)
    return list(qs.order_by("due_at", "pk").values_list("pk", flat=True)[:limit])


def due_reminders(state: str, now: datetime, limit: int) -> list[int]:
    """Deals in ``state`` whose deadline is within the reminder lead and not yet
    reminded for that deadline."""
    return list(
        Deal.objects.filter(state=state, due_at__lte=now + REMINDER_LEAD[state])
        .exclude(reminded_for=F("due_at"))
        .order_by("due_at", "pk")
        .values_list("pk", flat=True)[:limit]
    )


def due_payouts(now: datetime, limit: int) -> list[int]:
    stale = now - IN_FLIGHT_TIMEOUT
    return list(
        Payout.objects.filter(
            Q(
                status__in=[
                    Payout.Status.PENDING,
                    Payout.Status.FAILED,
                    Payout.Status.ON_HOLD,
                    Payout.Status.HELD,
                ]
            )
            & (Q(next_attempt_at__isnull=True) | Q(next_attempt_at__lte=now))
            | Q(status=Payout.Status.REQUESTED, in_flight_since__lte=stale)
        )
        .order_by("pk")
        .values_list("pk", flat=True)[:limit]
    )


def due_refunds(now: datetime, limit: int) -> list[int]:
    stale = now - IN_FLIGHT_TIMEOUT
    return list(
        Refund.objects.filter(
            Q(status__in=[Refund.Status.REQUESTED, Refund.Status.FAILED])
            & (Q(next_attempt_at__isnull=True) | Q(next_attempt_at__lte=now))
            & (Q(in_flight_since__isnull=True) | Q(in_flight_since__lte=stale))
        )
        .order_by("pk")
        .values_list("pk", flat=True)[:limit]
    )


def due_overdue_answers(now: datetime, limit: int) -> list[int]:
    return list(
        Dispute.objects.filter(
            status=Dispute.Status.OPEN,
            responded_at__isnull=True,
            response_overdue_at__isnull=True,
            response_due_at__lte=now,
        )
        .exclude(kind=Dispute.Kind.CHARGEBACK)
        .order_by("response_due_at", "pk")
        .values_list("pk", flat=True)[:limit]
    )
