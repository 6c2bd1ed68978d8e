"""Paying and cancelling at the same moment (issue 18, item 3).

The rule (docs/escrow.md): a cancel is refused while a payment attempt is in
flight — the deal carries a marker set under its lock before the card goes to the
provider — and otherwise asks the provider to cancel the payment first; the
provider's answer decides. So a deal ends either paid (the cancel refused) or
cancelled with no charge: never cancelled-and-charged, no processing fee lost, and
the buyer is never told "No money was taken" when money was or may be taken."""

from __future__ import annotations

import threading
import time
from datetime import timedelta

import pytest
from django.conf import settings
from django.contrib.messages import get_messages
from django.db import close_old_connections, connection

from escrow import services
from escrow.exceptions import (
    EscrowError,
    LatePayment,
    PaidBeforeCancel,
    PaymentCancelled,
    PaymentInProgress,
)
from escrow.gateways import simulated
from escrow.gateways.simulated import provider_totals
from escrow.models import Deal, Notification, Payment, Refund, SimPaymentIntent
from tests.factories import ListingFactory, VerifiedUserFactory

from .conftest import GOOD_CARD

NO_MONEY = "No money was taken"


def _unpaid(now):
    buyer = VerifiedUserFactory()
    listing = ListingFactory(seller=VerifiedUserFactory(), price=825_300)
    deal = services.open_deal(buyer=buyer, listing_id=listing.pk, now=now)
    services.acknowledge_transfer_policy(deal_id=deal.pk, buyer=buyer, note="n", now=now)
    services.prepare_payment(deal_id=deal.pk, now=now)
    return deal, buyer


@pytest.fixture
def slow_provider(monkeypatch):
    """The provider takes a moment to answer a card confirmation (the window in
    which the outside test's cancel arrived)."""
    original = simulated.SimulatedGateway.confirm_payment

    def confirm(self, *, ref, card, now):
        time.sleep(0.3)
        return original(self, ref=ref, card=card, now=now)

    monkeypatch.setattr(simulated.SimulatedGateway, "confirm_payment", confirm)


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("cancel_delay", [0.0, 0.05, 0.15, 0.35, 0.5, 0.7])
def test_paying_and_cancelling_at_once_never_charges_a_cancelled_deal(
    slow_provider, cancel_delay, now
):
    if connection.vendor != "postgresql":
        pytest.skip("row-lock behaviour is tested on PostgreSQL")
    deal, buyer = _unpaid(now)
    outcomes: dict[str, object] = {}
    barrier = threading.Barrier(2)

    def run(name, call, delay):
        try:
            barrier.wait()
            time.sleep(delay)
            outcomes[name] = call()
        except EscrowError as exc:
            outcomes[name] = exc
        except BaseException as exc:  # noqa: BLE001 - reported below
            outcomes[name] = ("crash", exc)
        finally:
            close_old_connections()
            connection.close()

    pay = threading.Thread(
        target=run,
        args=(
            "pay",
            lambda: services.pay_deal(deal_id=deal.pk, buyer=buyer, card=GOOD_CARD, now=now),
            0.0,
        ),
    )
    cancel = threading.Thread(
        target=run,
        args=(
            "cancel",
            lambda: services.cancel_deal(deal_id=deal.pk, buyer=buyer, now=now),
            cancel_delay,
        ),
    )
    pay.start()
    cancel.start()
    pay.join(30)
    cancel.join(30)

    assert not any(isinstance(v, tuple) for v in outcomes.values()), outcomes
    deal.refresh_from_db()
    payment = Payment.objects.get(deal=deal)
    intent = SimPaymentIntent.objects.get(pk=payment.provider_ref)
    totals = provider_totals()
    assert not Refund.objects.filter(deal=deal).exists()  # nothing charged then refunded
    if deal.state == Deal.State.FUNDED:
        assert isinstance(outcomes["cancel"], PaidBeforeCancel | PaymentInProgress)
        assert payment.status == Payment.Status.SUCCEEDED and intent.status == "succeeded"
        assert totals["captured"] == deal.total and totals["refunded"] == 0
    else:
        assert deal.state == Deal.State.CANCELLED
        assert isinstance(outcomes["pay"], PaymentCancelled), outcomes
        assert intent.status == "canceled"
        assert totals["captured"] == 0 and totals["fees"] == 0
    assert deal.payment_attempt_at is None


@pytest.mark.django_db
def test_a_cancel_during_a_payment_attempt_is_refused_and_said_so(client, now):
    deal, buyer = _unpaid(now)
    Deal.objects.filter(pk=deal.pk).update(payment_attempt_at=now)  # the card is at the provider
    with pytest.raises(PaymentInProgress):
        services.cancel_deal(deal_id=deal.pk, buyer=buyer, now=now)
    client.force_login(buyer)
    response = client.post(f"/deals/{deal.pk}/cancel/")
    texts = [str(m) for m in get_messages(response.wsgi_request)]
    assert any("being processed" in t for t in texts) and not any(NO_MONEY in t for t in texts)
    assert Deal.objects.get(pk=deal.pk).state == Deal.State.PENDING_PAYMENT
    # A marker older than the timeout (a crashed attempt) no longer blocks.
    later = now + settings.PAYMENT_ATTEMPT_TIMEOUT + timedelta(seconds=1)
    assert services.cancel_deal(deal_id=deal.pk, buyer=buyer, now=later).state == "CANCELLED"


@pytest.mark.django_db
def test_a_payment_that_succeeded_first_wins_over_the_cancel(client, now):
    deal, buyer = _unpaid(now)
    payment = Payment.objects.get(deal=deal)
    # The provider took the money (e.g. the Payment Element), our side does not know yet.
    simulated.SimulatedGateway().confirm_payment(ref=payment.provider_ref, card=GOOD_CARD, now=now)
    client.force_login(buyer)
    response = client.post(f"/deals/{deal.pk}/cancel/")
    texts = [str(m) for m in get_messages(response.wsgi_request)]
    assert not any(NO_MONEY in t for t in texts), texts
    assert any("was not cancelled" in t for t in texts), texts
    deal.refresh_from_db()
    assert deal.state == Deal.State.FUNDED
    assert not Refund.objects.filter(deal=deal).exists()
    assert provider_totals()["refunded"] == 0


@pytest.mark.django_db
def test_a_cancel_confirmed_by_the_provider_says_no_money_was_taken(client, now):
    deal, buyer = _unpaid(now)
    client.force_login(buyer)
    response = client.post(f"/deals/{deal.pk}/cancel/")
    texts = [str(m) for m in get_messages(response.wsgi_request)]
    assert any(NO_MONEY in t for t in texts)
    assert SimPaymentIntent.objects.get().status == "canceled"
    # The buyer then tries to pay in another tab: refused, truthfully.
    with pytest.raises(PaymentCancelled):
        services.pay_deal(deal_id=deal.pk, buyer=buyer, card=GOOD_CARD, now=now)
    assert provider_totals()["captured"] == 0


@pytest.mark.django_db
def test_a_charge_that_still_arrives_for_a_cancelled_deal_is_refunded_and_said_so(
    now,
):
    deal, buyer = _unpaid(now)
    payment = Payment.objects.get(deal=deal)
    # A moderator removed the listing (our side first), and the buyer's bank had
    # already authorised the card at the provider.
    services.cancel_deals_of_removed_listing(listing_id=deal.listing_id, now=now)
    SimPaymentIntent.objects.filter(pk=payment.provider_ref).update(
        status="requires_payment_method"
    )
    result = simulated.SimulatedGateway().confirm_payment(
        ref=payment.provider_ref, card=GOOD_CARD, now=now
    )
    services.record_payment_result(deal_id=deal.pk, result=result, now=now)
    assert NO_MONEY not in str(LatePayment.default_message)
    refund = Refund.objects.get(deal=deal)
    assert refund.amount == deal.total
    assert Notification.objects.filter(deal=deal, user=buyer, kind="late_payment_buyer").exists()
    assert Deal.objects.get(pk=deal.pk).state == Deal.State.CANCELLED


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("cancel_delay", [0.0, 0.1, 0.2, 0.4, 0.6, 0.8])
def test_over_http_what_the_buyer_is_told_is_true_whichever_wins(slow_provider, cancel_delay, now):
    """The outside test's race, through the pages: /pay/ and /cancel/ at once."""
    from django.test import Client

    if connection.vendor != "postgresql":
        pytest.skip("row-lock behaviour is tested on PostgreSQL")
    deal, buyer = _unpaid(now)
    told: dict[str, list[str]] = {}
    barrier = threading.Barrier(2)

    def run(name, url, data, delay):
        try:
            client = Client()
            client.force_login(buyer)
            barrier.wait()
            time.sleep(delay)
            response = client.post(url, data)
            assert response.status_code in (200, 302), response.status_code
            told[name] = [str(m) for m in get_messages(response.wsgi_request)]
        finally:
            close_old_connections()
            connection.close()

    threads = [
        threading.Thread(
            target=run,
            args=("pay", f"/deals/{deal.pk}/pay/", {"step": "card", **GOOD_CARD}, 0.0),
        ),
        threading.Thread(
            target=run, args=("cancel", f"/deals/{deal.pk}/cancel/", {}, cancel_delay)
        ),
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    deal.refresh_from_db()
    totals = provider_totals()
    said = " ".join(told["pay"] + told["cancel"])
    if deal.state == Deal.State.FUNDED:
        assert NO_MONEY not in said, told
        assert "Payment received" in said and totals["refunded"] == 0
    else:
        assert deal.state == Deal.State.CANCELLED
        assert totals["captured"] == 0 and totals["fees"] == 0
        assert "Payment received" not in said, told
        assert NO_MONEY in " ".join(told["cancel"]), told
