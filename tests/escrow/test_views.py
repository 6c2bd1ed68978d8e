"""The deal pages: access (404 for strangers), checkout through the web, handover,
credentials behind re-authentication, and the webhook endpoint."""

from __future__ import annotations

import json
import time

import pytest
from django.urls import reverse

from escrow import services
from escrow.gateways import simulated
from escrow.gateways.simulated import provider_totals, sign
from escrow.models import CredentialView, Deal, Payment, SimEvent, WebhookEvent
from tests.factories import TEST_PASSWORD, VerifiedUserFactory

from .conftest import hand_over, open_and_pay

pytestmark = pytest.mark.django_db


def test_another_user_gets_404_for_a_deal_and_its_pages(client, buyer, listing, now):
    deal = services.open_deal(buyer=buyer, listing_id=listing.pk, now=now)
    client.force_login(VerifiedUserFactory())
    for name in ("detail", "pay", "handover", "credentials"):
        assert client.get(reverse(f"escrow:{name}", args=[deal.pk])).status_code in (404, 302)
    assert client.get(reverse("escrow:detail", args=[deal.pk])).status_code == 404
    assert client.get(reverse("escrow:detail", args=[deal.pk + 999])).status_code == 404


def test_a_visitor_not_signed_in_logs_in_from_the_listing_and_comes_back_to_buy(
    client, buyer, listing
):
    listing_url = reverse("listings:detail", args=[listing.pk])
    page = client.get(listing_url).content.decode()
    assert reverse("escrow:buy", args=[listing.pk]) not in page  # no form to POST anonymously
    login_url = f"{reverse('account_login')}?next={listing_url}"
    assert f'href="{login_url}"' in page
    assert "Log in to buy with escrow" in page
    response = client.post(login_url, {"login": buyer.email, "password": TEST_PASSWORD})
    assert response.status_code == 302
    assert response.url == listing_url  # back on the listing, where the buy form now is
    page = client.get(listing_url).content.decode()
    assert reverse("escrow:buy", args=[listing.pk]) in page


def test_buyer_buys_acknowledges_and_pays_through_the_pages(client, buyer, listing):
    client.force_login(buyer)
    response = client.post(reverse("escrow:buy", args=[listing.pk]))
    deal = Deal.objects.get()
    assert response.url == reverse("escrow:pay", args=[deal.pk])

    page = client.get(reverse("escrow:pay", args=[deal.pk])).content.decode()
    assert "$1,500.00" in page and "$75.00" in page and "$1,575.00" in page

    client.post(reverse("escrow:pay", args=[deal.pk]), {"step": "acknowledge", "acknowledge": "on"})
    deal.refresh_from_db()
    assert deal.policy_acknowledged_at is not None and deal.policy_note

    response = client.post(
        reverse("escrow:pay", args=[deal.pk]),
        {"step": "card", "number": "4242 4242 4242 4242", "exp": "12/34", "cvc": "123"},
    )
    assert response.status_code == 302
    deal.refresh_from_db()
    assert deal.state == Deal.State.FUNDED
    detail = client.get(reverse("escrow:detail", args=[deal.pk])).content.decode()
    assert "Paid; money held in escrow" in detail
    assert listing.handle in detail  # shown once funded


def test_declined_card_shows_a_clear_message_and_takes_nothing(client, buyer, listing, now):
    deal = services.open_deal(buyer=buyer, listing_id=listing.pk, now=now)
    services.acknowledge_transfer_policy(deal_id=deal.pk, buyer=buyer, note="n", now=now)
    client.force_login(buyer)
    response = client.post(
        reverse("escrow:pay", args=[deal.pk]),
        {"step": "card", "number": "4000 0000 0000 0002", "exp": "12/34", "cvc": "123"},
        follow=True,
    )
    assert "Your card was declined. No money was taken" in response.content.decode()
    assert provider_totals()["captured"] == 0
    assert Deal.objects.get().state == Deal.State.PENDING_PAYMENT


def test_a_buyer_at_the_unpaid_cap_is_sent_to_their_deals_to_pay_or_cancel_one(
    client, buyer, listing, now, settings
):
    from tests.factories import ListingFactory

    settings.MAX_UNPAID_DEALS = 1
    unpaid = services.open_deal(buyer=buyer, listing_id=listing.pk, now=now)
    other = ListingFactory()
    client.force_login(buyer)
    response = client.post(reverse("escrow:buy", args=[other.pk]))
    assert response.status_code == 302 and response.url == reverse("escrow:my_deals")
    page = client.get(response.url).content.decode()
    assert "maximum number of unpaid deals" in page
    assert reverse("escrow:detail", args=[unpaid.pk]) in page  # the deal to pay or cancel
    assert Deal.objects.filter(buyer=buyer).count() == 1


def test_buying_own_listing_shows_a_message(client, listing):
    client.force_login(listing.seller)
    response = client.post(reverse("escrow:buy", args=[listing.pk]), follow=True)
    assert "You cannot buy your own listing." in response.content.decode()
    assert not Deal.objects.exists()


def test_handover_then_credentials_need_reauthentication(client, buyer, listing, now):
    deal = open_and_pay(buyer, listing, now)
    seller_client = client.__class__()
    seller_client.force_login(deal.seller)
    response = seller_client.get(reverse("escrow:handover", args=[deal.pk]))
    assert response.status_code == 200
    hand_over(deal, now)

    client.force_login(buyer)
    response = client.get(reverse("escrow:credentials", args=[deal.pk]))
    assert response.status_code == 302
    assert "/accounts/reauthenticate/" in response.url
    client.post(response.url, {"password": TEST_PASSWORD})
    # A HEAD shows nothing, so it reveals and logs nothing either.
    assert client.head(reverse("escrow:credentials", args=[deal.pk])).status_code == 405
    assert not CredentialView.objects.filter(deal=deal).exists()
    response = client.get(reverse("escrow:credentials", args=[deal.pk]))
    assert response.status_code == 200
    assert "s3cret-pass" in response.content.decode()
    assert "no-store" in response["Cache-Control"]


def _post_event(client, payload: bytes, signature: str):
    return client.post(
        reverse("escrow:stripe_webhook"),
        data=payload,
        content_type="application/json",
        HTTP_STRIPE_SIGNATURE=signature,
    )


def test_webhook_applies_a_signed_event_once_and_refuses_forged_or_stale_ones(
    client, buyer, listing, now
):
    deal = services.open_deal(buyer=buyer, listing_id=listing.pk, now=now)
    payment = services.prepare_payment(deal_id=deal.pk, now=now)
    gateway = simulated.SimulatedGateway()
    gateway.confirm_payment(
        ref=payment.provider_ref,
        card={"number": "4242424242424242", "exp": "12/34", "cvc": "123"},
        now=now,
    )
    event = SimEvent.objects.get(type="payment_intent.succeeded")
    payload = event.payload.encode()

    forged = sign(payload, secret="not-the-secret-at-all")
    assert _post_event(client, payload, forged).status_code == 400
    stale = sign(payload, timestamp=int(time.time()) - 600)
    assert _post_event(client, payload, stale).status_code == 400
    tampered = json.loads(payload)
    tampered["data"]["object"]["amount"] = 1
    assert _post_event(client, json.dumps(tampered).encode(), sign(payload)).status_code == 400
    assert not WebhookEvent.objects.exists()
    assert Deal.objects.get().state == Deal.State.PENDING_PAYMENT

    assert _post_event(client, payload, sign(payload)).status_code == 200
    assert _post_event(client, payload, sign(payload)).status_code == 200  # duplicate
    assert WebhookEvent.objects.count() == 1
    deal.refresh_from_db()
    assert deal.state == Deal.State.FUNDED
    assert Payment.objects.get().status == Payment.Status.SUCCEEDED


def test_a_failure_event_arriving_after_success_changes_nothing(client, buyer, listing, now):
    deal = services.open_deal(buyer=buyer, listing_id=listing.pk, now=now)
    payment = services.prepare_payment(deal_id=deal.pk, now=now)
    gateway = simulated.SimulatedGateway()
    gateway.confirm_payment(
        ref=payment.provider_ref,
        card={"number": "4000000000000002", "exp": "12/34", "cvc": "123"},
        now=now,
    )
    gateway.confirm_payment(
        ref=payment.provider_ref,
        card={"number": "4242424242424242", "exp": "12/34", "cvc": "123"},
        now=now,
    )
    failed = SimEvent.objects.get(type="payment_intent.payment_failed").payload.encode()
    succeeded = SimEvent.objects.get(type="payment_intent.succeeded").payload.encode()
    assert _post_event(client, succeeded, sign(succeeded)).status_code == 200
    assert _post_event(client, failed, sign(failed)).status_code == 200
    deal.refresh_from_db()
    assert deal.state == Deal.State.FUNDED
    assert Payment.objects.get().status == Payment.Status.SUCCEEDED


def test_my_deals_lists_both_roles_within_a_query_budget(
    client, buyer, listing, now, django_assert_max_num_queries
):
    open_and_pay(buyer, listing, now)
    client.force_login(buyer)
    with django_assert_max_num_queries(12):
        response = client.get(reverse("escrow:my_deals"))
    assert response.status_code == 200
    assert listing.title in response.content.decode()


@pytest.mark.parametrize("button", ["accept", "extend", "request_refund"])
def test_each_deal_page_button_answers_a_stranger_a_refusal_and_a_success(
    client, buyer, listing, button
):
    """The deal page's one-click buttons: 404 for whoever may not see the deal, the
    refusal's message on the deal page, and the deal page saying what was done."""
    from django.utils import timezone

    deal = open_and_pay(buyer, listing, timezone.now())
    url = reverse(f"escrow:{button}", args=[deal.pk])
    client.force_login(VerifiedUserFactory())
    assert client.post(url).status_code == 404
    client.force_login(buyer)
    refused = client.post(url, follow=True)  # funded, not delivered nor watched: refused
    assert refused.redirect_chain == [(reverse("escrow:detail", args=[deal.pk]), 302)]
    assert [m.level_tag for m in refused.context["messages"]] == ["error"]
    deal.refresh_from_db()
    assert deal.state == Deal.State.FUNDED
    if button == "request_refund":
        services.watch_deal(deal_id=deal.pk, reason="listing removed", now=timezone.now())
    else:
        hand_over(deal, timezone.now())
    done = client.post(url, follow=True)
    assert [m.level_tag for m in done.context["messages"]] == ["success"]
    deal.refresh_from_db()
    assert (
        deal.state
        == {
            "accept": Deal.State.ACCEPTED,
            "extend": Deal.State.DELIVERED,
            "request_refund": Deal.State.REFUNDED,
        }[button]
    )
