"""The simulated card form in a real Chromium (issue 18, item 4): an expired card
and a number failing its checksum are refused like Stripe's test mode, each message
beside its field (marked invalid, described by the message), in English and
Chinese; what was typed is kept; the good test card then pays."""

from __future__ import annotations

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from escrow import services as escrow_services
from escrow.models import Deal
from tests.browser.journey_helpers import SHOTS, T, login, new_page, pay_with_card, set_language
from tests.factories import ListingFactory, VerifiedUserFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

CASES = {
    "en": [
        (("4242 4242 4242 4242", "01/20", "123"), "id_exp", "Your card has expired."),
        (("4242 4242 4242 4241", "12/34", "123"), "id_number", "Your card number is incorrect."),
    ],
    "zh-hans": [
        (("4242 4242 4242 4242", "01/20", "123"), "id_exp", "您的银行卡已过期。"),
        (("4242 4242 4242 4241", "12/34", "123"), "id_number", "您的卡号不正确。"),
    ],
}


@pytest.mark.parametrize("lang", ["en", "zh-hans"])
def test_card_errors_beside_their_fields_then_the_good_card_pays(live_server, browser, lang):
    base, now = live_server.url, timezone.now()
    buyer = VerifiedUserFactory()
    listing = ListingFactory(seller=VerifiedUserFactory(), price=82_530)
    deal = escrow_services.open_deal(buyer=buyer, listing_id=listing.pk, now=now)
    escrow_services.acknowledge_transfer_policy(deal_id=deal.pk, buyer=buyer, note="n", now=now)
    page = new_page(browser, lang)
    set_language(page, base, lang)
    login(page, base, buyer.email, lang)
    page.goto(f"{base}/deals/{deal.pk}/pay/")
    for i, (card, field_id, message) in enumerate(CASES[lang]):
        pay_with_card(page, lang, card)
        field = page.locator(f"#{field_id}")
        expect(field).to_have_attribute("aria-invalid", "true")
        assert f"{field_id}_error" in (field.get_attribute("aria-describedby") or "").split()
        expect(page.locator(f"#{field_id}_error")).to_have_text(message)
        expect(page.locator("#id_number")).to_have_value(card[0])
        if i == 0:
            SHOTS.mkdir(parents=True, exist_ok=True)
            page.screenshot(path=str(SHOTS / f"escrow-card-expired-{lang}.png"), full_page=True)
        assert Deal.objects.get(pk=deal.pk).state == Deal.State.PENDING_PAYMENT
    pay_with_card(page, lang, ("4242 4242 4242 4242", "12/34", "123"))
    expect(page.locator("body")).to_contain_text(
        T("Payment received. Your money is held in escrow.", lang)
    )
    assert Deal.objects.get(pk=deal.pk).state == Deal.State.FUNDED
