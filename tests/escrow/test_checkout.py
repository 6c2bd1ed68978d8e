"""Checkout: open a deal, pay, and every refusal of bad input (no money moved)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.conf import settings
from django.db import connection
from django.test.utils import CaptureQueriesContext

from escrow import ledger, services
from escrow.exceptions import (
    AcknowledgementRequired,
    AlreadyPaid,
    CannotBuyOwnListing,
    ListingUnavailable,
    NotAllowed,
    PaymentDeclined,
    PaymentWindowClosed,
    TooManyUnpaidDeals,
)
from escrow.gateways.simulated import provider_totals
from escrow.models import Deal, LedgerEntry, Payment
from tests.factories import ListingFactory, UserFactory, VerifiedUserFactory

from .conftest import AUTH_CARD, DECLINED_CARD, GOOD_CARD, open_and_pay

pytestmark = pytest.mark.django_db


def test_paying_with_the_test_card_funds_the_deal_and_books_the_money(buyer, listing, now):
    deal = open_and_pay(buyer, listing, now)

    assert deal.state == Deal.State.FUNDED
    assert deal.due_at == now + settings.DELIVERY_DEADLINE
    assert (deal.price, deal.platform_fee, deal.total) == (150_000, 7_500, 157_500)
    listing.refresh_from_db()
    assert listing.state == "RESERVED"
    assert ledger.escrow_balance(deal) == 157_500
    assert ledger.unbalanced_transactions() == []
    payment = deal.payment
    assert payment.status == Payment.Status.SUCCEEDED
    assert payment.processing_fee > 0
    assert provider_totals()["captured"] == 157_500
    assert [e.kind for e in deal.events.all()] == ["opened", "paid"]


def test_a_declined_card_is_refused_and_moves_no_money(buyer, listing, now):
    deal = services.open_deal(buyer=buyer, listing_id=listing.pk, now=now)
    services.acknowledge_transfer_policy(deal_id=deal.pk, buyer=buyer, note="n", now=now)

    with pytest.raises(PaymentDeclined) as exc:
        services.pay_deal(deal_id=deal.pk, buyer=buyer, card=DECLINED_CARD, now=now)

    assert "declined" in str(exc.value.message)
    deal.refresh_from_db()
    assert deal.state == Deal.State.PENDING_PAYMENT
    assert not LedgerEntry.objects.exists()
    assert provider_totals()["captured"] == 0
    # … and the buyer can try again with another card.
    services.pay_deal(deal_id=deal.pk, buyer=buyer, card=GOOD_CARD, now=now)
    deal.refresh_from_db()
    assert deal.state == Deal.State.FUNDED


def test_a_card_requiring_authentication_pays_only_after_the_confirm_step(buyer, listing, now):
    deal = services.open_deal(buyer=buyer, listing_id=listing.pk, now=now)
    services.acknowledge_transfer_policy(deal_id=deal.pk, buyer=buyer, note="n", now=now)
    services.pay_deal(deal_id=deal.pk, buyer=buyer, card=AUTH_CARD, now=now)
    deal.refresh_from_db()
    assert deal.state == Deal.State.PENDING_PAYMENT
    assert deal.payment.status == Payment.Status.REQUIRES_ACTION
    assert not LedgerEntry.objects.exists()

    services.complete_authentication(deal_id=deal.pk, buyer=buyer, success=True, now=now)
    deal.refresh_from_db()
    assert deal.state == Deal.State.FUNDED


def test_a_double_clicked_pay_button_pays_once(buyer, listing, now):
    deal = open_and_pay(buyer, listing, now)
    with pytest.raises(AlreadyPaid):
        services.pay_deal(deal_id=deal.pk, buyer=buyer, card=GOOD_CARD, now=now)
    assert provider_totals()["captured"] == deal.total
    assert LedgerEntry.objects.filter(transaction__kind="payment").count() == 3


def test_paying_an_expired_deal_is_refused_and_cancels_it(buyer, listing, now):
    deal = services.open_deal(buyer=buyer, listing_id=listing.pk, now=now)
    services.acknowledge_transfer_policy(deal_id=deal.pk, buyer=buyer, note="n", now=now)
    later = now + settings.PAYMENT_WINDOW + timedelta(seconds=1)

    with pytest.raises(PaymentWindowClosed):
        services.pay_deal(deal_id=deal.pk, buyer=buyer, card=GOOD_CARD, now=later)

    deal.refresh_from_db()
    listing.refresh_from_db()
    assert deal.state == Deal.State.CANCELLED
    assert listing.state == "PUBLISHED"
    assert provider_totals()["captured"] == 0
    assert not LedgerEntry.objects.exists()


def test_paying_without_acknowledging_the_transfer_policy_is_refused(buyer, listing, now):
    deal = services.open_deal(buyer=buyer, listing_id=listing.pk, now=now)
    with pytest.raises(AcknowledgementRequired):
        services.pay_deal(deal_id=deal.pk, buyer=buyer, card=GOOD_CARD, now=now)
    assert provider_totals()["captured"] == 0


def test_a_seller_cannot_buy_their_own_listing(listing, now):
    with pytest.raises(CannotBuyOwnListing):
        services.open_deal(buyer=listing.seller, listing_id=listing.pk, now=now)
    assert not Deal.objects.exists()
    listing.refresh_from_db()
    assert listing.state == "PUBLISHED"


def test_a_fourth_unpaid_deal_is_refused(buyer, now, settings):
    settings.MAX_UNPAID_DEALS = 3
    listings = [ListingFactory(seller=VerifiedUserFactory()) for _ in range(4)]
    for item in listings[:3]:
        services.open_deal(buyer=buyer, listing_id=item.pk, now=now)
    with pytest.raises(TooManyUnpaidDeals):
        services.open_deal(buyer=buyer, listing_id=listings[3].pk, now=now)
    assert Deal.objects.count() == 3
    listings[3].refresh_from_db()
    assert listings[3].state == "PUBLISHED"


def test_an_unverified_user_may_not_buy(listing, now):
    with pytest.raises(NotAllowed):
        services.open_deal(buyer=UserFactory(), listing_id=listing.pk, now=now)
    assert not Deal.objects.exists()


def test_a_reserved_listing_cannot_be_bought_by_a_second_buyer(buyer, listing, now):
    services.open_deal(buyer=buyer, listing_id=listing.pk, now=now)
    with pytest.raises(ListingUnavailable):
        services.open_deal(buyer=VerifiedUserFactory(), listing_id=listing.pk, now=now)
    assert Deal.objects.count() == 1


def test_opening_twice_returns_the_same_unpaid_deal(buyer, listing, now):
    first = services.open_deal(buyer=buyer, listing_id=listing.pk, now=now)
    second = services.open_deal(buyer=buyer, listing_id=listing.pk, now=now)
    assert first.pk == second.pk


def test_a_double_click_gets_its_deal_even_past_a_lowered_cap(buyer, now, settings):
    # The buyer opened three deals under a cap of 3; the cap is then lowered to 1.
    # A double click on the last listing still gets its deal (read past the rows
    # the cap needs), and a new listing is refused.
    settings.MAX_UNPAID_DEALS = 3
    listings = [ListingFactory(seller=VerifiedUserFactory()) for _ in range(4)]
    deals = [services.open_deal(buyer=buyer, listing_id=item.pk, now=now) for item in listings[:3]]
    settings.MAX_UNPAID_DEALS = 1
    for deal, item in zip(deals, listings[:3], strict=True):
        assert services.open_deal(buyer=buyer, listing_id=item.pk, now=now).pk == deal.pk
    with pytest.raises(TooManyUnpaidDeals):
        services.open_deal(buyer=buyer, listing_id=listings[3].pk, now=now)
    assert Deal.objects.count() == 3


def test_opening_a_deal_is_a_budget_of_statements(buyer, listing, now):
    """The checkout's statements, one by one (docs/performance.md): the sanctions
    gate, then in one transaction (a savepoint inside the test's) the buyer's lock,
    their unpaid deals, the listing's lock, and one write per row kind."""
    with CaptureQueriesContext(connection) as queries:
        deal = services.open_deal(buyer=buyer, listing_id=listing.pk, now=now)
    kinds = [
        " ".join(q["sql"].split()[:3]) if q["sql"].startswith("INSERT") else q["sql"].split()[0]
        for q in queries.captured_queries
    ]
    assert kinds == [
        "SELECT",  # the sanctions gate (governance.policy.can)
        "SAVEPOINT",  # BEGIN outside a test's transaction
        "SELECT",  # the buyer's row lock
        "SELECT",  # their unpaid deals: the cap and a double click's deal
        "SELECT",  # the listing's row lock
        "UPDATE",  # the listing RESERVED
        'INSERT INTO "listings_listingevent"',
        'INSERT INTO "escrow_deal"',
        'INSERT INTO "escrow_dealevent"',
        'INSERT INTO "escrow_payment"',
        'INSERT INTO "escrow_notification"',  # both parties', one statement
        "RELEASE",  # COMMIT outside a test's transaction
    ], kinds
    assert "FOR UPDATE" in queries.captured_queries[2]["sql"]
    assert "FOR UPDATE" in queries.captured_queries[4]["sql"]
    assert deal.events.count() == 1 and deal.notifications.count() == 2


def test_cancelling_an_unpaid_deal_puts_the_listing_back(buyer, listing, now):
    deal = services.open_deal(buyer=buyer, listing_id=listing.pk, now=now)
    services.cancel_deal(deal_id=deal.pk, buyer=buyer, now=now)
    deal.refresh_from_db()
    listing.refresh_from_db()
    assert deal.state == Deal.State.CANCELLED
    assert listing.state == "PUBLISHED"


@pytest.mark.django_db(transaction=True)
def test_removing_a_listing_cancels_its_unpaid_deal(buyer, listing, now, django_user_model):
    from listings.services import remove_listing

    deal = services.open_deal(buyer=buyer, listing_id=listing.pk, now=now)
    moderator = django_user_model.objects.create_superuser("mod@example.com", "pw")
    remove_listing(actor=moderator, listing_id=listing.pk, reason="fake followers")
    deal.refresh_from_db()
    listing.refresh_from_db()
    assert deal.state == Deal.State.CANCELLED
    assert deal.events.last().kind == "listing_removed"
    assert listing.state == "REMOVED"
