"""Disputes and recovery claims: who may open one and when, the answer, the
moderator's decision (release, refund, split) through the ledger, and every
refusal with nothing written."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from django.conf import settings
from django.db import close_old_connections, connection

from accounts.models import AuditEntry, Standing
from escrow import ledger, services, tasks
from escrow.exceptions import (
    AnswerNotAllowed,
    DisputeAlreadyDecided,
    DisputeWindowClosed,
    EscrowError,
    NotAllowed,
    OwnDeal,
    ReasonRequired,
    RecoveryWindowClosed,
    SplitDoesNotAddUp,
)
from escrow.models import Deal, Dispute, DisputeEvidence, LedgerTransaction, Payout, Refund
from governance.models import Report
from tests.factories import ListingFactory, VerifiedUserFactory

from .conftest import accepted_deal, connect_seller
from .protection_helpers import (
    delivered_deal,
    dispute_on,
    evidence,
    make_moderator,
    settle_enqueued,
)

S = Deal.State


@pytest.fixture
def moderator(db):
    return make_moderator(display_name="Case Moderator")


def _snapshot(deal):
    deal.refresh_from_db()
    return (
        deal.state,
        LedgerTransaction.objects.count(),
        Refund.objects.count(),
        Payout.objects.count(),
        list(Dispute.objects.filter(deal=deal).values_list("status", "outcome")),
        AuditEntry.objects.filter(action="escrow.dispute_decided").count(),
    )


def test_buyer_opens_a_dispute_on_a_delivered_deal_with_evidence(buyer, listing, now):
    deal = delivered_deal(buyer, listing, now)
    dispute = dispute_on(deal, now)
    deal.refresh_from_db()
    assert deal.state == S.DISPUTED
    assert deal.due_at == now + settings.DISPUTE_RESPONSE_PERIOD
    assert dispute.opener_role == "buyer" and dispute.from_state == S.DELIVERED
    assert DisputeEvidence.objects.filter(dispute=dispute, role="buyer").count() == 1
    assert deal.events.last().kind == "disputed_buyer"
    assert ledger.escrow_balance(deal) == deal.total  # the money stays held


def test_seller_may_open_a_dispute_too(buyer, listing, now):
    deal = delivered_deal(buyer, listing, now)
    dispute = services.open_dispute(
        deal_id=deal.pk,
        user=deal.seller,
        statement="The buyer changed the e-mail and went silent.",
        now=now,
    )
    assert dispute.opener_role == "seller"


def test_a_dispute_after_its_window_is_refused_and_nothing_written(buyer, listing, now):
    deal = delivered_deal(buyer, listing, now)
    late = now + settings.INSPECTION_PERIOD + timedelta(minutes=1)
    with pytest.raises(DisputeWindowClosed):
        services.open_dispute(deal_id=deal.pk, user=buyer, statement="Too late", now=late)
    deal.refresh_from_db()
    assert deal.state == S.DELIVERED
    assert not Dispute.objects.exists() and not DisputeEvidence.objects.exists()


def test_a_dispute_on_an_accepted_deal_is_refused_a_recovery_claim_is_not(buyer, listing, now):
    deal = accepted_deal(buyer, listing, now)
    with pytest.raises(DisputeWindowClosed):
        services.open_dispute(deal_id=deal.pk, user=buyer, statement="x", now=now)
    claim = services.open_dispute(
        deal_id=deal.pk,
        user=buyer,
        statement="The seller recovered the account.",
        kind="recovery",
        now=now + timedelta(days=1),
    )
    assert claim.kind == "recovery"
    with pytest.raises(EscrowError):  # only one open case
        services.open_dispute(
            deal_id=deal.pk, user=buyer, statement="again", kind="recovery", now=now
        )


def test_a_recovery_claim_after_the_protection_window_is_refused(buyer, listing, now):
    deal = accepted_deal(buyer, listing, now)
    with pytest.raises(RecoveryWindowClosed):
        services.open_dispute(
            deal_id=deal.pk,
            user=buyer,
            statement="x",
            kind="recovery",
            now=now + settings.PROTECTION_WINDOW + timedelta(seconds=1),
        )
    assert not Dispute.objects.exists()


def test_recovery_claim_holds_the_release_until_a_moderator_decides(buyer, listing, now, moderator):
    connect_seller(listing.seller)
    deal = accepted_deal(buyer, listing, now)
    claim = services.open_dispute(
        deal_id=deal.pk, user=buyer, statement="Taken back", kind="recovery", now=now
    )
    later = now + settings.PROTECTION_WINDOW + timedelta(days=1)
    tasks.release_after_protection(now=later.isoformat())
    deal.refresh_from_db()
    assert deal.state == S.DISPUTED and not Payout.objects.exists()
    services.decide_dispute(
        dispute_id=claim.pk,
        moderator=moderator,
        outcome="refund",
        reason="The platform's log shows the seller reset the password.",
        now=later,
    )
    deal.refresh_from_db()
    assert deal.state == S.REFUNDED
    # governance got a TRX-03 case against the seller (a moderator confirms it)
    report = Report.objects.get(rule__code="TRX-03")
    assert report.accused_id == deal.seller_id and report.source == Report.Source.AUTOMATIC


def test_other_party_answers_once_before_the_deadline(buyer, listing, now):
    deal = delivered_deal(buyer, listing, now)
    dispute = dispute_on(deal, now)
    with pytest.raises(AnswerNotAllowed):  # the opener cannot answer themselves
        services.answer_dispute(dispute_id=dispute.pk, user=buyer, statement="me", now=now)
    services.answer_dispute(
        dispute_id=dispute.pk,
        user=deal.seller,
        statement="The figures were right.",
        evidence=[evidence("analytics.png")],
        now=now,
    )
    with pytest.raises(AnswerNotAllowed):
        services.answer_dispute(dispute_id=dispute.pk, user=deal.seller, statement="2", now=now)
    dispute.refresh_from_db()
    assert dispute.response == "The figures were right."
    assert DisputeEvidence.objects.filter(dispute=dispute, role="seller").count() == 1


def test_overdue_answer_is_flagged_once_and_reported_to_governance(buyer, listing, now):
    deal = delivered_deal(buyer, listing, now)
    dispute = dispute_on(deal, now)
    late = now + settings.DISPUTE_RESPONSE_PERIOD + timedelta(minutes=1)
    with pytest.raises(AnswerNotAllowed):
        services.answer_dispute(dispute_id=dispute.pk, user=deal.seller, statement="x", now=late)
    assert tasks.flag_overdue_dispute_answers(now=late.isoformat()) == 1
    assert tasks.flag_overdue_dispute_answers(now=late.isoformat()) == 0
    assert Report.objects.get(rule__code="TRX-06").accused_id == deal.seller_id


def test_moderator_splits_exact_amounts_through_the_ledger(buyer, listing, now, moderator):
    connect_seller(listing.seller)
    deal = delivered_deal(buyer, listing, now)
    dispute = dispute_on(deal, now)
    buyer_share = deal.total // 3
    seller_share = deal.total - buyer_share
    services.decide_dispute(
        dispute_id=dispute.pk,
        moderator=moderator,
        outcome="split",
        buyer_amount=buyer_share,
        seller_amount=seller_share,
        reason="Half the followers were bought.",
        now=now,
    )
    services.execute_refund(refund_id=Refund.objects.get(deal=deal).pk, now=now)
    services.execute_payout(payout_id=Payout.objects.get(deal=deal).pk, now=now)
    deal.refresh_from_db()
    assert deal.state == S.SPLIT
    assert Refund.objects.get(deal=deal).amount == buyer_share
    payout = Payout.objects.get(deal=deal)
    assert payout.amount == seller_share and payout.status == Payout.Status.PAID
    assert ledger.escrow_balance(deal) == 0
    assert ledger.seller_payable_balance(deal) == 0
    assert ledger.unbalanced_transactions() == []
    assert ledger.account_balance("fee_revenue") == 0  # a failed deal costs no fee
    dispute.refresh_from_db()
    assert dispute.decided_by == moderator and dispute.decision_reason
    assert AuditEntry.objects.filter(action="escrow.dispute_decided", actor=moderator).exists()
    standing = Standing.objects.get(user=deal.seller)
    assert standing.disputes == 1 and standing.dispute_rate == 1.0


@pytest.mark.parametrize(
    "shares",
    [(1, 1), (0, None), (None, None), ("all", 5)],
    ids=["not-adding-up", "zero", "missing", "not-integer"],
)
def test_a_split_that_does_not_add_up_is_refused_and_nothing_written(
    buyer, listing, now, moderator, shares
):
    deal = delivered_deal(buyer, listing, now)
    dispute = dispute_on(deal, now)
    before = _snapshot(deal)
    buyer_amount, seller_amount = shares
    if buyer_amount == 0:
        seller_amount = deal.total
    with pytest.raises(SplitDoesNotAddUp):
        services.decide_dispute(
            dispute_id=dispute.pk,
            moderator=moderator,
            outcome="split",
            buyer_amount=buyer_amount,
            seller_amount=seller_amount,
            reason="r",
            now=now,
        )
    assert _snapshot(deal) == before


def test_off_by_one_split_is_refused(buyer, listing, now, moderator):
    deal = delivered_deal(buyer, listing, now)
    dispute = dispute_on(deal, now)
    before = _snapshot(deal)
    with pytest.raises(SplitDoesNotAddUp):
        services.decide_dispute(
            dispute_id=dispute.pk,
            moderator=moderator,
            outcome="split",
            buyer_amount=100,
            seller_amount=deal.total - 99,
            reason="r",
            now=now,
        )
    assert _snapshot(deal) == before


def test_release_and_refund_decisions(buyer, listing, now, moderator):
    connect_seller(listing.seller)
    deal = delivered_deal(buyer, listing, now)
    dispute = dispute_on(deal, now)
    services.decide_dispute(
        dispute_id=dispute.pk,
        moderator=moderator,
        outcome="release",
        reason="The account matches the listing.",
        now=now,
    )
    deal.refresh_from_db()
    assert deal.state == S.RELEASED
    assert Payout.objects.get(deal=deal).amount == deal.price
    assert deal.listing.state == "SOLD"
    assert ledger.escrow_balance(deal) == 0

    other = ListingFactory(seller=listing.seller)
    deal2 = delivered_deal(buyer, other, now)
    dispute2 = dispute_on(deal2, now)
    services.decide_dispute(
        dispute_id=dispute2.pk,
        moderator=moderator,
        outcome="refund",
        reason="Not as described.",
        now=now,
    )
    deal2.refresh_from_db()
    assert deal2.state == S.REFUNDED
    assert Refund.objects.get(deal=deal2).amount == deal2.total


def test_a_decided_dispute_cannot_be_decided_again(buyer, listing, now, moderator):
    deal = delivered_deal(buyer, listing, now)
    dispute = dispute_on(deal, now)
    services.decide_dispute(
        dispute_id=dispute.pk, moderator=moderator, outcome="refund", reason="r", now=now
    )
    before = _snapshot(deal)
    other = make_moderator(display_name="Second")
    with pytest.raises(DisputeAlreadyDecided):
        services.decide_dispute(
            dispute_id=dispute.pk, moderator=other, outcome="release", reason="no", now=now
        )
    assert _snapshot(deal) == before


def test_a_moderator_who_is_a_party_cannot_decide(listing, now):
    from django.contrib.auth.models import Group

    from accounts.permissions import MODERATORS_GROUP

    moderator = VerifiedUserFactory(is_staff=True)  # a moderator who also buys
    moderator.groups.add(Group.objects.get(name=MODERATORS_GROUP))
    deal = delivered_deal(moderator, listing, now)
    dispute = dispute_on(deal, now)
    before = _snapshot(deal)
    with pytest.raises(OwnDeal) as info:
        services.decide_dispute(
            dispute_id=dispute.pk, moderator=moderator, outcome="refund", reason="mine", now=now
        )
    assert "another moderator" in str(info.value.message).lower()
    assert _snapshot(deal) == before


def test_only_dispute_moderators_decide_and_a_reason_is_required(buyer, listing, now, moderator):
    deal = delivered_deal(buyer, listing, now)
    dispute = dispute_on(deal, now)
    with pytest.raises(NotAllowed):
        services.decide_dispute(
            dispute_id=dispute.pk,
            moderator=VerifiedUserFactory(),
            outcome="refund",
            reason="r",
            now=now,
        )
    with pytest.raises(ReasonRequired):
        services.decide_dispute(
            dispute_id=dispute.pk, moderator=moderator, outcome="refund", reason="  ", now=now
        )
    assert Dispute.objects.get().is_open


@pytest.mark.django_db(transaction=True)
def test_two_moderators_at_once_make_one_decision(now):
    if connection.vendor != "postgresql":
        pytest.skip("row locks are tested on PostgreSQL")
    buyer, seller = VerifiedUserFactory(), VerifiedUserFactory()
    listing = ListingFactory(seller=seller)
    deal = delivered_deal(buyer, listing, now)
    dispute = dispute_on(deal, now)
    moderators = [make_moderator(display_name=f"M{i}") for i in range(2)]
    barrier = threading.Barrier(2)
    outcomes, errors = [], []

    def decide(i):
        try:
            barrier.wait()
            kwargs = (
                {"outcome": "refund"}
                if i == 0
                else {"outcome": "split", "buyer_amount": 1000, "seller_amount": deal.total - 1000}
            )
            services.decide_dispute(
                dispute_id=dispute.pk, moderator=moderators[i], reason=f"by {i}", now=now, **kwargs
            )
            outcomes.append(i)
        except DisputeAlreadyDecided:
            outcomes.append("refused")
        except BaseException as exc:  # noqa: BLE001
            errors.append(exc)
        finally:
            close_old_connections()
            connection.close()

    threads = [threading.Thread(target=decide, args=(i,)) for i in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    settle_enqueued(deal)
    assert errors == []
    assert sorted(map(str, outcomes)).count("refused") == 1
    dispute.refresh_from_db()
    assert dispute.status == "decided"
    assert LedgerTransaction.objects.filter(kind="split").count() <= 1
    assert Refund.objects.filter(deal=deal).count() == 1
    assert AuditEntry.objects.filter(action="escrow.dispute_decided").count() == 1
    assert ledger.unbalanced_transactions() == []
