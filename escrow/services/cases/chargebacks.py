"""Chargebacks: the card network's disputes, from the provider's events."""

from __future__ import annotations

import logging
from datetime import datetime

from django.db import transaction
from django.utils.translation import gettext_noop

from escrow import ledger
from escrow.models import (
    Chargeback,
    Deal,
    Dispute,
    Payment,
)
from escrow.notifications import notify
from escrow.services.outgoing import enqueue_refunds
from escrow.services.settlement import settle
from escrow.services.standings import report_transaction_event
from escrow.services.transitions import lock_listing_then_deal, note, transition_deal

logger = logging.getLogger(__name__)
State = Deal.State

# ------------------------------------------------------------------ chargebacks


def record_chargeback(
    *,
    payment_ref: str,
    provider: str,
    provider_ref: str,
    amount: int,
    fee: int,
    status: str,
    reason: str = "",
    now: datetime,
) -> Chargeback | None:
    """Apply the provider's card-dispute event (``charge.dispute.created`` /
    ``.closed``); idempotent and order-independent (a close before the open
    records both).

    Opened: the provider took ``amount`` + ``fee`` out of our balance (booked);
    a funded deal is FROZEN, its payout held, and a chargeback case with the
    evidence collected so far is put in front of a moderator; governance gets a
    ``TRX-04`` case against the buyer if the account had been handed over.
    Closed: won → the money is back and the moderator decides the deal; lost →
    the buyer's bank refunded the buyer out of the held money: the deal is
    REFUNDED by the system.
    """
    payment = Payment.objects.filter(provider=provider, provider_ref=payment_ref).first()
    if payment is None or amount <= 0:
        logger.info("chargeback %s for an unknown payment %s", provider_ref, payment_ref)
        return None
    closing = status in ("won", "lost")
    with transaction.atomic():
        listing, deal = lock_listing_then_deal(payment.deal_id)
        chargeback = (
            Chargeback.objects.select_for_update()
            .filter(provider=provider, provider_ref=provider_ref)
            .first()
        )
        if chargeback is None:
            chargeback = Chargeback.objects.create(
                deal=deal,
                provider=provider,
                provider_ref=provider_ref,
                amount=amount,
                fee=fee,
                reason=reason[:80],
                created_at=now,
            )
            ledger.post_chargeback_opened(deal=deal, chargeback=chargeback, now=now)
            _freeze_for_chargeback(deal, chargeback, now=now)
        if closing and chargeback.status == Chargeback.Status.OPEN:
            won = status == "won"
            chargeback.status = Chargeback.Status.WON if won else Chargeback.Status.LOST
            chargeback.closed_at = now
            chargeback.save(update_fields=["status", "closed_at"])
            if won or deal.state == State.FROZEN:
                ledger.post_chargeback_closed(deal=deal, chargeback=chargeback, won=won, now=now)
            else:
                # The money had already left escrow (released or refunded): the
                # platform bears the loss.
                ledger.post(
                    kind="chargeback",
                    reference=f"chargeback:{chargeback.pk}:closed",
                    deal=deal,
                    currency=deal.currency,
                    now=now,
                    lines=[
                        ("processing_fees", chargeback.amount),
                        ("chargebacks", -chargeback.amount),
                    ],
                    memo=f"chargeback {chargeback.provider_ref} lost after the deal ended",
                )
            note(deal=deal, kind="chargeback_won" if won else "chargeback_lost", now=now)
            if not won and deal.state == State.FROZEN:
                _close_lost_chargeback(deal, listing, payment, now=now)
            notify(deal=deal, user=deal.seller, kind=f"chargeback_{status}_seller", now=now)
    enqueue_refunds(payment.deal_id)
    return chargeback


def _freeze_for_chargeback(deal: Deal, chargeback: Chargeback, *, now: datetime) -> None:
    if deal.state in (State.FUNDED, State.DELIVERED, State.ACCEPTED, State.DISPUTED):
        from_state = deal.state
        transition_deal(
            deal=deal,
            to=State.FROZEN,
            kind="chargeback",
            now=now,
            reason=chargeback.reason,
        )
        if not Dispute.objects.filter(deal=deal, status=Dispute.Status.OPEN).exists():
            Dispute.objects.create(
                deal=deal,
                kind=Dispute.Kind.CHARGEBACK,
                opener_role="provider",
                from_state=from_state,
                statement=f"Card network dispute ({chargeback.reason or 'no reason given'}).",
                created_at=now,
            )
    else:
        # Released already: the payout, if not sent, is held by payout_hold.
        note(deal=deal, kind="chargeback", now=now, reason=chargeback.reason)
    notify(deal=deal, user=deal.seller, kind="chargeback_opened_seller", now=now)
    notify(deal=deal, user=deal.buyer, kind="chargeback_opened_buyer", now=now)
    if deal.delivered_at is not None:
        report_transaction_event(
            user=deal.buyer,
            rule_code="TRX-04",
            facts=gettext_noop(
                "Deal #%(deal)s: the buyer's card issuer opened a chargeback after the "
                "account was handed over (the issuer's reason code: %(code)s)."
            ),
            facts_params={"deal": deal.pk, "code": chargeback.reason or "—"},
            deal=deal,
            now=now,
        )


def _close_lost_chargeback(deal: Deal, listing, payment: Payment, *, now: datetime) -> None:
    rest = ledger.escrow_balance(deal)
    # A partial chargeback: the rest goes back to the buyer too.
    settle(
        [deal],
        to=State.REFUNDED,
        kind="chargeback_refunded",
        now=now,
        buyer_amount=max(rest, 0),
        refund_reason="rest after a chargeback",
        disputed=True,
    )
    case = Dispute.objects.select_for_update().filter(deal=deal, status=Dispute.Status.OPEN).first()
    if case is not None:
        case.status = Dispute.Status.DECIDED
        case.outcome = Dispute.Outcome.REFUND
        case.buyer_amount = deal.total
        case.seller_amount = 0
        case.decision_reason = "The card network decided the chargeback for the buyer."
        case.decided_at = now
        case.save()
