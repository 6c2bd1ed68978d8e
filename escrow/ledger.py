"""Double-entry ledger: every money movement is one balanced transaction.

Sign convention: debit > 0, credit < 0, amounts in integer minor units. Postings
are idempotent by ``reference``: posting the same business event twice returns the
first transaction and writes nothing. Callers post inside the transaction that
changes the deal/payment/refund/payout row the movement belongs to, so the books
and the states commit together.

Movements (``total = price + platform_fee``):

=========  =============================================================
payment    Dr provider_cash (total − processing fee), Dr processing_fees,
           Cr escrow_held (total)
release    Dr escrow_held (total), Cr seller_payable (price), Cr fee_revenue (fee)
refund     Dr escrow_held (amount), Cr provider_cash (amount) — the provider
           keeps its processing fee, which stays an expense
payout     Dr seller_payable (amount), Cr provider_cash (amount)
split      Dr escrow_held (seller share), Cr seller_payable (seller share); the
           buyer's share leaves escrow as an ordinary refund. No platform fee:
           a deal that fails costs no fee.
chargeback opened: Dr chargebacks (amount), Dr processing_fees (dispute fee),
           Cr provider_cash (amount + fee) — the provider took the money.
           won: Dr provider_cash, Cr chargebacks — it came back.
           lost: Dr escrow_held, Cr chargebacks — the buyer's bank refunded the
           buyer out of the held money.
=========  =============================================================
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from django.db import IntegrityError, transaction
from django.db.models import Sum

from .exceptions import LedgerImbalance
from .models import Account, LedgerEntry, LedgerTransaction


def post(
    *,
    kind: str,
    reference: str,
    lines: Iterable[tuple[str, int]],
    currency: str,
    now: datetime,
    deal=None,
    memo: str = "",
) -> LedgerTransaction:
    """Write one balanced transaction (or return the one already posted under
    ``reference``). ``lines`` are ``(account, signed amount)``; zero lines are
    dropped; the rest must sum to zero or ``LedgerImbalance`` is raised."""
    lines = [(account, int(amount)) for account, amount in lines if int(amount) != 0]
    if sum(amount for _, amount in lines) != 0:
        raise LedgerImbalance()
    existing = LedgerTransaction.objects.filter(reference=reference).first()
    if existing is not None:
        return existing
    try:
        with transaction.atomic():
            txn = LedgerTransaction.objects.create(
                kind=kind, reference=reference, deal=deal, memo=memo[:200], created_at=now
            )
            LedgerEntry.objects.bulk_create(
                LedgerEntry(
                    transaction=txn, account=account, deal=deal, amount=amount, currency=currency
                )
                for account, amount in lines
            )
    except IntegrityError:
        # Another worker posted the same event first; its posting stands.
        return LedgerTransaction.objects.get(reference=reference)
    return txn


def post_many(postings: list[dict], *, now: datetime) -> list[LedgerTransaction]:
    """``post`` for many business events at once (the release job's batch): one
    look-up of the references, one INSERT of transactions, one of entries.

    Each posting is a dict of ``post``'s keyword arguments (without ``now``); each
    must balance (``LedgerImbalance``, nothing written). Events already posted are
    skipped, as ``post`` returns the first posting. Call inside
    ``transaction.atomic`` holding the rows the movements belong to; a concurrent
    posting of the same reference fails the whole batch (the unique reference),
    which then rolls back with the caller's transaction."""
    prepared = []
    for posting in postings:
        lines = [(a, int(amount)) for a, amount in posting["lines"] if int(amount) != 0]
        if sum(amount for _, amount in lines) != 0:
            raise LedgerImbalance()
        prepared.append((posting, lines))
    done = set(
        LedgerTransaction.objects.filter(
            reference__in=[posting["reference"] for posting, _ in prepared]
        ).values_list("reference", flat=True)
    )
    fresh = [(posting, lines) for posting, lines in prepared if posting["reference"] not in done]
    if not fresh:
        return []
    txns = LedgerTransaction.objects.bulk_create(
        LedgerTransaction(
            kind=posting["kind"],
            reference=posting["reference"],
            deal=posting.get("deal"),
            memo=posting.get("memo", "")[:200],
            created_at=now,
        )
        for posting, _ in fresh
    )
    LedgerEntry.objects.bulk_create(
        LedgerEntry(
            transaction=txn,
            account=account,
            deal=posting.get("deal"),
            amount=amount,
            currency=posting["currency"],
        )
        for txn, (posting, lines) in zip(txns, fresh, strict=True)
        for account, amount in lines
    )
    return txns


# --------------------------------------------------------------------------- postings


def post_payment(*, deal, payment, now: datetime) -> LedgerTransaction:
    fee = payment.processing_fee
    return post(
        kind=LedgerTransaction.Kind.PAYMENT,
        reference=f"payment:{payment.pk}",
        deal=deal,
        currency=deal.currency,
        now=now,
        lines=[
            (Account.PROVIDER_CASH, payment.amount - fee),
            (Account.PROCESSING_FEES, fee),
            (Account.ESCROW_HELD, -payment.amount),
        ],
        memo=f"deal {deal.pk} paid ({payment.provider_ref})",
    )


def release_posting(deal) -> dict:
    """The release of ``deal``: the held total leaves escrow, the price is owed to
    the seller and the fee is the platform's revenue."""
    return {
        "kind": LedgerTransaction.Kind.RELEASE,
        "reference": f"release:deal:{deal.pk}",
        "deal": deal,
        "currency": deal.currency,
        "lines": [
            (Account.ESCROW_HELD, deal.total),
            (Account.SELLER_PAYABLE, -deal.price),
            (Account.FEE_REVENUE, -deal.platform_fee),
        ],
        "memo": f"deal {deal.pk} released",
    }


def post_release(*, deal, now: datetime) -> LedgerTransaction:
    return post(**release_posting(deal), now=now)


def post_refund(*, deal, refund, now: datetime) -> LedgerTransaction:
    return post(
        kind=LedgerTransaction.Kind.REFUND,
        reference=f"refund:{refund.pk}",
        deal=deal,
        currency=deal.currency,
        now=now,
        lines=[(Account.ESCROW_HELD, refund.amount), (Account.PROVIDER_CASH, -refund.amount)],
        memo=f"deal {deal.pk} refunded ({refund.provider_ref})",
    )


def post_payout(*, payout, now: datetime) -> LedgerTransaction:
    return post(
        kind=LedgerTransaction.Kind.PAYOUT,
        reference=f"payout:{payout.pk}",
        deal=payout.deal,
        currency=payout.currency,
        now=now,
        lines=[(Account.SELLER_PAYABLE, payout.amount), (Account.PROVIDER_CASH, -payout.amount)],
        memo=f"payout {payout.pk} paid ({payout.provider_ref or payout.manual_reference})",
    )


def post_split(*, deal, seller_amount: int, dispute_id: int, now: datetime) -> LedgerTransaction:
    """A moderator's split: the seller's share moves from escrow to seller payable
    (the buyer's share is refunded through a ``Refund``)."""
    return post(
        kind=LedgerTransaction.Kind.SPLIT,
        reference=f"split:dispute:{dispute_id}",
        deal=deal,
        currency=deal.currency,
        now=now,
        lines=[(Account.ESCROW_HELD, seller_amount), (Account.SELLER_PAYABLE, -seller_amount)],
        memo=f"deal {deal.pk} split (seller share)",
    )


def post_chargeback_opened(*, deal, chargeback, now: datetime) -> LedgerTransaction:
    return post(
        kind=LedgerTransaction.Kind.CHARGEBACK,
        reference=f"chargeback:{chargeback.pk}:opened",
        deal=deal,
        currency=deal.currency,
        now=now,
        lines=[
            (Account.CHARGEBACKS, chargeback.amount),
            (Account.PROCESSING_FEES, chargeback.fee),
            (Account.PROVIDER_CASH, -(chargeback.amount + chargeback.fee)),
        ],
        memo=f"chargeback {chargeback.provider_ref} opened on deal {deal.pk}",
    )


def post_chargeback_closed(*, deal, chargeback, won: bool, now: datetime) -> LedgerTransaction:
    back = Account.PROVIDER_CASH if won else Account.ESCROW_HELD
    return post(
        kind=LedgerTransaction.Kind.CHARGEBACK,
        reference=f"chargeback:{chargeback.pk}:closed",
        deal=deal,
        currency=deal.currency,
        now=now,
        lines=[(back, chargeback.amount), (Account.CHARGEBACKS, -chargeback.amount)],
        memo=f"chargeback {chargeback.provider_ref} {'won' if won else 'lost'}",
    )


# --------------------------------------------------------------------------- balances


def _sum(**filters) -> int:
    return LedgerEntry.objects.filter(**filters).aggregate(s=Sum("amount"))["s"] or 0


def escrow_balance(deal) -> int:
    """Minor units held in escrow for ``deal``: what was paid minus what was
    released or refunded (a credit balance, reported positive)."""
    return -_sum(deal=deal, account=Account.ESCROW_HELD)


def seller_payable_balance(deal) -> int:
    """Released for ``deal`` but not yet paid out to the seller."""
    return -_sum(deal=deal, account=Account.SELLER_PAYABLE)


def account_balance(account: str) -> int:
    """Signed balance of one account over the whole book (debit positive)."""
    return _sum(account=account)


def trial_balance() -> dict[str, int]:
    rows = LedgerEntry.objects.values("account").annotate(s=Sum("amount"))
    balances = {account.value: 0 for account in Account}
    for row in rows:
        balances[row["account"]] = row["s"]
    return balances


def unbalanced_transactions() -> list[int]:
    """Ids of transactions whose entries do not sum to zero (should always be [])."""
    return list(
        LedgerEntry.objects.values("transaction")
        .annotate(s=Sum("amount"))
        .exclude(s=0)
        .values_list("transaction", flat=True)
    )
