"""Every ending of a deal (RELEASED, REFUNDED, SPLIT) passes through the one
settlement function, ``escrow.services.settlement.settle``: each test ends a deal one
way and checks what that function writes (its log line naming the ending and the
event kind, the event, the ledger, the payout / refund records, the listing)."""

from __future__ import annotations

import logging

import pytest

from escrow import ledger, services
from escrow.gateways import get_gateway
from escrow.models import Deal, DealEvent, Payout, Refund, SimEvent
from escrow.simulated_delivery import deliver_event
from listings.models import Listing
from tests.factories import ListingFactory, VerifiedUserFactory

from .conftest import accepted_deal, after_protection, open_and_pay
from .protection_helpers import delivered_deal, dispute_on, make_moderator

pytestmark = pytest.mark.django_db
S = Deal.State
SETTLEMENT = "escrow.services.settlement"


@pytest.fixture
def settled(caplog):
    """The endings ``settle`` wrote, as (count, state, kind) from its log line."""
    caplog.set_level(logging.INFO, logger=SETTLEMENT)

    def endings():
        return [
            r.args for r in caplog.records if r.name == SETTLEMENT and r.msg.startswith("settle")
        ]

    return endings


def _ended(deal, state, kind):
    deal.refresh_from_db()
    assert deal.state == state and deal.closed_at is not None
    event = DealEvent.objects.filter(deal=deal).latest("id")
    assert (event.to_state, event.kind) == (state, kind)
    return deal


def test_the_release_of_one_deal(settled, buyer, listing, now):
    deal = accepted_deal(buyer, listing, now)
    services.release_deal(deal_id=deal.pk, now=after_protection(now))
    assert settled() == [(1, S.RELEASED, "released")]
    _ended(deal, S.RELEASED, "released")
    assert Payout.objects.get(deal=deal).amount == deal.price
    assert Listing.objects.get(pk=listing.pk).state == Listing.State.SOLD


def test_the_release_job_settles_its_batch_in_one_call(settled, now):
    deals = [
        accepted_deal(VerifiedUserFactory(), ListingFactory(seller=VerifiedUserFactory()), now)
        for _ in range(3)
    ]
    released = services.release_due_deals(now=after_protection(now), limit=10)
    assert sorted(released) == sorted(d.pk for d in deals)
    assert settled() == [(3, S.RELEASED, "released")]
    for deal in deals:
        _ended(deal, S.RELEASED, "released")
        assert ledger.seller_payable_balance(deal) == deal.price
    assert Payout.objects.filter(deal__in=deals).count() == 3


@pytest.mark.parametrize(
    ("outcome", "state", "kind"),
    [
        ("release", S.RELEASED, "dispute_released"),
        ("refund", S.REFUNDED, "dispute_refunded"),
        ("split", S.SPLIT, "dispute_split"),
    ],
)
def test_each_dispute_decision(settled, buyer, listing, now, outcome, state, kind):
    deal = delivered_deal(buyer, listing, now)
    dispute = dispute_on(deal, now)
    shares = {}
    if outcome == "split":
        shares = {"buyer_amount": deal.total // 3, "seller_amount": deal.total - deal.total // 3}
    services.decide_dispute(
        dispute_id=dispute.pk,
        moderator=make_moderator(),
        outcome=outcome,
        reason="Decided on the evidence.",
        now=now,
        **shares,
    )
    assert settled() == [(1, state, kind)]
    _ended(deal, state, kind)
    payouts = Payout.objects.filter(deal=deal)
    refunds = Refund.objects.filter(deal=deal)
    if outcome == "release":
        assert [p.amount for p in payouts] == [deal.price] and not refunds.exists()
    elif outcome == "refund":
        assert [r.amount for r in refunds] == [deal.total] and not payouts.exists()
    else:
        assert [p.amount for p in payouts] == [shares["seller_amount"]]
        assert [r.amount for r in refunds] == [shares["buyer_amount"]]


def test_the_refund_of_a_watched_deal(settled, buyer, listing, now):
    deal = open_and_pay(buyer, listing, now)
    services.watch_deal(deal_id=deal.pk, reason="listing removed", now=now)
    services.refund_watched_deal(deal_id=deal.pk, actor=buyer, now=now)
    assert settled() == [(1, S.REFUNDED, "refunded_on_watch")]
    _ended(deal, S.REFUNDED, "refunded_on_watch")
    assert [r.amount for r in Refund.objects.filter(deal=deal)] == [deal.total]


def test_the_refund_of_an_undelivered_deal(settled, buyer, listing, now):
    deal = open_and_pay(buyer, listing, now)
    services.refund_undelivered(deal_id=deal.pk, now=deal.due_at)
    assert settled() == [(1, S.REFUNDED, "refunded_undelivered")]
    _ended(deal, S.REFUNDED, "refunded_undelivered")
    assert Listing.objects.get(pk=listing.pk).state == Listing.State.PUBLISHED


def test_a_lost_chargeback_closes_the_deal(settled, buyer, listing, now):
    deal = delivered_deal(buyer, listing, now)
    ref = get_gateway().open_chargeback(payment_ref=deal.payment.provider_ref, now=now)
    get_gateway().close_chargeback(dispute_ref=ref, won=False, now=now)
    for event in SimEvent.objects.order_by("created_at"):
        deliver_event(event.pk)
    assert settled() == [(1, S.REFUNDED, "chargeback_refunded")]
    _ended(deal, S.REFUNDED, "chargeback_refunded")
    assert ledger.escrow_balance(deal) == 0


def test_settle_refuses_what_the_transition_table_refuses(buyer, listing, now):
    from django.db import transaction

    from escrow.exceptions import IllegalTransition
    from escrow.services.settlement import settle

    deal = open_and_pay(buyer, listing, now)  # FUNDED: it cannot be released
    with pytest.raises(IllegalTransition), transaction.atomic():
        settle([Deal.objects.select_for_update().get(pk=deal.pk)], to=S.RELEASED, kind="x", now=now)
    deal.refresh_from_db()
    assert deal.state == S.FUNDED and not Payout.objects.filter(deal=deal).exists()
