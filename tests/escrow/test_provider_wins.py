"""The provider's answer wins over a webhook event (issue 18, item 1), with the
simulated gateway: a signed event is only a hint; what the provider says about the
payment, dispute, refund, transfer or account is what gets recorded. When the
provider cannot be asked the event waits and a job retries it; an amount or
currency that differs from the deal's is refused and shown to operators."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from django.core import mail

from escrow import services, tasks
from escrow.gateways import simulated
from escrow.gateways.simulated import sign
from escrow.models import (
    Chargeback,
    Deal,
    LedgerEntry,
    Payment,
    Refund,
    SellerPayoutAccount,
    SimDispute,
    SimPaymentIntent,
    WebhookEvent,
)
from tests.factories import VerifiedUserFactory
from tests.mail import send_outbox
from tests.totp import force_login_with_second_factor

from .conftest import accepted_deal, after_protection, open_and_pay

pytestmark = pytest.mark.django_db
URL = "/webhooks/stripe/"


@pytest.fixture(autouse=True)
def _after_commit(django_capture_on_commit_callbacks):
    """Run what is deferred to after commit (the operator alerts) as it happens."""
    global _capture
    _capture = django_capture_on_commit_callbacks
    yield


def post_event(client, obj: dict, *, type_: str, event_id: str):
    body = json.dumps({"id": event_id, "object": "event", "type": type_, "data": {"object": obj}})
    with _capture(execute=True):
        return client.post(
            URL,
            body,
            content_type="application/json",
            headers={"Stripe-Signature": sign(body.encode())},
        )


def unpaid_deal(buyer, listing, now):
    deal = services.open_deal(buyer=buyer, listing_id=listing.pk, now=now)
    services.acknowledge_transfer_policy(deal_id=deal.pk, buyer=buyer, note="n", now=now)
    payment = services.prepare_payment(deal_id=deal.pk, now=now)
    return deal, payment


def intent(payment, **changes) -> dict:
    obj = {
        "id": payment.provider_ref,
        "object": "payment_intent",
        "status": "succeeded",
        "amount": payment.amount,
        "currency": payment.currency.lower(),
        "metadata": {"deal_id": str(payment.deal_id), "payment_id": str(payment.pk)},
    }
    obj.update(changes)
    return obj


def operator_alerts():
    send_outbox()  # operator alerts wait in the outbox like every e-mail
    return [m for m in mail.outbox if "[operators]" in m.subject]


def test_a_signed_succeeded_event_for_an_unpaid_intent_funds_nothing(client, buyer, listing, now):
    deal, payment = unpaid_deal(buyer, listing, now)
    assert SimPaymentIntent.objects.get(pk=payment.provider_ref).status == "requires_payment_method"

    # The case: amount 1 on a deal of 157,500.
    response = post_event(
        client, intent(payment, amount=1), type_="payment_intent.succeeded", event_id="evt_amount_1"
    )
    assert response.status_code == 200
    # And one whose figures agree with the deal: the provider still says unpaid.
    response = post_event(
        client, intent(payment), type_="payment_intent.succeeded", event_id="evt_right_amount"
    )
    assert response.status_code == 200

    deal.refresh_from_db()
    assert deal.state == Deal.State.PENDING_PAYMENT
    assert Payment.objects.get(pk=payment.pk).status == Payment.Status.CREATED
    assert not LedgerEntry.objects.exists()
    refused = WebhookEvent.objects.get(event_id="evt_amount_1")
    assert refused.status == WebhookEvent.Status.REFUSED and "amount 1" in refused.note
    applied = WebhookEvent.objects.get(event_id="evt_right_amount")
    assert applied.status == WebhookEvent.Status.APPLIED
    assert "requires_payment_method" in applied.note
    assert any("evt_amount_1" in m.subject for m in operator_alerts())


def test_an_event_in_another_currency_is_refused_and_shown_to_operators(
    client, buyer, listing, now, admin_client
):
    deal, payment = unpaid_deal(buyer, listing, now)
    post_event(
        client,
        intent(payment, currency="jpy"),
        type_="payment_intent.succeeded",
        event_id="evt_jpy",
    )
    stored = WebhookEvent.objects.get(event_id="evt_jpy")
    assert stored.status == WebhookEvent.Status.REFUSED and "currency JPY" in stored.note
    assert Deal.objects.get(pk=deal.pk).state == Deal.State.PENDING_PAYMENT
    assert operator_alerts()
    from allauth.mfa.totp.internal.auth import TOTP
    from django.contrib.auth import get_user_model

    superuser = get_user_model().objects.get(is_superuser=True)
    TOTP.activate(superuser, "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP")
    force_login_with_second_factor(admin_client, superuser)
    page = admin_client.get("/admin/escrow/webhookevent/?status__exact=refused")
    assert page.status_code == 200 and b"evt_jpy" in page.content
    page = admin_client.get("/admin/escrow/deal/operations/")
    assert page.status_code == 200 and b"evt_jpy" in page.content


def test_a_provider_answer_that_differs_from_the_deal_is_refused(client, buyer, listing, now):
    deal, payment = unpaid_deal(buyer, listing, now)
    # The provider captured another amount than the deal's (never ours to fund).
    SimPaymentIntent.objects.filter(pk=payment.provider_ref).update(
        status="succeeded", amount=payment.amount - 1, processing_fee=10
    )
    post_event(client, intent(payment), type_="payment_intent.succeeded", event_id="evt_diff")
    stored = WebhookEvent.objects.get(event_id="evt_diff")
    assert stored.status == WebhookEvent.Status.REFUSED and "provider reports" in stored.note
    assert Deal.objects.get(pk=deal.pk).state == Deal.State.PENDING_PAYMENT
    assert not LedgerEntry.objects.exists()
    assert operator_alerts()


def test_when_the_provider_cannot_be_reached_the_event_waits_and_is_retried(
    client, buyer, listing, now
):
    deal, payment = unpaid_deal(buyer, listing, now)
    gateway = simulated.SimulatedGateway()
    SimPaymentIntent.objects.filter(pk=payment.provider_ref).update(
        status="succeeded", processing_fee=4598
    )
    simulated.FAULTS["retrieve"] = "before"  # the provider is down for this delivery
    response = post_event(
        client, intent(payment), type_="payment_intent.succeeded", event_id="evt_wait"
    )
    assert response.status_code == 200
    stored = WebhookEvent.objects.get(event_id="evt_wait")
    assert stored.status == WebhookEvent.Status.PENDING and stored.next_attempt_at is not None
    assert Deal.objects.get(pk=deal.pk).state == Deal.State.PENDING_PAYMENT  # not on its word

    # Not due yet: nothing happens; due: the provider answers and the deal is funded.
    assert tasks.retry_webhook_events(now=now.isoformat()) == 0
    later = stored.next_attempt_at + timedelta(seconds=1)
    assert tasks.retry_webhook_events(now=later.isoformat()) == 1
    stored.refresh_from_db()
    assert stored.status == WebhookEvent.Status.APPLIED
    deal.refresh_from_db()
    assert deal.state == Deal.State.FUNDED
    assert Payment.objects.get(pk=payment.pk).processing_fee == 4598
    assert gateway.retrieve_payment(ref=payment.provider_ref, now=now).status == "succeeded"
    # A second run (or a replay) does nothing more.
    assert tasks.retry_webhook_events(now=later.isoformat()) == 0
    post_event(client, intent(payment), type_="payment_intent.succeeded", event_id="evt_wait")
    assert WebhookEvent.objects.filter(event_id="evt_wait").count() == 1


def test_a_dispute_event_is_recorded_with_the_providers_figures(client, buyer, listing, now):
    deal = open_and_pay(buyer, listing, now)
    payment = deal.payment
    gateway = simulated.SimulatedGateway()
    # A dispute the provider does not know: refused, nothing frozen.
    forged = {
        "id": "dp_sim_forged",
        "object": "dispute",
        "amount": payment.amount,
        "currency": "usd",
        "payment_intent": payment.provider_ref,
        "status": "lost",
        "balance_transactions": [{"fee": 1500}],
    }
    post_event(client, forged, type_="charge.dispute.created", event_id="evt_dp_forged")
    assert WebhookEvent.objects.get(event_id="evt_dp_forged").status == "refused"
    assert Deal.objects.get(pk=deal.pk).state == Deal.State.FUNDED
    assert not Chargeback.objects.exists()

    # A real one, whose event claims another amount and an outcome: the provider's
    # amount and fee are booked, and it is still open.
    dispute_id = gateway.open_chargeback(payment_ref=payment.provider_ref, now=now, amount=50_000)
    claim = dict(
        forged, id=dispute_id, amount=40_000, status="lost", balance_transactions=[{"fee": 1}]
    )
    post_event(client, claim, type_="charge.dispute.created", event_id="evt_dp_real")
    chargeback = Chargeback.objects.get(provider_ref=dispute_id)
    assert (chargeback.amount, chargeback.fee) == (50_000, SimDispute.objects.get().fee)
    assert chargeback.status == Chargeback.Status.OPEN
    assert Deal.objects.get(pk=deal.pk).state == Deal.State.FROZEN

    # "closed" on the event's word: the provider says needs_response: still open.
    post_event(
        client, dict(claim, amount=50_000), type_="charge.dispute.closed", event_id="evt_dp_close"
    )
    chargeback.refresh_from_db()
    assert chargeback.status == Chargeback.Status.OPEN


def test_a_dispute_larger_than_the_deal_is_refused(client, buyer, listing, now):
    deal = open_and_pay(buyer, listing, now)
    payment = deal.payment
    obj = {
        "id": "dp_x",
        "object": "dispute",
        "amount": payment.amount + 1,
        "currency": "usd",
        "payment_intent": payment.provider_ref,
        "status": "needs_response",
    }
    post_event(client, obj, type_="charge.dispute.created", event_id="evt_dp_big")
    stored = WebhookEvent.objects.get(event_id="evt_dp_big")
    assert stored.status == WebhookEvent.Status.REFUSED
    assert Deal.objects.get(pk=deal.pk).state == Deal.State.FUNDED
    assert operator_alerts()


def test_refund_events_never_mark_a_refund_paid_on_their_own_word(client, buyer, listing, now):
    deal = open_and_pay(buyer, listing, now)
    payment = deal.payment
    later = now + timedelta(hours=73)
    simulated.FAULTS["refund"] = "before"  # our refund call fails: FAILED, will retry
    tasks.refund_undelivered_deals(now=later.isoformat())
    refund = Refund.objects.get(deal=deal)
    assert refund.status == Refund.Status.FAILED

    # A refund event naming our refund with another amount: refused.
    obj = {
        "id": "re_sim_x",
        "object": "refund",
        "amount": 1,
        "currency": "usd",
        "payment_intent": payment.provider_ref,
        "metadata": {"refund_id": str(refund.pk), "deal_id": str(deal.pk)},
    }
    post_event(client, obj, type_="refund.created", event_id="evt_re_1")
    assert WebhookEvent.objects.get(event_id="evt_re_1").status == "refused"
    # A charge that claims more refunded than was paid: refused.
    charge = {
        "id": "ch_1",
        "object": "charge",
        "payment_intent": payment.provider_ref,
        "amount": payment.amount,
        "amount_refunded": payment.amount * 2,
        "currency": "usd",
    }
    post_event(client, charge, type_="charge.refunded", event_id="evt_re_2")
    assert WebhookEvent.objects.get(event_id="evt_re_2").status == "refused"
    # A consistent event: only our executor, asking the provider, moves the refund.
    post_event(client, dict(obj, amount=refund.amount), type_="refund.created", event_id="evt_re_3")
    assert WebhookEvent.objects.get(event_id="evt_re_3").status == "applied"
    refund.refresh_from_db()
    assert refund.status == Refund.Status.FAILED  # the provider has no such refund yet
    assert refund.next_attempt_at is not None and refund.next_attempt_at <= later
    assert Deal.objects.get(pk=deal.pk).state == Deal.State.REFUNDED


def test_an_account_event_follows_the_provider_not_the_event(client, seller, now):
    account, _url = services.connect_payout_account(
        user=seller, country="US", return_url="x", refresh_url="x"
    )
    from escrow.models import SimConnectedAccount

    SimConnectedAccount.objects.filter(pk=account.account_ref).update(payouts_enabled=False)
    SellerPayoutAccount.objects.filter(pk=account.pk).update(payouts_enabled=False)
    obj = {"id": account.account_ref, "object": "account", "payouts_enabled": True}
    post_event(client, obj, type_="account.updated", event_id="evt_acct")
    assert SellerPayoutAccount.objects.get(pk=account.pk).payouts_enabled is False


def test_a_transfer_event_with_another_amount_is_refused(client, buyer, listing, now):
    from escrow.models import Payout

    deal = accepted_deal(buyer, listing, now)
    tasks.release_after_protection(now=after_protection(now).isoformat())
    payout = Payout.objects.get(deal=deal)  # on hold: the seller has no payout account
    obj = {
        "id": "tr_x",
        "object": "transfer",
        "amount": 1,
        "currency": "usd",
        "metadata": {"payout_id": str(payout.pk)},
    }
    post_event(client, obj, type_="transfer.created", event_id="evt_tr")
    assert WebhookEvent.objects.get(event_id="evt_tr").status == "refused"
    assert Payout.objects.get(pk=payout.pk).status == payout.status
    assert operator_alerts()


def test_events_for_strangers_are_ignored(client, now):
    VerifiedUserFactory()
    obj = {"id": "pi_sim_nobody", "object": "payment_intent", "amount": 5, "currency": "usd"}
    post_event(client, obj, type_="payment_intent.succeeded", event_id="evt_stranger")
    assert WebhookEvent.objects.get(event_id="evt_stranger").status == "ignored"
    assert not operator_alerts()


@pytest.mark.django_db(transaction=True)
def test_two_retry_runs_at_once_apply_each_waiting_event_once_and_count_only_their_own(now):
    import threading

    from django.db import close_old_connections, connection

    from escrow.webhooks import retry_pending_events
    from tests.factories import ListingFactory

    if connection.vendor != "postgresql":
        pytest.skip("row-lock behaviour is tested on PostgreSQL")
    deals = []
    for _ in range(6):
        buyer = VerifiedUserFactory()
        deal, payment = unpaid_deal(buyer, ListingFactory(seller=VerifiedUserFactory()), now)
        SimPaymentIntent.objects.filter(pk=payment.provider_ref).update(
            status="succeeded", processing_fee=100
        )
        simulated.FAULTS["retrieve"] = "before"
        body = json.dumps(
            {
                "id": f"evt_r{deal.pk}",
                "type": "payment_intent.succeeded",
                "data": {"object": intent(payment)},
            }
        )
        from escrow.webhooks import handle_webhook

        assert handle_webhook(payload=body.encode(), signature=sign(body.encode())) == 200
        deals.append(deal)
    assert WebhookEvent.objects.filter(status="pending").count() == 6
    later = now + timedelta(hours=1)
    counts: list[int] = []
    barrier = threading.Barrier(2)

    def run():
        try:
            barrier.wait()
            counts.append(retry_pending_events(now=later))
        finally:
            close_old_connections()
            connection.close()

    threads = [threading.Thread(target=run) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert sum(counts) == 6, counts
    assert WebhookEvent.objects.filter(status="applied").count() == 6
    assert all(Deal.objects.get(pk=d.pk).state == Deal.State.FUNDED for d in deals)
    assert (
        LedgerEntry.objects.filter(transaction__kind="payment")
        .values("transaction")
        .distinct()
        .count()
        == 6
    )
