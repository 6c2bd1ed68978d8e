"""Escrow's forms come back with what was typed and each error beside its field,
named: the review and the seller's reply, the moderator's dispute decision, the
handover checklist, the payout forms (one id per input, only supported
countries, a ready Connect account never silently replaced)."""

from __future__ import annotations

import html
import re

import pytest
from django.urls import reverse

from escrow import services
from escrow.exceptions import PayoutAccountReady, PayoutCountryUnsupported
from escrow.models import Dispute, Review, SellerPayoutAccount
from tests.accounts.identity_helpers import moderator
from tests.factories import TEST_PASSWORD
from tests.totp import force_login_with_second_factor

from .conftest import accepted_deal, after_protection, connect_seller, hand_over, open_and_pay

pytestmark = pytest.mark.django_db


def _page(response) -> str:
    return html.unescape(re.sub(r"\s+", " ", response.content.decode()))


def _reauthenticated(client, user):
    """Signed in, with the password re-entered just now (allauth's own form)."""
    client.force_login(user)
    response = client.post("/accounts/reauthenticate/", {"password": TEST_PASSWORD})
    assert response.status_code == 302, response.content.decode()[:500]


@pytest.fixture
def released(buyer, listing, now):
    deal = accepted_deal(buyer, listing, now)
    services.release_deal(deal_id=deal.pk, now=after_protection(now))
    deal.refresh_from_db()
    return deal


# ------------------------------------------------------------ review, reply


def test_a_review_without_stars_comes_back_with_its_text_and_the_error_beside_rating(
    client, released
):
    client.force_login(released.buyer)
    response = client.post(
        reverse("escrow:review", args=[released.pk]), {"text": "Smooth handover, thanks!"}
    )
    assert response.status_code == 200
    page = _page(response)
    assert re.search(r'<textarea[^>]*id="review_text"[^>]*>\s*Smooth handover, thanks!', page)
    assert 'id="review_rating_error"' in page
    assert "Choose a rating from 1 to 5 stars." in page
    assert not Review.objects.exists()


def test_a_too_long_reply_comes_back_as_typed(client, released, now):
    services.leave_review(deal_id=released.pk, buyer=released.buyer, rating=4, text="ok", now=now)
    client.force_login(released.seller)
    typed = "Thank you! " * 300  # over the 2,000-character limit
    response = client.post(reverse("escrow:review_reply", args=[released.pk]), {"text": typed})
    assert response.status_code == 200
    page = response.content.decode()
    assert 'id="reply_text_error"' in page
    assert typed.strip()[:200] in page
    assert Review.objects.get().reply == ""


# ------------------------------------------------------------ dispute decision


@pytest.fixture
def dispute(buyer, listing, now):
    deal = open_and_pay(buyer, listing, now)
    hand_over(deal, now)
    return services.open_dispute(
        deal_id=deal.pk,
        user=buyer,
        statement="Not as described.",
        evidence=[],
        kind=Dispute.Kind.DISPUTE,
        now=now,
    )


def test_a_decision_with_a_negative_share_names_the_field_and_keeps_the_reason(client, dispute):
    mod = moderator(display_name="Mod")
    force_login_with_second_factor(client, mod)
    url = reverse("admin:escrow_dispute_decide", args=[dispute.pk])
    response = client.post(
        url,
        {
            "outcome": "split",
            "buyer_amount": "-5",
            "seller_amount": "",
            "reason": "Half the followers were bought.",
        },
    )
    assert response.status_code == 200
    page = _page(response)
    assert "The buyer's share cannot be negative." in page
    assert "The seller's share is needed for a split." in page
    assert "Ensure this value" not in page
    assert "Half the followers were bought." in page  # the reason, as typed
    assert 'value="-5"' in page
    dispute.refresh_from_db()
    assert dispute.is_open


def test_shares_that_do_not_add_up_come_back_beside_the_buyer_share(client, dispute):
    force_login_with_second_factor(client, moderator(display_name="Mod"))
    response = client.post(
        reverse("admin:escrow_dispute_decide", args=[dispute.pk]),
        {"outcome": "split", "buyer_amount": "1", "seller_amount": "1", "reason": "Split it."},
    )
    page = _page(response)
    assert "add up exactly" in page and "Split it." in page
    dispute.refresh_from_db()
    assert dispute.is_open


# ----------------------------------------------------------------- handover


def test_unticked_handover_items_each_name_the_step(client, buyer, listing, now):
    deal = open_and_pay(buyer, listing, now)
    client.force_login(deal.seller)
    response = client.post(
        reverse("escrow:handover", args=[deal.pk]),
        {"login": "owner@example.com", "password": "s3cret", "notes": "Codes in the notes."},
    )
    page = _page(response)
    errors = re.findall(r'<ul class="errorlist" id="id_check_\w+_error"><li>([^<]+)</li>', page)
    assert len(errors) >= 2 and len(set(errors)) == len(errors), errors
    assert "This field is required." not in page
    assert all(e.startswith("Tick “") for e in errors)
    assert 'value="owner@example.com"' in page and "Codes in the notes." in page
    assert "s3cret" not in page  # passwords are never sent back


# ------------------------------------------------------------------ payouts


def test_the_payout_page_has_one_id_per_input(client, seller):
    services.save_manual_payout_details(user=seller, country="CN", bank_details="ICBC 6222")
    client.force_login(seller)
    page = client.get("/payouts/").content.decode()
    ids = re.findall(r'\bid="([^"]+)"', page)
    assert len(ids) == len(set(ids)), [i for i in ids if ids.count(i) > 1]
    assert 'id="connect_country"' in page and 'id="manual_country"' in page


@pytest.mark.parametrize("country", ["XX", "ZZ", "us1", "<b>", "USA"])
def test_an_unsupported_country_is_refused_beside_the_field(client, seller, country):
    _reauthenticated(client, seller)
    response = client.post("/payouts/connect/", {"country": country})
    assert response.status_code == 200
    page = response.content.decode()
    assert 'id="connect_country_error"' in page
    assert not SellerPayoutAccount.objects.exists()
    with pytest.raises(PayoutCountryUnsupported):
        services.connect_payout_account(user=seller, country="XX", return_url="x", refresh_url="x")


def test_a_ready_connect_account_is_never_replaced_by_the_manual_rail(client, seller):
    connect_seller(seller, "US")
    account = SellerPayoutAccount.objects.get(user=seller)
    assert account.can_receive
    _reauthenticated(client, seller)
    response = client.post("/payouts/connect/", {"country": "CN"})
    assert response.status_code == 200
    assert "so it was kept" in response.content.decode()
    response = client.post("/payouts/manual/", {"country": "CN", "bank_details": "ICBC 6222"})
    assert "so it was kept" in response.content.decode()
    assert "ICBC 6222" in response.content.decode()  # the typed details come back
    account.refresh_from_db()
    assert account.rail == SellerPayoutAccount.Rail.PROVIDER and account.country == "US"
    assert account.bank_details == ""
    with pytest.raises(PayoutAccountReady):
        services.save_manual_payout_details(user=seller, country="CN", bank_details="x")


@pytest.mark.parametrize(("lang", "name"), [("en", "United States"), ("zh-hans", "美国")])
def test_the_payout_account_names_its_country_in_the_readers_language(client, seller, lang, name):
    from .conftest import connect_seller

    connect_seller(seller, country="US")
    client.force_login(seller)
    client.cookies["django_language"] = lang
    page = client.get("/payouts/").content.decode()
    assert f"· {name}</p>" in page
    assert "· US</p>" not in page
