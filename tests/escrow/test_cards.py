"""The simulated gateway behaves like Stripe's test mode (issue 18, item 4): an
expired card, a number that fails its checksum, a bad security code or expiry are
refused with their own message, shown beside the field, in English and Chinese;
Stripe's other test cards keep working."""

from __future__ import annotations

import html

import pytest
from django.conf import settings
from django.utils import translation

from escrow import services
from escrow.exceptions import CardError
from escrow.gateways.simulated import provider_totals
from escrow.models import Deal, Payment

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _back_to_the_default_language():
    """A request in Chinese leaves the language active in this thread."""
    yield
    translation.activate(settings.LANGUAGE_CODE)


def card(number, exp="12/34", cvc="123"):
    return {"number": number, "exp": exp, "cvc": cvc}


@pytest.fixture
def deal(buyer, listing, now):
    deal = services.open_deal(buyer=buyer, listing_id=listing.pk, now=now)
    services.acknowledge_transfer_policy(deal_id=deal.pk, buyer=buyer, note="n", now=now)
    return deal


REFUSED = [
    # (card, Stripe's error code, field)
    (card("4242424242424242", exp="01/20"), "expired_card", "exp"),  # the case
    (card("4242424242424241"), "incorrect_number", "number"),  # fails the checksum
    (card("4242 4242 4242 4243"), "incorrect_number", "number"),
    (card("4000000000000069"), "expired_card", "exp"),  # Stripe's expired test card
    (card("4000000000000127"), "incorrect_cvc", "cvc"),  # Stripe's incorrect-CVC card
    (card("4242424242424242", cvc="12"), "invalid_cvc", "cvc"),
    (card("4242424242424242", cvc="12a"), "invalid_cvc", "cvc"),
    (card("4242424242424242", exp="13/30"), "invalid_expiry_month", "exp"),
    (card("4242424242424242", exp="garbage"), "invalid_expiry_month", "exp"),
    (card("4242424242424242", exp="12/99"), "invalid_expiry_year", "exp"),
    (card("4000000000000002"), "card_declined", ""),
    (card("4000000000009995"), "insufficient_funds", ""),
    (card("4000000000009987"), "card_declined", ""),  # lost card
    (card("4000000000000119"), "processing_error", ""),
    (card("4100000000000019"), "card_declined", ""),  # blocked as fraudulent
    # A real card (Luhn-valid, not a test number): test mode refuses it.
    (card("4111111111111111"), "test_mode_live_card", "number"),
    (card("5425233430109903"), "test_mode_live_card", "number"),
]


@pytest.mark.parametrize(
    ("given", "code", "field"),
    REFUSED,
    ids=[r[1] + ":" + r[0]["number"][-4:] + r[0]["exp"] + r[0]["cvc"] for r in REFUSED],
)
def test_refused_cards_name_their_reason_and_take_no_money(deal, buyer, now, given, code, field):
    with pytest.raises(CardError) as raised:
        services.pay_deal(deal_id=deal.pk, buyer=buyer, card=given, now=now)
    assert (raised.value.error_code, raised.value.field) == (code, field)
    assert Deal.objects.get(pk=deal.pk).state == Deal.State.PENDING_PAYMENT
    assert Payment.objects.get(deal=deal).error_code == code
    assert provider_totals()["captured"] == 0


def test_a_card_valid_through_this_month_still_pays(deal, buyer, now):
    this_month = f"{now.month:02d}/{now.year % 100:02d}"
    paid = services.pay_deal(
        deal_id=deal.pk, buyer=buyer, card=card("4242424242424242", exp=this_month), now=now
    )
    assert paid.state == Deal.State.FUNDED


@pytest.mark.parametrize(
    "number", ["5555555555554444", "378282246310005", "6200000000000005", "4000000760000002"]
)
def test_other_brands_test_cards_pay(deal, buyer, now, number):
    cvc = "1234" if number.startswith("37") else "123"
    paid = services.pay_deal(deal_id=deal.pk, buyer=buyer, card=card(number, cvc=cvc), now=now)
    assert paid.state == Deal.State.FUNDED


def test_stripes_other_test_cards_keep_working(deal, buyer, now):
    # Declined, then authentication required, then paid after the step.
    with pytest.raises(CardError):
        services.pay_deal(deal_id=deal.pk, buyer=buyer, card=card("4000000000000002"), now=now)
    pending = services.pay_deal(
        deal_id=deal.pk, buyer=buyer, card=card("4000000000003220"), now=now
    )
    assert pending.state == Deal.State.PENDING_PAYMENT
    assert Payment.objects.get(deal=deal).status == Payment.Status.REQUIRES_ACTION
    paid = services.complete_authentication(deal_id=deal.pk, buyer=buyer, success=True, now=now)
    assert paid.state == Deal.State.FUNDED


VIEW_CASES = [
    # (posted card, field, English, Chinese)
    (
        card("4242 4242 4242 4242", exp="01/20"),
        "exp",
        "Your card has expired.",
        "您的银行卡已过期。",
    ),
    (card("4242 4242 4242 4241"), "number", "Your card number is incorrect.", "您的卡号不正确。"),
    (card("4000 0000 0000 0069"), "exp", "Your card has expired.", "您的银行卡已过期。"),
    (
        card("4000 0000 0000 0127"),
        "cvc",
        "Your card's security code is incorrect.",
        "您的银行卡安全码不正确。",
    ),
    (card("4242 4242 4242 4242", cvc="1"), "cvc", "Three or four digits.", "三位或四位数字。"),
    (card("4242 4242 4242 4242", exp="1/2"), "exp", "Use the form MM/YY.", "请使用 MM/YY 格式。"),
]


@pytest.mark.parametrize("language", ["en", "zh-hans"])
@pytest.mark.parametrize(("posted", "field", "english", "chinese"), VIEW_CASES)
def test_the_pay_page_shows_each_card_error_beside_its_field(
    client, deal, buyer, language, posted, field, english, chinese
):
    client.force_login(buyer)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = language
    response = client.post(f"/deals/{deal.pk}/pay/", {"step": "card", **posted})
    assert response.status_code == 200
    form = response.context["card_form"]
    expected = english if language == "en" else chinese
    assert form.errors[field] == [expected], form.errors
    assert html.escape(expected) in response.content.decode()
    # What was typed is kept, and no money moved.
    assert form["number"].value() == posted["number"]
    assert Deal.objects.get(pk=deal.pk).state == Deal.State.PENDING_PAYMENT
    assert provider_totals()["captured"] == 0


def test_the_provider_down_when_paying_is_said_plainly_never_a_500(
    client, deal, buyer, monkeypatch
):
    from escrow.gateways import simulated
    from escrow.gateways.base import GatewayError

    def down(self, **kwargs):
        raise GatewayError("connection refused", code="api_connection_error", retryable=True)

    monkeypatch.setattr(simulated.SimulatedGateway, "create_payment", down)
    client.force_login(buyer)
    response = client.post(
        f"/deals/{deal.pk}/pay/", {"step": "card", **card("4242 4242 4242 4242")}
    )
    assert response.status_code == 200
    assert "No money was taken" in response.content.decode()
    assert Deal.objects.get(pk=deal.pk).state == Deal.State.PENDING_PAYMENT
