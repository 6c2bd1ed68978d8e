"""The provider's answer wins over a webhook event, with the Stripe gateway against
localstripe (payment intents); Stripe's disputes endpoint and a network outage —
what localstripe cannot do — are stubbed at the HTTP layer."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
import stripe

from escrow import services, tasks
from escrow.models import Chargeback, Deal, LedgerEntry, WebhookEvent
from tests.factories import ListingFactory, VerifiedUserFactory
from tests.security.test_webhooks import _stripe_signature

from .test_stripe_gateway import (  # noqa: F401  (fixtures)
    WEBHOOK_SECRET,
    ConnectStub,
    browser_pays,
    gateway,
    stripe_settings,
)

# The Stripe gateway, built on the stub below, is the configured one in every test.
pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("gateway")]


class OutsideWorld(ConnectStub):
    """Connect as the base stub, plus card disputes, plus an outage of the
    payment-intent reads while ``down`` is set."""

    def __init__(self):
        super().__init__()
        self.down = False
        self.garbled = False
        self.disputes: dict[str, dict] = {}

    def request(self, method, url, headers, post_data=None):
        path = url.split("?", 1)[0].split("/v1/", 1)[-1]
        if self.down and path.startswith("payment_intents/") and method == "get":
            raise stripe.APIConnectionError("connection refused")
        if self.garbled and path.startswith("payment_intents/") and method == "get":
            return self._reply(
                {"id": path.rsplit("/", 1)[1], "object": "payment_intent", "status": "succeeded"}
            )  # no amount, no currency
        if path.startswith("disputes/"):
            dispute = self.disputes.get(path.rsplit("/", 1)[1])
            if dispute is None:
                body = {
                    "error": {
                        "type": "invalid_request_error",
                        "code": "resource_missing",
                        "message": "No such dispute",
                    }
                }
                return self._reply(body, status=404)
            return self._reply(dispute)
        return super().request(method, url, headers, post_data)


@pytest.fixture
def stub():
    return OutsideWorld()


def post(client, obj, *, type_, event_id):
    body = json.dumps({"id": event_id, "object": "event", "type": type_, "data": {"object": obj}})
    return client.post(
        "/webhooks/stripe/",
        body,
        content_type="application/json",
        headers={"Stripe-Signature": _stripe_signature(body, WEBHOOK_SECRET)},
    )


def unpaid(now):
    buyer = VerifiedUserFactory()
    listing = ListingFactory(seller=VerifiedUserFactory(), price=786_000)
    deal = services.open_deal(buyer=buyer, listing_id=listing.pk, now=now)
    services.acknowledge_transfer_policy(deal_id=deal.pk, buyer=buyer, note="n", now=now)
    return deal, services.prepare_payment(deal_id=deal.pk, now=now)


def intent_obj(payment, **changes):
    return {
        "id": payment.provider_ref,
        "object": "payment_intent",
        "status": "succeeded",
        "amount": payment.amount,
        "currency": "usd",
        **changes,
    }


def test_stripe_signed_succeeded_event_for_an_unpaid_intent_funds_nothing(client, now):
    deal, payment = unpaid(now)
    assert (
        post(
            client,
            intent_obj(payment, amount=1),
            type_="payment_intent.succeeded",
            event_id="evt_s_1",
        ).status_code
        == 200
    )
    assert (
        post(
            client, intent_obj(payment), type_="payment_intent.succeeded", event_id="evt_s_2"
        ).status_code
        == 200
    )
    assert Deal.objects.get(pk=deal.pk).state == Deal.State.PENDING_PAYMENT
    assert not LedgerEntry.objects.exists()
    assert WebhookEvent.objects.get(event_id="evt_s_1").status == "refused"
    second = WebhookEvent.objects.get(event_id="evt_s_2")
    assert second.status == "applied" and "requires_payment_method" in second.note


def test_stripe_event_waits_while_stripe_is_unreachable_then_applies(
    client, stub, localstripe_url, now
):
    deal, payment = unpaid(now)
    browser_pays(localstripe_url, payment.provider_ref)
    stub.down = True
    assert (
        post(
            client, intent_obj(payment), type_="payment_intent.succeeded", event_id="evt_s_down"
        ).status_code
        == 200
    )
    stored = WebhookEvent.objects.get(event_id="evt_s_down")
    assert stored.status == "pending"
    assert Deal.objects.get(pk=deal.pk).state == Deal.State.PENDING_PAYMENT

    stub.down = False
    later = stored.next_attempt_at + timedelta(seconds=1)
    assert tasks.retry_webhook_events(now=later.isoformat()) == 1
    assert WebhookEvent.objects.get(pk=stored.pk).status == "applied"
    assert Deal.objects.get(pk=deal.pk).state == Deal.State.FUNDED


def test_stripe_dispute_event_is_recorded_with_stripes_figures(client, stub, localstripe_url, now):
    deal, payment = unpaid(now)
    browser_pays(localstripe_url, payment.provider_ref)
    services.sync_payment(deal_id=deal.pk, now=now)
    assert Deal.objects.get(pk=deal.pk).state == Deal.State.FUNDED
    claim = {
        "id": "dp_1",
        "object": "dispute",
        "amount": 1,
        "currency": "usd",
        "payment_intent": payment.provider_ref,
        "status": "lost",
        "balance_transactions": [{"fee": 0}],
    }
    # Stripe does not know it: refused.
    post(client, claim, type_="charge.dispute.created", event_id="evt_dp_unknown")
    assert WebhookEvent.objects.get(event_id="evt_dp_unknown").status == "refused"
    assert not Chargeback.objects.exists()

    stub.disputes["dp_1"] = {
        "id": "dp_1",
        "object": "dispute",
        "amount": 300_000,
        "currency": "usd",
        "payment_intent": payment.provider_ref,
        "status": "needs_response",
        "reason": "fraudulent",
        "balance_transactions": [{"fee": 1500}],
    }
    post(client, claim, type_="charge.dispute.created", event_id="evt_dp_known")
    chargeback = Chargeback.objects.get(provider_ref="dp_1")
    assert (chargeback.amount, chargeback.fee, chargeback.status) == (300_000, 1500, "open")
    assert Deal.objects.get(pk=deal.pk).state == Deal.State.FROZEN

    # A malformed answer from the provider is refused too, never a 500.
    stub.disputes["dp_2"] = dict(stub.disputes["dp_1"], id="dp_2", amount=1e300)
    response = post(
        client, dict(claim, id="dp_2"), type_="charge.dispute.created", event_id="evt_dp_bad"
    )
    assert response.status_code == 200
    assert WebhookEvent.objects.get(event_id="evt_dp_bad").status == "refused"


def test_stripe_cancel_asks_stripe_first_a_payment_that_won_is_kept(localstripe_url, now):
    from escrow.exceptions import PaidBeforeCancel
    from escrow.models import Refund

    # Paid in the browser (Payment Element) a moment before the buyer's cancel.
    deal, payment = unpaid(now)
    browser_pays(localstripe_url, payment.provider_ref)
    with pytest.raises(PaidBeforeCancel):
        services.cancel_deal(deal_id=deal.pk, buyer=deal.buyer, now=now)
    assert Deal.objects.get(pk=deal.pk).state == Deal.State.FUNDED
    assert not Refund.objects.filter(deal=deal).exists()

    # Not paid: Stripe cancels the intent, then the deal is cancelled; the card can
    # no longer be charged.
    other, other_payment = unpaid(now)
    services.cancel_deal(deal_id=other.pk, buyer=other.buyer, now=now)
    assert Deal.objects.get(pk=other.pk).state == Deal.State.CANCELLED
    client = stripe.StripeClient("sk_test_handoff", base_addresses={"api": localstripe_url})
    assert client.v1.payment_intents.retrieve(other_payment.provider_ref)["status"] == "canceled"


def test_stripe_refund_events_are_checked_against_the_deal_not_applied(
    localstripe_url, client, now
):
    from escrow.models import Refund

    deal, payment = unpaid(now)
    browser_pays(localstripe_url, payment.provider_ref)
    services.sync_payment(deal_id=deal.pk, now=now)
    charge = {
        "id": "ch_x",
        "object": "charge",
        "payment_intent": payment.provider_ref,
        "amount": payment.amount,
        "amount_refunded": payment.amount + 1,
        "currency": "usd",
    }
    post(client, charge, type_="charge.refunded", event_id="evt_s_re_1")
    refund = {
        "id": "re_x",
        "object": "refund",
        "payment_intent": payment.provider_ref,
        "amount": 100,
        "currency": "usd",
        "metadata": {},
    }
    post(client, refund, type_="refund.created", event_id="evt_s_re_2")
    for event_id in ("evt_s_re_1", "evt_s_re_2"):
        assert WebhookEvent.objects.get(event_id=event_id).status == "refused"
    assert not Refund.objects.exists()
    assert Deal.objects.get(pk=deal.pk).state == Deal.State.FUNDED


def test_an_unreadable_answer_from_stripe_confirms_nothing(client, stub, now):
    deal, payment = unpaid(now)
    stub.garbled = True
    response = post(
        client, intent_obj(payment), type_="payment_intent.succeeded", event_id="evt_s_garbled"
    )
    assert response.status_code == 200
    stored = WebhookEvent.objects.get(event_id="evt_s_garbled")
    assert stored.status == "refused" and "unreadable" in stored.note
    assert Deal.objects.get(pk=deal.pk).state == Deal.State.PENDING_PAYMENT


def test_the_return_page_says_the_truth_when_stripe_is_down_or_the_deal_was_cancelled(
    client, stub, localstripe_url, now
):
    from django.contrib.messages import get_messages

    deal, payment = unpaid(now)
    client.force_login(deal.buyer)
    stub.down = True
    response = client.get(f"/deals/{deal.pk}/pay/return/")
    assert response.status_code == 302  # not a 500
    texts = [str(m) for m in get_messages(response.wsgi_request)]
    assert any("not reachable" in t for t in texts), texts
    stub.down = False

    # A moderator removed the listing (our side first); the buyer's browser had paid.
    browser_pays(localstripe_url, payment.provider_ref)
    services.cancel_deals_of_removed_listing(listing_id=deal.listing_id, now=now)
    response = client.get(f"/deals/{deal.pk}/pay/return/")
    texts = [str(m) for m in get_messages(response.wsgi_request)]
    assert any("refunded to your card in full" in t for t in texts), texts
    assert not any("No money was taken" in t for t in texts)
    assert Deal.objects.get(pk=deal.pk).state == Deal.State.CANCELLED


def test_connecting_a_payout_account_while_stripe_is_down_is_said_not_a_500(client, stub):
    from tests.factories import TEST_PASSWORD

    seller = VerifiedUserFactory()
    client.force_login(seller)
    client.post("/accounts/reauthenticate/", {"password": TEST_PASSWORD})

    def refuse(*args, **kwargs):
        raise stripe.APIConnectionError("connection refused")

    stub.request = refuse
    response = client.post("/payouts/connect/", {"country": "US"})
    # The payouts page again, the error above the form and the country kept.
    assert response.status_code == 200
    page = response.content.decode()
    assert "not reachable" in page
    assert 'value="US" selected' in page
