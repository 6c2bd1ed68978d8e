"""Outgoing money: refunds and payouts, recorded in a transaction and executed
after commit against the provider."""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from django.db import transaction

from accounts.models import User
from accounts.services import record_audit
from escrow import gateways, ledger
from escrow.enqueue import enqueue
from escrow.exceptions import (
    EscrowError,
    IllegalTransition,
)
from escrow.gateways.base import GatewayError
from escrow.models import (
    Chargeback,
    Deal,
    Payment,
    Payout,
    Refund,
    SellerPayoutAccount,
)
from escrow.notifications import alert_operators, notify
from escrow.services.transitions import lock_deal
from governance.policy import payouts_held_until

logger = logging.getLogger(__name__)
State = Deal.State

#: A payout/refund "requested" longer than this is treated as a crashed attempt.
IN_FLIGHT_TIMEOUT = timedelta(minutes=10)
MAX_ATTEMPTS = 8


def backoff(attempts: int) -> timedelta:
    """1, 2, 4 … minutes, capped at 6 hours."""
    return timedelta(minutes=min(2 ** max(attempts - 1, 0), 360))


# ------------------------------------------------------------------- refunds


def request_refund(
    *, deal: Deal, payment: Payment, reason: str, now: datetime, amount: int | None = None
) -> Refund:
    """Record a refund of the deal's payment — by default whatever was not refunded
    yet, or ``amount`` minor units (a split). Caller holds the deal and payment
    locks. Executed after commit by ``execute_refund``."""
    n = Refund.objects.filter(deal=deal).count() + 1
    already = sum(
        r.amount
        for r in Refund.objects.filter(deal=deal).exclude(status=Refund.Status.NEEDS_ATTENTION)
    )
    return Refund.objects.create(
        deal=deal,
        payment=payment,
        provider=payment.provider,
        idempotency_key=f"refund-{deal.pk}-{n}",
        amount=payment.amount - already if amount is None else amount,
        reason=reason,
        next_attempt_at=now,
        created_at=now,
    )


def recheck_refunds(*, payment_id: int, now: datetime) -> int:
    """A provider event says a refund of this payment changed: our unfinished
    refunds are made due now; ``execute_refund`` asks the provider (by metadata)
    before anything is recorded. Returns how many were queued."""

    open_refunds = Refund.objects.filter(
        payment_id=payment_id, status__in=(Refund.Status.REQUESTED, Refund.Status.FAILED)
    )
    ids = list(open_refunds.values_list("pk", flat=True))
    open_refunds.filter(status=Refund.Status.FAILED).update(next_attempt_at=now)
    for refund_id in ids:
        enqueue("escrow.execute_refund", refund_id)
    return len(ids)


def recheck_payout(*, payout_id: int, now: datetime) -> bool:
    """A provider event says a transfer changed: an unfinished payout is made due
    now; ``execute_payout`` looks the transfer up at the provider first."""

    changed = Payout.objects.filter(
        pk=payout_id, status__in=(Payout.Status.REQUESTED, Payout.Status.FAILED)
    ).update(next_attempt_at=now)
    if changed:
        enqueue("escrow.execute_payout", payout_id)
    return bool(changed)


def enqueue_refunds(deal_id: int) -> None:

    for refund_id in Refund.objects.filter(
        deal_id=deal_id, status=Refund.Status.REQUESTED, attempts=0
    ).values_list("pk", flat=True):
        enqueue("escrow.execute_refund", refund_id)


def execute_refund(*, refund_id: int, now: datetime) -> Refund | None:
    """Send a requested refund to the provider (at most once in effect).

    Marks the attempt in flight and commits before calling; a retry of an attempt
    that may have reached the provider first looks the refund up by metadata.
    Returns the refund when this call recorded an outcome (sent, or a failed
    attempt); None when it had nothing to do (settled, not due, or another run's),
    so a job counts only its own.
    """
    with transaction.atomic():
        refund = Refund.objects.select_for_update(skip_locked=True).filter(pk=refund_id).first()
        if refund is None or refund.status in (
            Refund.Status.SUCCEEDED,
            Refund.Status.NEEDS_ATTENTION,
        ):
            return None
        if refund.in_flight_since and refund.in_flight_since > now - IN_FLIGHT_TIMEOUT:
            return None  # another attempt is talking to the provider right now
        if refund.next_attempt_at and refund.next_attempt_at > now:
            return None
        retry = refund.attempts > 0
        refund.attempts += 1
        refund.in_flight_since = now
        refund.save(update_fields=["attempts", "in_flight_since"])
        payment_ref = refund.payment.provider_ref
    gateway = gateways.get_gateway()
    metadata = {"refund_id": str(refund.pk), "deal_id": str(refund.deal_id)}
    result, failed = send_outgoing(
        Refund,
        refund_id,
        find=lambda: (
            gateway.find_refund(payment_ref=payment_ref, metadata=metadata, now=now)
            if retry
            else None
        ),
        create=lambda: gateway.refund(
            payment_ref=payment_ref,
            amount=refund.amount,
            idempotency_key=refund.idempotency_key,
            metadata=metadata,
            now=now,
        ),
        now=now,
    )
    if result is None:
        return failed  # the failure recorded (None: it succeeded meanwhile)
    with transaction.atomic():
        deal = lock_deal(refund.deal_id)
        refund = Refund.objects.select_for_update().get(pk=refund_id)
        if refund.status == Refund.Status.SUCCEEDED:
            return None  # recorded meanwhile (the provider's event)
        refund.status = Refund.Status.SUCCEEDED
        refund.provider_ref = result.ref
        refund.succeeded_at = now
        refund.in_flight_since = None
        refund.next_attempt_at = None
        refund.save()
        ledger.post_refund(deal=deal, refund=refund, now=now)
        notify(deal=deal, user=deal.buyer, kind="refund_paid_buyer", now=now)
    return refund


# ------------------------------------------------------------------- payouts


def enqueue_payouts(deal_id: int) -> None:
    enqueue_payouts_of([deal_id])


#: Payouts per task message when many are created at once (the release batch):
#: several workers share them, and the broker sees one message per chunk.
PAYOUT_CHUNK = 50


def enqueue_payouts_of(deal_ids: list[int]) -> None:
    """Send the payouts of these deals after commit: one task for a single payout,
    chunks of ``PAYOUT_CHUNK`` for many (the beat job ``execute_due_payouts``
    catches any that a broker outage lost)."""

    ids = list(
        Payout.objects.filter(deal_id__in=deal_ids).order_by("pk").values_list("pk", flat=True)
    )
    if len(ids) == 1:
        enqueue("escrow.execute_payout", ids[0])
        return
    for start in range(0, len(ids), PAYOUT_CHUNK):
        enqueue("escrow.execute_payouts", ids[start : start + PAYOUT_CHUNK])


def execute_payout(*, payout_id: int, now: datetime) -> Payout | None:
    """Pay the seller of a released deal (at most one transfer, ever).

    With no usable payout account the payout waits ON_HOLD; on the manual rail it
    waits for an operator. Otherwise: mark the attempt in flight and commit, then
    (on a retry, first look the transfer up by metadata) create the transfer with
    the key ``payout-<deal>``, then re-lock and record PAID or the failure with a
    backoff. A crashed attempt is retried after ``IN_FLIGHT_TIMEOUT``.

    Returns the payout when this call moved it (paid, a failed attempt recorded,
    or newly held, on hold or manual); None when it had nothing to do (settled,
    not due, still held, or another run's), so a job counts only its own.
    """
    gateway = gateways.get_gateway()
    with transaction.atomic():
        # The deal, its payment, the seller and their payout account come with the
        # payout (the hold check and the transfer read them); only the payout's row
        # is locked.
        payout = (
            Payout.objects.select_for_update(skip_locked=True, of=("self",))
            .select_related("deal__payment", "seller__payout_account")
            .filter(pk=payout_id)
            .first()
        )
        if payout is None or payout.status in (
            Payout.Status.PAID,
            Payout.Status.MANUAL,
            Payout.Status.NEEDS_ATTENTION,
        ):
            return None
        if payout.in_flight_since and payout.in_flight_since > now - IN_FLIGHT_TIMEOUT:
            return None
        if payout.next_attempt_at and payout.next_attempt_at > now:
            return None
        held, until = payout_hold(payout, now=now)
        if held:
            first_time = payout.status != Payout.Status.HELD
            payout.status = Payout.Status.HELD
            # Asked again hourly (a freeze or a watch has no end date), or when
            # governance's hold ends.
            payout.next_attempt_at = until if until is not None else now + timedelta(hours=1)
            payout.save(update_fields=["status", "next_attempt_at"])
            if first_time:
                notify(deal=payout.deal, user=payout.seller, kind="payout_held_seller", now=now)
            return payout if first_time else None
        try:
            account = payout.seller.payout_account
        except SellerPayoutAccount.DoesNotExist:
            account = None
        if (
            account is not None
            and account.rail == SellerPayoutAccount.Rail.MANUAL
            and account.can_receive
        ):
            payout.rail = account.rail
            payout.status = Payout.Status.MANUAL
            payout.save(update_fields=["rail", "status"])
            alert_operators(
                f"Manual payout {payout.pk} to make",
                f"Pay {payout.amount} {payout.currency} (minor units) for deal {payout.deal_id} by bank transfer and record it in the admin.",
            )
            return payout
        if account is None or not account.can_receive:
            first_time = payout.status != Payout.Status.ON_HOLD
            payout.status = Payout.Status.ON_HOLD
            payout.next_attempt_at = now + timedelta(hours=1)
            payout.save(update_fields=["status", "next_attempt_at"])
            if first_time:
                notify(deal=payout.deal, user=payout.seller, kind="payout_on_hold_seller", now=now)
            return payout if first_time else None
        retry = payout.attempts > 0
        payout.rail = account.rail
        payout.status = Payout.Status.REQUESTED
        payout.attempts += 1
        payout.in_flight_since = now
        payout.save(update_fields=["rail", "status", "attempts", "in_flight_since"])
        destination = account.account_ref
        source = payout.deal.payment.provider_ref
    metadata = {"payout_id": str(payout.pk), "deal_id": str(payout.deal_id)}
    result, failed = send_outgoing(
        Payout,
        payout_id,
        find=lambda: gateway.find_transfer(metadata=metadata, now=now) if retry else None,
        create=lambda: gateway.transfer(
            amount=payout.amount,
            currency=payout.currency,
            destination=destination,
            source_payment_ref=source,
            idempotency_key=payout.idempotency_key,
            metadata=metadata,
            now=now,
        ),
        now=now,
    )
    if result is None:
        return failed  # the failure recorded (None: it was paid meanwhile)
    return payout_paid(payout_id, provider_ref=result.ref, now=now)


def payout_hold(payout: Payout, *, now: datetime) -> tuple[bool, datetime | None]:
    """Is ``payout`` held now, and until when (None: until someone decides)?

    Held while its deal is under moderator watch or has an open chargeback, and
    while governance says so (``governance.policy.payouts_held_until``: a freeze,
    a ban — 90 days after the seller's last protection window —, or the 14 extra
    days of a selling suspension). Money is held, never confiscated: once the
    answer is a date in the past, the payout runs."""
    deal = payout.deal
    if deal.watched_since is not None:
        return True, None
    if Chargeback.objects.filter(deal_id=deal.pk, status=Chargeback.Status.OPEN).exists():
        return True, None
    release_at = deal.released_at or payout.created_at
    last_protection_end = (
        Deal.objects.filter(seller_id=payout.seller_id, state=State.ACCEPTED)
        .order_by("-due_at")
        .values_list("due_at", flat=True)
        .first()
    )
    last_protection_end = max(filter(None, [last_protection_end, release_at]))
    until = payouts_held_until(
        payout.seller, release_at=release_at, now=now, last_protection_end=last_protection_end
    )
    if until is None:
        return True, None
    if until > now:
        return True, until
    return False, None


def payout_paid(
    payout_id: int, *, provider_ref: str = "", manual_reference: str = "", now: datetime
) -> Payout | None:
    """Record the payout paid; None when it already was (nothing done here)."""
    with transaction.atomic():
        payout = (
            Payout.objects.select_for_update(of=("self",))
            .select_related("deal", "seller")
            .get(pk=payout_id)
        )
        if payout.status == Payout.Status.PAID:
            return None
        payout.status = Payout.Status.PAID
        payout.provider_ref = provider_ref or payout.provider_ref
        payout.manual_reference = manual_reference or payout.manual_reference
        payout.paid_at = now
        payout.in_flight_since = None
        payout.next_attempt_at = None
        payout.last_error = ""
        payout.save(
            update_fields=[
                "status",
                "provider_ref",
                "manual_reference",
                "paid_at",
                "in_flight_since",
                "next_attempt_at",
                "last_error",
            ]
        )
        ledger.post_payout(payout=payout, now=now)
        notify(deal=payout.deal, user=payout.seller, kind="payout_paid_seller", now=now)
        return payout


def record_manual_payout(
    *, payout_id: int, operator: User, reference: str, now: datetime
) -> Payout:
    """An operator records the bank transfer of a manual-rail payout (audited)."""
    if not reference.strip():
        raise EscrowError(code="reference_required")
    with transaction.atomic():
        payout = Payout.objects.select_for_update().get(pk=payout_id)
        if payout.status not in (Payout.Status.MANUAL, Payout.Status.NEEDS_ATTENTION):
            raise IllegalTransition()
        before = {"status": payout.status}
        payout = payout_paid(payout_id, manual_reference=reference.strip(), now=now)
        record_audit(
            actor=operator,
            action="escrow.manual_payout_recorded",
            target=payout,
            reason=reference.strip(),
            before=before,
            after={"status": payout.status},
        )
    return payout


# ------------------------------------------------------------- the executor


def send_outgoing(model, pk: int, *, find, create, now: datetime):
    """The one way money leaves us (a ``Refund`` or a ``Payout`` row, already marked
    in flight and committed by the caller): ask the provider for an earlier
    attempt's result (``find``, a retry's lookup by metadata, or None), else make
    the call (``create``). Returns ``(result, None)``, or on a ``GatewayError``
    ``(None, what record_outgoing_failure returned)``."""
    try:
        result = find()
        if result is None:
            result = create()
    except GatewayError as exc:
        return None, record_outgoing_failure(model, pk, exc, now=now)
    return result, None


def record_outgoing_failure(model, pk: int, exc: GatewayError, *, now: datetime):
    """One retry policy for refunds and payouts: a retryable error is tried again
    after ``backoff(attempts)``, up to ``MAX_ATTEMPTS`` attempts; a non-retryable
    one (the provider said the same call will fail again: a closed account, an
    invalid amount) or the last attempt stops it at NEEDS_ATTENTION and e-mails the
    operators, once. Returns the row, or None when it succeeded meanwhile."""
    done = model.Status.PAID if model is Payout else model.Status.SUCCEEDED
    with transaction.atomic():
        row = model.objects.select_for_update().get(pk=pk)
        if row.status == done:
            return None
        row.in_flight_since = None
        row.last_error = f"{exc.code}: {exc}"[:200]
        if row.attempts >= MAX_ATTEMPTS or not exc.retryable:
            row.status = model.Status.NEEDS_ATTENTION
            row.next_attempt_at = None
            why = "a non-retryable error" if not exc.retryable else f"{row.attempts} attempts"
            alert_operators(
                f"{model.__name__} {row.pk} failed",
                f"{model.__name__} {row.pk} of deal {row.deal_id} stopped after {why}: "
                f"{row.last_error}",
            )
        else:
            row.status = model.Status.FAILED
            row.next_attempt_at = now + backoff(row.attempts)
        row.save(update_fields=["in_flight_since", "last_error", "status", "next_attempt_at"])
        return row
