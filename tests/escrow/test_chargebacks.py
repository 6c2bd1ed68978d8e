"""Chargebacks: the provider's ``charge.dispute.*`` events freeze the deal, hold
the payout, book what the provider took (amount and its dispute fee), and put a
case in front of a moderator; a lost chargeback refunds through the bank."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.conf import settings

from escrow import ledger, services, tasks
from escrow.exceptions import ChargebackPending
from escrow.gateways import get_gateway
from escrow.gateways.simulated import DISPUTE_FEE, provider_totals
from escrow.models import Chargeback, Deal, Dispute, Payout, SimEvent
from escrow.simulated_delivery import deliver_event
from governance.models import Report

from .conftest import accepted_deal, after_protection, connect_seller
from .protection_helpers import delivered_deal, make_moderator

S = Deal.State


def _deliver(type_):
    for event in SimEvent.objects.filter(type=type_).order_by("created_at"):
        assert deliver_event(event.pk) == 200


def _chargeback(deal, now):
    ref = get_gateway().open_chargeback(payment_ref=deal.payment.provider_ref, now=now)
    _deliver("charge.dispute.created")
    return ref


def test_a_chargeback_freezes_the_deal_holds_and_books_the_fee(buyer, listing, now):
    deal = delivered_deal(buyer, listing, now)
    _chargeback(deal, now)
    _deliver("charge.dispute.created")  # a duplicate delivery changes nothing
    deal.refresh_from_db()
    assert deal.state == S.FROZEN
    chargeback = Chargeback.objects.get()
    assert chargeback.amount == deal.total and chargeback.fee == DISPUTE_FEE
    case = Dispute.objects.get(deal=deal, kind="chargeback")
    assert case.is_open and case.from_state == S.DELIVERED
    assert ledger.account_balance("chargebacks") == deal.total
    assert ledger.unbalanced_transactions() == []
    # our cash agrees with the provider's balance (amount and fee taken)
    assert ledger.account_balance("provider_cash") == provider_totals()["balance"]
    # governance: a TRX-04 case against the buyer (after delivery), for a moderator
    assert Report.objects.get(rule__code="TRX-04").accused_id == deal.buyer_id


def test_a_moderator_cannot_decide_before_the_card_network_does(buyer, listing, now):
    deal = delivered_deal(buyer, listing, now)
    _chargeback(deal, now)
    case = Dispute.objects.get(deal=deal)
    with pytest.raises(ChargebackPending):
        services.decide_dispute(
            dispute_id=case.pk, moderator=make_moderator(), outcome="release", reason="r", now=now
        )


def test_won_chargeback_returns_the_money_and_the_moderator_decides(buyer, listing, now):
    connect_seller(listing.seller)
    deal = delivered_deal(buyer, listing, now)
    ref = _chargeback(deal, now)
    services.answer_dispute(
        dispute_id=Dispute.objects.get().pk,
        user=deal.seller,
        statement="The buyer confirmed receipt in chat.",
        now=now,
    )
    get_gateway().close_chargeback(dispute_ref=ref, won=True, now=now)
    _deliver("charge.dispute.closed")
    deal.refresh_from_db()
    assert deal.state == S.FROZEN and Chargeback.objects.get().status == "won"
    services.decide_dispute(
        dispute_id=Dispute.objects.get().pk,
        moderator=make_moderator(),
        outcome="release",
        reason="The bank found for us; the handover was complete.",
        now=now,
    )
    services.execute_payout(payout_id=Payout.objects.get().pk, now=now)
    deal.refresh_from_db()
    assert deal.state == S.RELEASED and Payout.objects.get().status == Payout.Status.PAID
    assert ledger.account_balance("chargebacks") == 0
    assert ledger.account_balance("provider_cash") == provider_totals()["balance"]


def test_lost_chargeback_refunds_the_buyer_through_the_bank(buyer, listing, now):
    deal = delivered_deal(buyer, listing, now)
    ref = _chargeback(deal, now)
    get_gateway().close_chargeback(dispute_ref=ref, won=False, now=now)
    _deliver("charge.dispute.closed")
    deal.refresh_from_db()
    assert deal.state == S.REFUNDED
    assert ledger.escrow_balance(deal) == 0
    assert ledger.account_balance("chargebacks") == 0
    assert Dispute.objects.get().outcome == "refund"
    assert ledger.account_balance("provider_cash") == provider_totals()["balance"]


def test_a_chargeback_after_release_holds_the_unpaid_payout(buyer, listing, now):
    deal = accepted_deal(buyer, listing, now)  # the seller has no payout account yet
    later = after_protection(now)
    services.release_deal(deal_id=deal.pk, now=later)
    _chargeback(deal, later)
    connect_seller(listing.seller)
    tasks.execute_due_payouts(now=(later + timedelta(hours=2)).isoformat())
    payout = Payout.objects.get()
    assert payout.status == Payout.Status.HELD
    assert Deal.objects.get(pk=deal.pk).state == S.RELEASED
    assert settings.OPERATOR_EMAILS  # reconciliation/alerts go there


@pytest.mark.parametrize("lang", ["en", "zh-hans"])
def test_the_parties_read_the_chargeback_case_in_their_language(client, buyer, listing, now, lang):
    # The case keeps the card network's words for moderators ("Card network dispute
    # (fraudulent)."); the deal page says what happened in the reader's language.
    from django.utils import translation

    deal = delivered_deal(buyer, listing, now)
    _chargeback(deal, now)
    client.cookies["django_language"] = lang
    for user in (deal.buyer, deal.seller):
        client.force_login(user)
        html = client.get(f"/deals/{deal.pk}/").content.decode()
        assert "Card network dispute" not in html
        with translation.override(lang):
            said = translation.gettext(
                "The buyer's card issuer disputed the payment with the card network (a chargeback)."
            )
        assert said in html
