"""The Stripe gateway against localstripe (collect, refund, signed webhooks), with
Stripe's Connect endpoints (which localstripe lacks) stubbed at the HTTP layer."""

from __future__ import annotations

import json
import time
import urllib.parse
import urllib.request
from datetime import timedelta

import pytest
import stripe
from django.conf import settings as django_settings

from escrow import services, tasks
from escrow.gateways import stripe as stripe_gateway
from escrow.models import Deal, Payout, Refund, WebhookEvent
from tests.factories import ListingFactory, VerifiedUserFactory

from .conftest import hand_over

API_KEY = "sk_test_handoff"
WEBHOOK_SECRET = "whsec_handoff_test_secret"


class ConnectStub(stripe.RequestsClient):
    """Everything goes to localstripe except Connect (accounts, account links,
    transfers), which this stub answers like Stripe would."""

    def __init__(self):
        super().__init__()
        self.accounts: dict[str, dict] = {}
        self.transfers: list[dict] = []
        self.transfer_keys: dict[str, dict] = {}
        self.lose_next_transfer_response = False

    def _reply(self, body, status=200):
        return json.dumps(body).encode(), status, {"Content-Type": "application/json"}

    def request(self, method, url, headers, post_data=None):
        parsed = urllib.parse.urlparse(url)
        path = parsed.path
        form = dict(
            urllib.parse.parse_qsl(
                post_data.decode() if isinstance(post_data, bytes) else post_data or ""
            )
        )
        query = dict(urllib.parse.parse_qsl(parsed.query))
        if path == "/v1/accounts" and method == "post":
            acct = {
                "id": f"acct_stub{len(self.accounts) + 1}",
                "object": "account",
                "country": form.get("country", "US"),
                "payouts_enabled": False,
            }
            self.accounts[acct["id"]] = acct
            return self._reply(acct)
        if path.startswith("/v1/accounts/"):
            return self._reply(self.accounts[path.rsplit("/", 1)[1]])
        if path == "/v1/account_links":
            return self._reply(
                {"object": "account_link", "url": "https://connect.stripe.test/onboard"}
            )
        if path == "/v1/transfers" and method == "post":
            key = (headers or {}).get("Idempotency-Key", "")
            if key in self.transfer_keys:
                return self._reply(self.transfer_keys[key])
            transfer = {
                "id": f"tr_stub{len(self.transfers) + 1}",
                "object": "transfer",
                "amount": int(form["amount"]),
                "currency": form["currency"],
                "destination": form["destination"],
                "source_transaction": form.get("source_transaction"),
                "transfer_group": form.get("transfer_group"),
                "metadata": {k[9:-1]: v for k, v in form.items() if k.startswith("metadata[")},
            }
            self.transfers.append(transfer)
            self.transfer_keys[key] = transfer
            if self.lose_next_transfer_response:
                self.lose_next_transfer_response = False
                raise stripe.APIConnectionError("connection reset")
            return self._reply(transfer)
        if path == "/v1/transfers" and method == "get":
            data = [t for t in self.transfers if t["transfer_group"] == query.get("transfer_group")]
            return self._reply({"object": "list", "data": data, "has_more": False, "url": path})
        return super().request(method, url, headers, post_data)


@pytest.fixture
def stub():
    return ConnectStub()


@pytest.fixture
def stripe_settings(settings, localstripe_url):
    settings.PAYMENT_GATEWAY = "escrow.gateways.stripe.StripeGateway"
    settings.STRIPE_API_BASE = localstripe_url
    settings.STRIPE_SECRET_KEY = API_KEY
    settings.STRIPE_PUBLISHABLE_KEY = "pk_test_handoff"
    settings.STRIPE_WEBHOOK_SECRET = WEBHOOK_SECRET
    return settings


@pytest.fixture
def gateway(stripe_settings, stub, monkeypatch):
    """The configured gateway, built with the Connect stub as its HTTP client."""
    from escrow import gateways

    instance = stripe_gateway.StripeGateway(http_client=stub)
    monkeypatch.setattr(gateways, "get_gateway", lambda: instance)
    from escrow import webhooks

    monkeypatch.setattr(webhooks, "get_gateway", lambda: instance)
    return instance


def browser_pays(localstripe_url, payment_ref, number="4242424242424242"):
    """What Stripe.js and the Payment Element do in the buyer's browser."""
    client = stripe.StripeClient(API_KEY, base_addresses={"api": localstripe_url})
    method = client.v1.payment_methods.create(
        params={
            "type": "card",
            "card": {"number": number, "exp_month": 12, "exp_year": 2034, "cvc": "123"},
        }
    )
    client.v1.payment_intents.update(payment_ref, params={"payment_method": method["id"]})
    try:
        client.v1.payment_intents.confirm(payment_ref)
    except stripe.CardError:
        pass


def test_collect_and_refund_against_localstripe(gateway, localstripe_url, now):
    result = gateway.create_payment(
        amount=157_500,
        currency="USD",
        idempotency_key="payment-t1",
        metadata={"deal_id": "1"},
        now=now,
    )
    assert result.status == "requires_payment_method" and result.client_secret
    browser_pays(localstripe_url, result.ref)
    paid = gateway.retrieve_payment(ref=result.ref, now=now)
    assert paid.status == "succeeded" and paid.amount == 157_500 and paid.charge_ref

    refund = gateway.refund(
        payment_ref=result.ref,
        amount=157_500,
        idempotency_key="refund-t1-1",
        metadata={"refund_id": "9"},
        now=now,
    )
    assert refund.amount == 157_500
    found = gateway.find_refund(payment_ref=result.ref, metadata={"refund_id": "9"}, now=now)
    assert found is not None and found.ref == refund.ref


def _register_webhook(localstripe_url, target):
    data = urllib.parse.urlencode({"url": target, "secret": WEBHOOK_SECRET}).encode()
    request = urllib.request.Request(f"{localstripe_url}/_config/webhooks/handoff", data=data)  # noqa: S310
    urllib.request.urlopen(request)  # noqa: S310 - loopback


def _wait(predicate, timeout=15):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.2)
    return predicate()


@pytest.mark.django_db(transaction=True)
def test_signed_webhook_from_localstripe_funds_the_deal_then_refund_and_connect_payout(
    gateway, stub, localstripe_url, live_server, now
):
    _register_webhook(localstripe_url, live_server.url + "/webhooks/stripe/")
    buyer = VerifiedUserFactory()
    listing = ListingFactory(seller=VerifiedUserFactory())
    deal = services.open_deal(buyer=buyer, listing_id=listing.pk, now=now)
    services.acknowledge_transfer_policy(deal_id=deal.pk, buyer=buyer, note="n", now=now)
    payment = services.prepare_payment(deal_id=deal.pk, now=now)

    browser_pays(localstripe_url, payment.provider_ref)

    # Only the signed webhook tells us: no return-URL sync in this test.
    assert _wait(lambda: Deal.objects.get(pk=deal.pk).state == Deal.State.FUNDED)
    # (Counted for this payment: localstripe is shared by the session and may still
    # deliver an earlier test's events.)
    ours = WebhookEvent.objects.filter(
        provider="stripe",
        type="payment_intent.succeeded",
        payload__data__object__id=payment.provider_ref,
    )
    assert ours.count() == 1 and ours.get().status == WebhookEvent.Status.APPLIED

    # The seller hands over; the buyer accepts; the seller onboards with Connect.
    hand_over(deal, now)
    services.accept_deal(deal_id=deal.pk, buyer=buyer, now=now)
    account, url = services.connect_payout_account(
        user=listing.seller, country="US", return_url="http://x/", refresh_url="http://x/"
    )
    assert url == "https://connect.stripe.test/onboard"
    later = now + django_settings.PROTECTION_WINDOW + timedelta(seconds=1)
    tasks.release_after_protection(now=later.isoformat())
    payout = Payout.objects.get(deal=deal)
    assert payout.status == Payout.Status.ON_HOLD  # payouts not enabled yet: no transfer
    assert stub.transfers == []

    stub.accounts[account.account_ref]["payouts_enabled"] = True
    services.refresh_payout_account(user=listing.seller)
    stub.lose_next_transfer_response = True
    tasks.execute_due_payouts(now=later.isoformat())
    payout.refresh_from_db()
    assert payout.status == Payout.Status.FAILED
    tasks.execute_due_payouts(now=(later + timedelta(days=2)).isoformat())
    payout.refresh_from_db()
    assert payout.status == Payout.Status.PAID
    assert len(stub.transfers) == 1
    transfer = stub.transfers[0]
    assert transfer["amount"] == deal.price
    assert transfer["source_transaction"].startswith("ch_")
    assert transfer["metadata"]["payout_id"] == str(payout.pk)


@pytest.mark.django_db(transaction=True)
def test_refund_of_an_undelivered_deal_goes_through_stripe(gateway, localstripe_url, now):
    buyer = VerifiedUserFactory()
    listing = ListingFactory(seller=VerifiedUserFactory())
    deal = services.open_deal(buyer=buyer, listing_id=listing.pk, now=now)
    payment = services.prepare_payment(deal_id=deal.pk, now=now)
    browser_pays(localstripe_url, payment.provider_ref)
    services.sync_payment(deal_id=deal.pk, now=now)  # the Payment Element's return URL
    assert Deal.objects.get(pk=deal.pk).state == Deal.State.FUNDED

    later = now + django_settings.DELIVERY_DEADLINE + timedelta(seconds=1)
    tasks.refund_undelivered_deals(now=later.isoformat())

    refund = Refund.objects.get(deal=deal)
    assert refund.status == Refund.Status.SUCCEEDED and refund.provider_ref.startswith("re_")
    assert Deal.objects.get(pk=deal.pk).state == Deal.State.REFUNDED


@pytest.mark.parametrize(
    "currency,refused", [("HUF", True), ("KWD", True), ("USD", False), ("JPY", False)]
)
def test_stripe_refuses_a_settlement_currency_it_counts_otherwise_than_iso(
    settings, currency, refused
):
    """Amounts are ISO minor units everywhere (kernel.money); Stripe counts its
    "special case" currencies otherwise, so the start-up check refuses them."""
    from escrow.gateways.stripe import StripeGateway

    settings.SETTLEMENT_CURRENCY = currency
    settings.STRIPE_SECRET_KEY = "sk_test_x"
    settings.STRIPE_PUBLISHABLE_KEY = "pk_test_x"
    settings.STRIPE_WEBHOOK_SECRET = "whsec_x"
    problems = StripeGateway.check_configuration()
    assert any(currency in p for p in problems) is refused, problems
