"""Disputes and recovery claims: open, answer, flag overdue answers, decide."""

from __future__ import annotations

import logging
from datetime import datetime

from django.conf import settings
from django.db import transaction
from django.utils.translation import gettext_noop

from accounts.models import User
from accounts.services import record_audit
from escrow import ledger
from escrow.exceptions import (
    AnswerNotAllowed,
    ChargebackPending,
    DisputeAlreadyDecided,
    DisputeAlreadyOpen,
    DisputeWindowClosed,
    IllegalTransition,
    NotAllowed,
    OwnDeal,
    ReasonRequired,
    RecoveryWindowClosed,
    SplitDoesNotAddUp,
    StatementRequired,
)
from escrow.models import (
    Chargeback,
    Deal,
    Dispute,
    DisputeEvidence,
)
from escrow.notifications import notify
from escrow.services.cases.common import Upload, is_dispute_moderator, lock_case, party_role
from escrow.services.outgoing import enqueue_payouts, enqueue_refunds
from escrow.services.settlement import settle
from escrow.services.standings import report_transaction_event
from escrow.services.text import clean_text
from escrow.services.transitions import lock_listing_then_deal, note, transition_deal

logger = logging.getLogger(__name__)
State = Deal.State

MAX_STATEMENT_CHARS = 8000
MAX_EVIDENCE_FILES = 5
#: Where each side may open a dispute (before the step's deadline).
DISPUTE_STATES = frozenset({State.FUNDED, State.DELIVERED})


# --------------------------------------------------------------------- disputes


def _add_evidence(dispute: Dispute, user, role: str, files: list[Upload], now) -> None:
    for upload in files[:MAX_EVIDENCE_FILES]:
        item = DisputeEvidence(
            dispute=dispute,
            uploaded_by=user,
            role=role,
            original_name=(upload.name or "")[:120],
            created_at=now,
        )
        item.file.save(upload.content.name, upload.content, save=False)
        item.save()


def dispute_window_open(deal: Deal, role: str | None, *, now: datetime, kind: str) -> bool:
    """May the party with ``role`` open a case of ``kind`` on ``deal`` now?

    Dispute: buyer or seller, deal FUNDED or DELIVERED, before that step's
    deadline (the delivery deadline, or the end of the inspection). Recovery
    claim: buyer, deal ACCEPTED, inside the protection window."""
    if role is None or deal.due_at is None or deal.due_at <= now:
        return False
    if kind == Dispute.Kind.RECOVERY:
        return role == "buyer" and deal.state == State.ACCEPTED
    return deal.state in DISPUTE_STATES


def open_dispute(
    *,
    deal_id: int,
    user: User,
    statement: str,
    now: datetime,
    evidence: list[Upload] | None = None,
    kind: str = Dispute.Kind.DISPUTE,
) -> Dispute:
    """Open a dispute (buyer or seller) or a recovery claim (buyer) with a
    statement and evidence files. The deal becomes DISPUTED; the other party has
    ``DISPUTE_RESPONSE_PERIOD`` to answer; the payout waits for the decision.
    Refused, with nothing written, outside the window (``DisputeWindowClosed`` /
    ``RecoveryWindowClosed``) or when a case is already open."""
    if kind not in (Dispute.Kind.DISPUTE, Dispute.Kind.RECOVERY):
        raise NotAllowed()
    statement = clean_text(statement, MAX_STATEMENT_CHARS)
    with transaction.atomic():
        listing, deal = lock_listing_then_deal(deal_id)
        role = party_role(deal, user) if deal is not None else None
        if role is None:
            raise NotAllowed()
        if Dispute.objects.filter(deal=deal, status=Dispute.Status.OPEN).exists():
            raise DisputeAlreadyOpen()
        if not dispute_window_open(deal, role, now=now, kind=kind):
            raise RecoveryWindowClosed() if kind == Dispute.Kind.RECOVERY else DisputeWindowClosed()
        if not statement:
            raise StatementRequired()
        due = now + settings.DISPUTE_RESPONSE_PERIOD
        dispute = Dispute.objects.create(
            deal=deal,
            kind=kind,
            opened_by=user,
            opener_role=role,
            from_state=deal.state,
            statement=statement,
            response_due_at=due,
            created_at=now,
        )
        _add_evidence(dispute, user, role, evidence or [], now)
        transition_deal(
            deal=deal,
            to=State.DISPUTED,
            kind="recovery_claimed" if kind == Dispute.Kind.RECOVERY else f"disputed_{role}",
            now=now,
            actor=user,
            due_at=due,
        )
        other = deal.seller if role == "buyer" else deal.buyer
        notify(deal=deal, user=user, kind=f"{kind}_opened_opener", now=now)
        notify(deal=deal, user=other, kind=f"{kind}_opened_other", now=now)
    return dispute


def answer_dispute(
    *,
    dispute_id: int,
    user: User,
    statement: str,
    now: datetime,
    evidence: list[Upload] | None = None,
) -> Dispute:
    """The other party's answer (once, before ``response_due_at``), with files.
    For a chargeback, the seller answers (the evidence sent to the card network)."""
    statement = clean_text(statement, MAX_STATEMENT_CHARS)
    with transaction.atomic():
        _listing, deal, dispute = lock_case(dispute_id)
        role = party_role(deal, user)
        if role is None:
            raise NotAllowed()
        answering_role = (
            "seller"
            if dispute.kind == Dispute.Kind.CHARGEBACK
            else ("seller" if dispute.opener_role == "buyer" else "buyer")
        )
        if (
            not dispute.is_open
            or role != answering_role
            or dispute.responded_at is not None
            or (dispute.response_due_at is not None and dispute.response_due_at <= now)
        ):
            raise AnswerNotAllowed()
        if not statement:
            raise StatementRequired()
        dispute.response = statement
        dispute.responded_by = user
        dispute.responded_at = now
        dispute.save(update_fields=["response", "responded_by", "responded_at"])
        _add_evidence(dispute, user, role, evidence or [], now)
        note(deal=deal, kind="dispute_answered", now=now, actor=user)
        other = deal.buyer if role == "seller" else deal.seller
        notify(deal=deal, user=other, kind="dispute_answered_other", now=now)
    return dispute


def flag_overdue_answer(*, dispute_id: int, now: datetime) -> bool:
    """The job's step: an open case whose answer did not come in time is marked
    (shown to the moderator) and reported to governance as ``TRX-06`` (not
    cooperating with a dispute) — a case a moderator confirms or dismisses."""
    with transaction.atomic():
        dispute = (
            Dispute.objects.select_for_update(skip_locked=True)
            .select_related("deal__buyer", "deal__seller")
            .filter(pk=dispute_id)
            .first()
        )
        if (
            dispute is None
            or not dispute.is_open
            or dispute.responded_at is not None
            or dispute.response_overdue_at is not None
            or dispute.response_due_at is None
            or dispute.response_due_at > now
            or dispute.kind == Dispute.Kind.CHARGEBACK
        ):
            return False
        dispute.response_overdue_at = now
        dispute.save(update_fields=["response_overdue_at"])
        deal = dispute.deal
        silent = deal.seller if dispute.opener_role == "buyer" else deal.buyer
        report_transaction_event(
            user=silent,
            rule_code="TRX-06",
            facts=gettext_noop("Deal #%(deal)s: no answer to case #%(case)s by its deadline."),
            facts_params={"deal": deal.pk, "case": dispute.pk},
            deal=deal,
            now=now,
        )
    return True


#: A moderator's decision → the deal's ending and its event kind.
DECISIONS = {
    Dispute.Outcome.RELEASE: (State.RELEASED, "dispute_released"),
    Dispute.Outcome.REFUND: (State.REFUNDED, "dispute_refunded"),
    Dispute.Outcome.SPLIT: (State.SPLIT, "dispute_split"),
}


def decide_dispute(
    *,
    dispute_id: int,
    moderator: User,
    outcome: str,
    reason: str,
    now: datetime,
    buyer_amount: int | None = None,
    seller_amount: int | None = None,
) -> Dispute:
    """A moderator decides a case: release to the seller, refund the buyer, or
    split what is held — ``buyer_amount + seller_amount`` must equal the money
    held in escrow for the deal, exactly, in whole minor units. The reason is
    shown to both parties. Funds move through the ledger and the ordinary
    refund/payout records.

    Refused with nothing written: not a dispute moderator (``NotAllowed``); the
    moderator is a party to the deal (``OwnDeal``); the case is decided already
    (``DisputeAlreadyDecided`` — two moderators at once: the dispute row lock
    serialises them, the second sees it decided); a chargeback the card network
    has not closed (``ChargebackPending``); a split that does not add up
    (``SplitDoesNotAddUp``); no reason (``ReasonRequired``).
    """
    if not is_dispute_moderator(moderator):
        raise NotAllowed()
    reason = (reason or "").strip()
    if outcome not in Dispute.Outcome.values:
        raise IllegalTransition()
    with transaction.atomic():
        listing, deal, dispute = lock_case(dispute_id)
        if moderator.pk in (deal.buyer_id, deal.seller_id):
            raise OwnDeal()
        if not dispute.is_open:
            raise DisputeAlreadyDecided()
        if not reason:
            raise ReasonRequired()
        if Chargeback.objects.filter(deal=deal, status=Chargeback.Status.OPEN).exists():
            raise ChargebackPending()
        if deal.state not in (State.DISPUTED, State.FROZEN):
            raise IllegalTransition()
        held = ledger.escrow_balance(deal)
        if outcome == Dispute.Outcome.SPLIT:
            if (
                not isinstance(buyer_amount, int)
                or not isinstance(seller_amount, int)
                or isinstance(buyer_amount, bool)
                or isinstance(seller_amount, bool)
                or buyer_amount <= 0
                or seller_amount <= 0
                or buyer_amount + seller_amount != held
            ):
                raise SplitDoesNotAddUp()
        elif outcome == Dispute.Outcome.RELEASE:
            if held != deal.total:
                raise SplitDoesNotAddUp()
            buyer_amount, seller_amount = 0, deal.price
        else:
            buyer_amount, seller_amount = held, 0
        before = {"state": deal.state, "dispute": dispute.status}
        to, kind = DECISIONS[outcome]
        settle(
            [deal],
            to=to,
            kind=kind,
            now=now,
            actor=moderator,
            reason=reason,
            seller_amount=seller_amount,
            buyer_amount=buyer_amount,
            refund_reason="buyer's share of a split"
            if outcome == Dispute.Outcome.SPLIT
            else "refunded by a moderator",
            dispute_id=dispute.pk,
            disputed=True,
        )
        dispute.status = Dispute.Status.DECIDED
        dispute.outcome = outcome
        dispute.buyer_amount = buyer_amount
        dispute.seller_amount = seller_amount
        dispute.decision_reason = reason
        dispute.decided_by = moderator
        dispute.decided_at = now
        dispute.save()
        record_audit(
            actor=moderator,
            action="escrow.dispute_decided",
            target=dispute,
            reason=reason,
            before=before,
            after={
                "state": deal.state,
                "outcome": outcome,
                "buyer_amount": buyer_amount,
                "seller_amount": seller_amount,
            },
        )
        notify(deal=deal, user=deal.buyer, kind="dispute_decided", now=now)
        notify(deal=deal, user=deal.seller, kind="dispute_decided", now=now)
        if dispute.kind == Dispute.Kind.RECOVERY and outcome != Dispute.Outcome.RELEASE:
            report_transaction_event(
                user=deal.seller,
                rule_code="TRX-03",
                facts=gettext_noop(
                    "Deal #%(deal)s: the buyer's recovery claim was upheld. "
                    "The moderator's reason: %(reason)s"
                ),
                facts_params={"deal": deal.pk, "reason": reason},
                deal=deal,
                now=now,
            )
    enqueue_refunds(deal.pk)
    enqueue_payouts(deal.pk)
    return dispute
