"""Escrow protection services: deal chat, disputes and recovery claims, moderator
decisions, chargebacks, deals under moderator watch, and reviews.

Same rules as ``escrow.services`` (see its docstring and docs/escrow.md): one
keyword-only function per use case, each in one ``transaction.atomic``; lock order
listing → deal → the deal's dispute / payment / refund / payout rows, each by
primary key; state only through ``services.transition_deal``; money only through
the ledger postings and the same refund/payout records the rest of escrow uses;
provider calls only after commit (``_enqueue_refunds`` / ``_enqueue_payouts``);
every function takes an explicit ``now``.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime

from django.conf import settings
from django.core.files.base import ContentFile
from django.db import IntegrityError, transaction

from accounts.models import User
from accounts.permissions import is_moderator
from accounts.services import record_audit
from governance.policy import can

from . import ledger
from .exceptions import (
    AlreadyReviewed,
    AnswerNotAllowed,
    ChargebackPending,
    DisputeAlreadyDecided,
    DisputeAlreadyOpen,
    DisputeWindowClosed,
    EmptyMessage,
    EscrowError,
    IllegalTransition,
    InvalidRating,
    MessageNotAllowed,
    NotAllowed,
    NotWatched,
    OwnDeal,
    ReasonRequired,
    RecoveryWindowClosed,
    ReplyNotAllowed,
    ReviewNotAllowed,
    SplitDoesNotAddUp,
    StatementRequired,
)
from .models import (
    Chargeback,
    Deal,
    DealMessage,
    Dispute,
    DisputeEvidence,
    Notification,
    Payment,
    Payout,
    Review,
)
from .notifications import notify
from .services import (
    _after_refund_decision,
    _enqueue_payouts,
    _enqueue_refunds,
    _lock_listing_then_deal,
    _note,
    _record_standing,
    _request_refund,
    report_transaction_event,
    transition_deal,
)

logger = logging.getLogger(__name__)
State = Deal.State

MAX_MESSAGE_CHARS = 4000
MAX_STATEMENT_CHARS = 8000
MAX_EVIDENCE_FILES = 5
#: Where each side may open a dispute (before the step's deadline).
DISPUTE_STATES = frozenset({State.FUNDED, State.DELIVERED})


@dataclass(frozen=True)
class Upload:
    """A cleaned file (``kernel.uploads.clean_document``) and the name the
    user gave it."""

    content: ContentFile
    name: str = ""


def _role(deal: Deal, user) -> str | None:
    if user is None or not getattr(user, "is_authenticated", False):
        return None
    if user.pk == deal.buyer_id:
        return "buyer"
    if user.pk == deal.seller_id:
        return "seller"
    return None


def is_dispute_moderator(user) -> bool:
    return bool(is_moderator(user) and user.has_perm("escrow.decide_dispute"))


def open_case(deal: Deal) -> Dispute | None:
    return Dispute.objects.filter(deal=deal, status=Dispute.Status.OPEN).first()


def _lock_case(dispute_id: int):
    """Lock listing → deal → dispute of ``dispute_id``; returns (listing, deal, dispute)."""
    deal_id = Dispute.objects.filter(pk=dispute_id).values_list("deal_id", flat=True).first()
    if deal_id is None:
        raise NotAllowed()
    listing, deal = _lock_listing_then_deal(deal_id)
    dispute = Dispute.objects.select_for_update().get(pk=dispute_id)
    return listing, deal, dispute


def _clean_text(text: str, limit: int) -> str:
    return (text or "").strip()[:limit]


# ------------------------------------------------------------------------- chat


def post_message(
    *, deal_id: int, author: User, body: str, now: datetime, attachment: Upload | None = None
) -> DealMessage:
    """Add a message to the deal's chat (kept as evidence, never edited).

    Who: the buyer or the seller (if ``can(author, "message")``), or a moderator
    with the dispute permission while a case is open on the deal. Contact details
    are masked (``governance.detectors.mask_contact_details``) in what the other
    party sees; the original stays for moderators. Every message is scanned and
    findings are filed as automatic reports (never a sanction by themselves).
    """
    from governance.detectors import mask_contact_details
    from governance.services import record_automatic_findings

    body = _clean_text(body, MAX_MESSAGE_CHARS)
    if not body and attachment is None:
        raise EmptyMessage()
    with transaction.atomic():
        deal = Deal.objects.select_related("listing").filter(pk=deal_id).first()
        if deal is None:
            raise MessageNotAllowed()
        role = _role(deal, author)
        if role is None:
            if not (is_dispute_moderator(author) and open_case(deal) is not None):
                raise MessageNotAllowed()
            role = "moderator"
        elif not can(author, "message"):
            raise MessageNotAllowed()
        message = DealMessage(
            deal=deal,
            author=author,
            author_role=role,
            body=body,
            body_masked=body if role == "moderator" else mask_contact_details(body),
            created_at=now,
        )
        if attachment is not None:
            message.attachment.save(attachment.content.name, attachment.content, save=False)
            message.attachment_name = (attachment.name or "")[:120]
        message.save()
        if body and role != "moderator":
            record_automatic_findings(subject=message, text=body, now=now)
        for user_id in {deal.buyer_id, deal.seller_id} - {author.pk}:
            Notification.objects.create(user_id=user_id, deal=deal, kind="message", created_at=now)
    return message


def remove_message(*, message_id: int, reason: str, now: datetime) -> DealMessage | None:
    """Hide a message governance decided to remove (it stays as evidence)."""
    with transaction.atomic():
        message = DealMessage.objects.select_for_update().filter(pk=message_id).first()
        if message is None or message.removed_at is not None:
            return message
        message.removed_at = now
        message.removed_reason = reason[:200]
        message.save(update_fields=["removed_at", "removed_reason"])
    return message


def restore_message(*, message_id: int) -> None:
    DealMessage.objects.filter(pk=message_id).update(removed_at=None, removed_reason="")


def remove_review_text(*, review_id: int, reason: str, now: datetime) -> Review | None:
    """Hide a review's text governance decided to remove (kept as evidence; the
    rating stays). Saved, not updated, so the cached listing pages invalidate."""
    with transaction.atomic():
        review = Review.objects.select_for_update().filter(pk=review_id).first()
        if review is None or review.text_removed_at is not None:
            return review
        review.text_removed_at = now
        review.text_removed_reason = reason[:200]
        review.save(update_fields=["text_removed_at", "text_removed_reason"])
    return review


def restore_review_text(*, review_id: int) -> None:
    """The removal was overruled on appeal."""
    with transaction.atomic():
        review = Review.objects.select_for_update().filter(pk=review_id).first()
        if review is None or review.text_removed_at is None:
            return
        review.text_removed_at = None
        review.text_removed_reason = ""
        review.save(update_fields=["text_removed_at", "text_removed_reason"])


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
    statement = _clean_text(statement, MAX_STATEMENT_CHARS)
    with transaction.atomic():
        listing, deal = _lock_listing_then_deal(deal_id)
        role = _role(deal, user) if deal is not None else None
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
    statement = _clean_text(statement, MAX_STATEMENT_CHARS)
    with transaction.atomic():
        _listing, deal, dispute = _lock_case(dispute_id)
        role = _role(deal, user)
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
        _note(deal=deal, kind="dispute_answered", now=now, actor=user)
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
            facts=f"Deal #{deal.pk}: no answer to the {dispute.get_kind_display()} "
            f"#{dispute.pk} by its deadline.",
            deal=deal,
            now=now,
        )
    return True


def due_overdue_answers(now: datetime, limit: int) -> list[int]:
    return list(
        Dispute.objects.filter(
            status=Dispute.Status.OPEN,
            responded_at__isnull=True,
            response_overdue_at__isnull=True,
            response_due_at__lte=now,
        )
        .exclude(kind=Dispute.Kind.CHARGEBACK)
        .order_by("response_due_at", "pk")
        .values_list("pk", flat=True)[:limit]
    )


def _create_payout(deal: Deal, amount: int, now: datetime) -> Payout:
    return Payout.objects.create(
        deal=deal,
        seller_id=deal.seller_id,
        amount=amount,
        currency=deal.currency,
        provider=deal.payment.provider,
        idempotency_key=f"payout-{deal.pk}",
        next_attempt_at=now,
        created_at=now,
    )


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
        listing, deal, dispute = _lock_case(dispute_id)
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
        payment = Payment.objects.select_for_update().get(deal=deal)
        before = {"state": deal.state, "dispute": dispute.status}
        if outcome == Dispute.Outcome.RELEASE:
            deal.released_at = now
            transition_deal(
                deal=deal,
                to=State.RELEASED,
                kind="dispute_released",
                now=now,
                actor=moderator,
                reason=reason,
                update_fields=("released_at",),
            )
            ledger.post_release(deal=deal, now=now)
            _create_payout(deal, deal.price, now)
            from listings import services as listing_services

            listing_services.mark_sold(
                listing_id=listing.pk, reason=f"deal {deal.pk} released by a moderator", now=now
            )
            _record_standing(deal, completed=True, disputed=True)
        elif outcome == Dispute.Outcome.REFUND:
            transition_deal(
                deal=deal,
                to=State.REFUNDED,
                kind="dispute_refunded",
                now=now,
                actor=moderator,
                reason=reason,
            )
            _after_refund_decision(deal, listing, now=now)
            if held > 0:
                _request_refund(
                    deal=deal,
                    payment=payment,
                    reason="refunded by a moderator",
                    now=now,
                    amount=held,
                )
            _record_standing(deal, completed=False, disputed=True)
        else:
            transition_deal(
                deal=deal,
                to=State.SPLIT,
                kind="dispute_split",
                now=now,
                actor=moderator,
                reason=reason,
            )
            ledger.post_split(
                deal=deal, seller_amount=seller_amount, dispute_id=dispute.pk, now=now
            )
            _create_payout(deal, seller_amount, now)
            _request_refund(
                deal=deal,
                payment=payment,
                reason="buyer's share of a split",
                now=now,
                amount=buyer_amount,
            )
            _after_refund_decision(deal, listing, now=now)
            _record_standing(deal, completed=False, disputed=True)
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
                facts=f"Deal #{deal.pk}: the buyer's recovery claim was upheld "
                f"({dispute.get_outcome_display()}): {reason}",
                deal=deal,
                now=now,
            )
    _enqueue_refunds(deal.pk)
    _enqueue_payouts(deal.pk)
    return dispute


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
        listing, deal = _lock_listing_then_deal(payment.deal_id)
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
            _note(deal=deal, kind="chargeback_won" if won else "chargeback_lost", now=now)
            if not won and deal.state == State.FROZEN:
                _close_lost_chargeback(deal, listing, payment, now=now)
            notify(deal=deal, user=deal.seller, kind=f"chargeback_{status}_seller", now=now)
    _enqueue_refunds(payment.deal_id)
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
        _note(deal=deal, kind="chargeback", now=now, reason=chargeback.reason)
    notify(deal=deal, user=deal.seller, kind="chargeback_opened_seller", now=now)
    notify(deal=deal, user=deal.buyer, kind="chargeback_opened_buyer", now=now)
    if deal.delivered_at is not None:
        report_transaction_event(
            user=deal.buyer,
            rule_code="TRX-04",
            facts=f"Deal #{deal.pk}: the buyer's card issuer opened a chargeback "
            f"({chargeback.reason or 'no reason'}) after the account was handed over.",
            deal=deal,
            now=now,
        )


def _close_lost_chargeback(deal: Deal, listing, payment: Payment, *, now: datetime) -> None:
    transition_deal(deal=deal, to=State.REFUNDED, kind="chargeback_refunded", now=now)
    _after_refund_decision(deal, listing, now=now)
    rest = ledger.escrow_balance(deal)
    if rest > 0:  # a partial chargeback: the rest goes back to the buyer too
        _request_refund(
            deal=deal, payment=payment, reason="rest after a chargeback", now=now, amount=rest
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
    _record_standing(deal, completed=False, disputed=True)


# -------------------------------------------------------------- moderator watch


WATCH_STATES = frozenset(
    {State.FUNDED, State.DELIVERED, State.ACCEPTED, State.DISPUTED, State.FROZEN}
)
REFUNDABLE_ON_WATCH = frozenset({State.FUNDED, State.DELIVERED, State.ACCEPTED})


def watch_deal(*, deal_id: int, reason: str, now: datetime) -> Deal | None:
    """Put a funded deal under moderator watch (its listing was removed, or its
    seller banned or frozen): the buyer is offered a refund and the seller's
    payout for it is held until a moderator ends the watch. Idempotent: returns
    the deal when this call put it under watch, None when there was nothing to do."""
    with transaction.atomic():
        _listing, deal = _lock_listing_then_deal(deal_id)
        if deal is None or deal.state not in WATCH_STATES or deal.watched_since is not None:
            return None
        deal.watched_since = now
        deal.watch_reason = reason[:200]
        deal.save(update_fields=["watched_since", "watch_reason", "updated_at"])
        _note(deal=deal, kind="watched", now=now, reason=reason[:200])
        notify(deal=deal, user=deal.buyer, kind="watched_buyer", now=now)
        notify(deal=deal, user=deal.seller, kind="watched_seller", now=now)
    return deal


def protect_deals(
    *, now: datetime, reason: str, listing_id: int | None = None, user_id: int | None = None
) -> tuple[int, int]:
    """A listing was taken down (``listing_id``) or a user banned or frozen
    (``user_id``): unpaid deals on it (as buyer or seller) are cancelled; funded
    deals where the user sells are put under watch. Returns (cancelled, watched)."""
    from .services import _close_unpaid

    deals = Deal.objects.all()
    if listing_id is not None:
        unpaid = deals.filter(listing_id=listing_id)
        funded = deals.filter(listing_id=listing_id)
        kind = "listing_removed"
    else:
        from django.db.models import Q

        unpaid = deals.filter(Q(seller_id=user_id) | Q(buyer_id=user_id))
        funded = deals.filter(seller_id=user_id)
        kind = "account_measure"
    cancelled = watched = 0
    for deal_id in (
        unpaid.filter(state=State.PENDING_PAYMENT).order_by("pk").values_list("pk", flat=True)
    ):
        if _close_unpaid(deal_id=deal_id, now=now, kind=kind) is not None:
            cancelled += 1
    for deal_id in (
        funded.filter(state__in=WATCH_STATES, watched_since__isnull=True)
        .order_by("pk")
        .values_list("pk", flat=True)
    ):
        if watch_deal(deal_id=deal_id, reason=reason, now=now) is not None:
            watched += 1
    return cancelled, watched


def refund_watched_deal(*, deal_id: int, actor: User, now: datetime, reason: str = "") -> Deal:
    """Refund a watched deal in full at the buyer's request or a moderator's
    (``escrow.watch_deal``). A deal in a dispute or frozen by a chargeback goes
    through its case instead."""
    moderator = _role_on(deal_id, actor) is None
    if moderator and not (is_moderator(actor) and actor.has_perm("escrow.watch_deal")):
        raise NotAllowed()
    with transaction.atomic():
        listing, deal = _lock_listing_then_deal(deal_id)
        role = _role(deal, actor)
        if moderator and role is not None:
            raise OwnDeal()
        if not moderator and role != "buyer":
            raise NotAllowed()
        if deal.watched_since is None:
            raise NotWatched()
        if deal.state not in REFUNDABLE_ON_WATCH:
            raise IllegalTransition()
        why = reason.strip() or deal.watch_reason
        transition_deal(
            deal=deal, to=State.REFUNDED, kind="refunded_on_watch", now=now, actor=actor, reason=why
        )
        _after_refund_decision(deal, listing, now=now)
        payment = Payment.objects.select_for_update().get(deal=deal)
        _request_refund(deal=deal, payment=payment, reason="refund of a watched deal", now=now)
        _record_standing(deal, completed=False)
        if moderator:
            record_audit(
                actor=actor,
                action="escrow.watched_deal_refunded",
                target=deal,
                reason=why,
                before={"state": "watched"},
                after={"state": deal.state},
            )
        notify(deal=deal, user=deal.buyer, kind="refunded_on_watch_buyer", now=now)
        notify(deal=deal, user=deal.seller, kind="refunded_on_watch_seller", now=now)
    _enqueue_refunds(deal_id)
    return deal


def _role_on(deal_id: int, user) -> str | None:
    deal = Deal.objects.filter(pk=deal_id).only("buyer_id", "seller_id").first()
    if deal is None:
        raise NotAllowed()
    return _role(deal, user)


def end_deal_watch(*, deal_id: int, moderator: User, reason: str, now: datetime) -> Deal:
    """A moderator ends the watch: the deal continues normally and a held payout
    becomes due. Audited."""
    if not (is_moderator(moderator) and moderator.has_perm("escrow.watch_deal")):
        raise NotAllowed()
    reason = (reason or "").strip()
    if not reason:
        raise ReasonRequired()
    with transaction.atomic():
        _listing, deal = _lock_listing_then_deal(deal_id)
        if moderator.pk in (deal.buyer_id, deal.seller_id):
            raise OwnDeal()
        if deal.watched_since is None:
            raise NotWatched()
        deal.watched_since = None
        deal.save(update_fields=["watched_since", "updated_at"])
        _note(deal=deal, kind="watch_ended", now=now, actor=moderator, reason=reason)
        Payout.objects.filter(deal=deal, status=Payout.Status.HELD).update(next_attempt_at=now)
        record_audit(actor=moderator, action="escrow.watch_ended", target=deal, reason=reason)
    _enqueue_payouts(deal_id)
    return deal


# ---------------------------------------------------------------------- reviews


def _record_text_findings(subject, text: str, now: datetime) -> None:
    """The detectors read what was written (the public copy is masked); findings
    become automatic reports on ``subject`` for moderators."""
    from governance.services import record_automatic_findings

    if text:
        record_automatic_findings(subject=subject, text=text, now=now)


def leave_review(*, deal_id: int, buyer: User, rating, text: str, now: datetime) -> Review:
    """The buyer of a released deal rates the seller 1–5 with a text, once.
    Contact details in the text are masked (it is public)."""
    from accounts.services import record_review
    from governance.detectors import mask_contact_details

    try:
        rating = int(rating)
    except (TypeError, ValueError):
        raise InvalidRating()
    if not 1 <= rating <= 5:
        raise InvalidRating()
    with transaction.atomic():
        deal = Deal.objects.select_for_update().filter(pk=deal_id).first()
        if deal is None or deal.buyer_id != buyer.pk or deal.state != State.RELEASED:
            raise ReviewNotAllowed()
        if Review.objects.filter(deal=deal).exists():
            raise AlreadyReviewed()
        try:
            with transaction.atomic():
                review = Review.objects.create(
                    deal=deal,
                    buyer=buyer,
                    seller_id=deal.seller_id,
                    rating=rating,
                    text=mask_contact_details(_clean_text(text, 2000)),
                    created_at=now,
                )
        except IntegrityError:
            raise AlreadyReviewed()
        _record_text_findings(review, _clean_text(text, 2000), now)
        record_review(seller_id=deal.seller_id, rating=rating)
        notify(deal=deal, user=deal.seller, kind="reviewed_seller", now=now)
    return review


def reply_to_review(*, review_id: int, seller: User, text: str, now: datetime) -> Review:
    """The seller answers a review of theirs, once."""
    from governance.detectors import mask_contact_details

    text = _clean_text(text, 2000)
    with transaction.atomic():
        review = Review.objects.select_for_update().filter(pk=review_id).first()
        if review is None or review.seller_id != seller.pk or review.replied_at is not None:
            raise ReplyNotAllowed()
        if not text:
            raise EmptyMessage()
        review.reply = mask_contact_details(text)
        review.replied_at = now
        review.save(update_fields=["reply", "replied_at"])
        # the reply is the seller's: findings accuse the seller, not the reviewer
        _record_text_findings(seller, text, now)
    return review


__all__ = [
    "EscrowError",
    "Upload",
    "answer_dispute",
    "decide_dispute",
    "end_deal_watch",
    "leave_review",
    "open_dispute",
    "post_message",
    "protect_deals",
    "record_chargeback",
    "refund_watched_deal",
    "reply_to_review",
    "watch_deal",
]
