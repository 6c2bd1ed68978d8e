"""/me/export/ ("Download my data") and /me/close/ ("Close my account"): both after
re-authentication; the export holds no other person's data and no secret; closure
is refused while a deal is open or money is held, otherwise removes personal data
and keeps deals and ledger entries."""

from __future__ import annotations

import json

import pytest
from allauth.account.models import EmailAddress
from django.test import Client
from django.urls import reverse

from accounts import services
from accounts.exceptions import AccountClosureRefused
from accounts.models import AuditEntry, IdentityVerification, User
from escrow import tasks
from escrow.models import Deal, LedgerEntry
from tests.escrow.conftest import accepted_deal, after_protection, connect_seller, open_and_pay
from tests.factories import TEST_PASSWORD, ListingFactory, UserFactory, VerifiedUserFactory

from .identity_helpers import submit

pytestmark = pytest.mark.django_db


def _signed_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _reauthenticate(client, url):
    response = client.get(url)
    assert response.status_code == 302 and "/accounts/reauthenticate/" in response.url
    client.post(response.url, {"password": TEST_PASSWORD})


@pytest.fixture
def now():
    from django.utils import timezone

    return timezone.now().replace(microsecond=0)


def test_profile_links_to_export_and_closure(client):
    client.force_login(UserFactory())
    page = client.get(reverse("accounts:profile")).content.decode()
    assert reverse("accounts:export_data") in page and reverse("accounts:close_account") in page


def test_export_after_reauthentication_holds_own_data_only(now):
    seller = VerifiedUserFactory(display_name="Alice Seller")
    buyer = VerifiedUserFactory(display_name="Bob Buyer")
    connect_seller(seller)
    listing = ListingFactory(seller=seller, price=100_000, title="Cooking channel")
    deal = accepted_deal(buyer, listing, now)
    client = _signed_in(buyer)

    _reauthenticate(client, reverse("accounts:export_data"))
    response = client.get(reverse("accounts:export_data"))

    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    assert "attachment" in response["Content-Disposition"]
    raw = response.content.decode()
    data = json.loads(raw)
    assert data["profile"]["email"] == buyer.email
    assert [d["id"] for d in data["deals_as_buyer"]] == [deal.pk]
    assert data["deals_as_seller"] == []
    for key in ("listings", "reports", "violations", "sanctions", "appeals", "verifications"):
        assert key in data
    number = IdentityVerification.objects.filter(user=buyer).first()
    if number is not None and number.document_number:
        assert number.document_number not in raw
    # Nothing of the other party and no credentials.
    assert seller.email not in raw and "Alice Seller" not in raw
    assert "s3cret-pass" not in raw and "owner@example.com" not in raw
    assert AuditEntry.objects.filter(action="accounts.data_exported", actor=buyer).exists()


def test_export_shows_only_the_last_four_characters_of_the_document_number():
    user = UserFactory()
    verification = submit(user)
    client = _signed_in(user)
    _reauthenticate(client, reverse("accounts:export_data"))
    raw = client.get(reverse("accounts:export_data")).content.decode()
    data = json.loads(raw)
    assert data["verifications"][0]["document_number"] == f"···{verification.document_last4}"
    assert verification.document_number not in raw


def test_closure_is_refused_while_a_deal_is_open(now):
    buyer = VerifiedUserFactory()
    deal = open_and_pay(buyer, ListingFactory(seller=VerifiedUserFactory()), now)
    client = _signed_in(buyer)
    _reauthenticate(client, reverse("accounts:close_account"))

    response = client.post(reverse("accounts:close_account"), {"confirm": "on"}, follow=True)

    assert "still open" in response.content.decode()
    buyer.refresh_from_db()
    assert buyer.is_active and not buyer.email.endswith("@closed.invalid")
    assert Deal.objects.get(pk=deal.pk).state == Deal.State.FUNDED
    assert not AuditEntry.objects.filter(action="accounts.user.closed").exists()


def test_closure_is_refused_while_money_is_held_for_the_seller(now):
    seller = VerifiedUserFactory()  # no payout account: the payout waits on hold
    deal = accepted_deal(VerifiedUserFactory(), ListingFactory(seller=seller), now)
    assert tasks.release_after_protection(now=after_protection(now).isoformat()) == 1
    assert Deal.objects.get(pk=deal.pk).state == Deal.State.RELEASED
    with pytest.raises(AccountClosureRefused) as exc:
        services.close_account(user=seller, now=now)
    assert exc.value.code == "funds_held"
    seller.refresh_from_db()
    assert seller.is_active


def test_closure_confirmed_anonymises_and_keeps_deals_and_ledger(now):
    seller = VerifiedUserFactory(display_name="Alice Seller")
    connect_seller(seller)
    deal = accepted_deal(VerifiedUserFactory(), ListingFactory(seller=seller), now)
    assert tasks.release_after_protection(now=after_protection(now).isoformat()) == 1
    other_listing = ListingFactory(seller=seller)  # still on sale: withdrawn
    verification = IdentityVerification.objects.filter(user=seller).first()
    entries = LedgerEntry.objects.count()
    client = _signed_in(seller)
    other_session = _signed_in(seller)
    _reauthenticate(client, reverse("accounts:close_account"))
    assert client.get(reverse("accounts:close_account")).status_code == 200

    response = client.post(reverse("accounts:close_account"), {"confirm": "on"})

    assert response.status_code == 302
    seller.refresh_from_db()
    assert seller.email == f"closed-{seller.pk}@closed.invalid"
    assert seller.display_name == "" and not seller.is_active
    assert not seller.has_usable_password()
    assert not EmailAddress.objects.filter(user=seller).exists()
    if verification is not None:
        verification.refresh_from_db()
        assert verification.document_number == "" and verification.legal_name == ""
        assert not verification.document_image
    other_listing.refresh_from_db()
    assert other_listing.state == "WITHDRAWN"
    assert Deal.objects.get(pk=deal.pk).seller_id == seller.pk  # kept, anonymised
    assert LedgerEntry.objects.count() == entries
    assert AuditEntry.objects.filter(action="accounts.user.closed").count() == 1
    # Signed out everywhere and unable to sign in again.
    assert other_session.get(reverse("accounts:profile")).status_code == 302
    assert not Client().login(username=seller.email, password=TEST_PASSWORD)
    with pytest.raises(AccountClosureRefused):
        services.close_account(user=User.objects.get(pk=seller.pk), now=now)


def test_closure_needs_the_confirmation(now):
    user = UserFactory()
    client = _signed_in(user)
    _reauthenticate(client, reverse("accounts:close_account"))
    response = client.post(reverse("accounts:close_account"), {})
    assert response.status_code == 200
    user.refresh_from_db()
    assert user.is_active
