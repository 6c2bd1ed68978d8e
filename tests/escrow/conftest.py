"""Escrow test helpers: deals built through the services, the way users do."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.conf import settings
from django.utils import timezone

from escrow import services
from escrow.checklists import checklist_for
from escrow.gateways import simulated
from tests.factories import ListingFactory, VerifiedUserFactory

GOOD_CARD = {"number": "4242 4242 4242 4242", "exp": "12/34", "cvc": "123"}
DECLINED_CARD = {"number": "4000 0000 0000 0002", "exp": "12/34", "cvc": "123"}
AUTH_CARD = {"number": "4000 0025 0000 3155", "exp": "12/34", "cvc": "123"}


@pytest.fixture(autouse=True)
def _clean_faults():
    simulated.FAULTS.clear()
    yield
    simulated.FAULTS.clear()


@pytest.fixture
def now():
    return timezone.now().replace(microsecond=0)


@pytest.fixture
def seller(db):
    return VerifiedUserFactory()


@pytest.fixture
def buyer(db):
    return VerifiedUserFactory()


@pytest.fixture
def listing(seller):
    return ListingFactory(seller=seller, price=150_000, platform="youtube")


def open_and_pay(buyer, listing, now, card=GOOD_CARD):
    deal = services.open_deal(buyer=buyer, listing_id=listing.pk, now=now)
    services.acknowledge_transfer_policy(deal_id=deal.pk, buyer=buyer, note="policy", now=now)
    services.pay_deal(deal_id=deal.pk, buyer=buyer, card=card, now=now)
    deal.refresh_from_db()
    return deal


def hand_over(deal, now):
    return services.hand_over(
        deal_id=deal.pk,
        seller=deal.seller,
        login="owner@example.com",
        password="s3cret-pass",
        checklist=[key for key, _ in checklist_for(deal.listing.platform)],
        now=now,
    )


def connect_seller(seller, country="US"):
    account, _url = services.connect_payout_account(
        user=seller, country=country, return_url="http://x/", refresh_url="http://x/"
    )
    return account


def accepted_deal(buyer, listing, now):
    deal = open_and_pay(buyer, listing, now)
    hand_over(deal, now)
    services.accept_deal(deal_id=deal.pk, buyer=buyer, now=now)
    deal.refresh_from_db()
    return deal


def after_protection(now):
    return now + settings.PROTECTION_WINDOW + timedelta(seconds=1)
