"""The one executor of outgoing money (``escrow.services.outgoing``): payouts and
refunds share one retry policy and one failure path."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core import mail

from escrow import tasks
from escrow.gateways import simulated
from escrow.gateways.simulated import provider_totals
from escrow.models import Payout, Refund, SimConnectedAccount
from tests.mail import send_outbox

from .conftest import accepted_deal, after_protection, connect_seller, open_and_pay

pytestmark = pytest.mark.django_db


def test_a_non_retryable_payout_error_stops_after_one_try_and_alerts_operators(
    buyer, listing, now, settings
):
    settings.OPERATOR_EMAILS = ["ops@example.com"]
    account = connect_seller(listing.seller)
    deal = accepted_deal(buyer, listing, now)
    # The provider closed the seller's account on its side: every transfer to it
    # is refused with a non-retryable error.
    SimConnectedAccount.objects.filter(pk=account.account_ref).update(payouts_enabled=False)
    later = after_protection(now)
    tasks.release_after_protection(now=later.isoformat())
    payout = Payout.objects.get(deal=deal)
    assert payout.status == Payout.Status.NEEDS_ATTENTION
    assert payout.attempts == 1 and payout.next_attempt_at is None
    assert payout.last_error.startswith("account_invalid")
    for days in (1, 2, 3):  # the job does not try it again
        tasks.execute_due_payouts(now=(later + timedelta(days=days)).isoformat())
    payout.refresh_from_db()
    assert payout.attempts == 1
    assert provider_totals()["transferred"] == 0
    send_outbox()
    alerts = [m for m in mail.outbox if f"[operators] Payout {payout.pk} failed" in m.subject]
    assert len(alerts) == 1 and alerts[0].to == ["ops@example.com"]
    assert "non-retryable" in alerts[0].body


def test_a_retryable_refund_error_is_retried_with_the_payouts_backoff(buyer, listing, now):
    """The same policy on the other side: a network error is retried after
    ``backoff(attempts)`` and then succeeds."""
    from escrow import services

    deal = open_and_pay(buyer, listing, now)
    simulated.FAULTS["refund"] = "before"
    late = deal.due_at + timedelta(seconds=1)
    tasks.refund_undelivered_deals(now=late.isoformat())
    refund = Refund.objects.get(deal=deal)
    assert refund.status == Refund.Status.FAILED
    assert refund.next_attempt_at == late + services.backoff(1)
    tasks.execute_due_refunds(now=(late + timedelta(minutes=1)).isoformat())
    refund.refresh_from_db()
    assert refund.status == Refund.Status.SUCCEEDED and refund.attempts == 2
