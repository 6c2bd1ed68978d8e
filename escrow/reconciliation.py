"""Reconciliation: compare our books with the payment provider's.

``reconcile(now=…)`` (the ``escrow.reconcile`` beat job) reads the provider's own
records (``gateway.provider_records`` — the simulated gateway's rows, Stripe's
balance transactions) outside any transaction, then compares, record by record:

- payments we recorded as succeeded ↔ the provider's captured payments (amount,
  processing fee);
- refunds we recorded as succeeded ↔ the provider's refunds (by id; one of ours
  still in flight is skipped: its retry looks it up first);
- payouts we recorded as paid through the provider ↔ its transfers;
- chargebacks ↔ its card disputes (existence and outcome);
- and, when nothing is in flight, our ledger's ``provider_cash`` ↔ the provider's
  balance.

Each difference is stored once (a stable ``key``; an open difference is not
reported again, one that disappeared is marked resolved) and new ones are
e-mailed to ``OPERATOR_EMAILS``. Provider records younger than ``GRACE`` are not
yet expected in our books (a webhook or a retry may still be on its way).
"""

from __future__ import annotations

from datetime import datetime, timedelta

from django.db import connection, transaction
from django.db.models import Sum

from . import ledger
from .gateways import get_gateway
from .gateways.base import GatewayError, ProviderRecord
from .models import (
    Account,
    Chargeback,
    Payment,
    Payout,
    ReconciliationDifference,
    ReconciliationRun,
    Refund,
    SellerPayoutAccount,
)
from .notifications import alert_operators

GRACE = timedelta(minutes=15)


def _diff(out: dict, *, kind: str, reference: str, ours=None, theirs=None, detail: str = ""):
    key = f"{kind}:{reference}"[:120]
    out[key] = {
        "kind": kind,
        "reference": reference[:255],
        "ours": ours,
        "theirs": theirs,
        "detail": detail[:300],
    }


def _ids(queryset) -> set[str]:
    return {str(pk) for pk in queryset.values_list("pk", flat=True)}


def _compare_money(
    found: dict,
    *,
    ours: dict,
    theirs: dict,
    kind: str,
    settled_before: datetime,
    owner,
    missing_at_provider: str,
    amounts_differ: str,
    missing_in_books,
    pending_ids: frozenset[str] | set[str] = frozenset(),
    our_id_key: str = "",
    also=None,
) -> None:
    """Our money rows of one kind (payments, refunds, payouts) ↔ the provider's
    records of them, both ways, differences into ``found``. ``also(found, ref, ours,
    theirs)`` adds a kind's own checks of a pair found on both sides.

    ``ours`` and ``theirs`` are keyed by the provider's id; a provider record naming
    one of ``pending_ids`` in its ``our_id_key`` metadata is ours still in flight
    (its retry looks it up first), and one younger than ``settled_before`` may
    still be on its way to our books. ``owner`` names our row in a detail ("deal
    12"); the texts are the records' English (``kernel.system_text`` says them in
    the reader's language)."""
    for ref, row in ours.items():
        rec = theirs.get(ref)
        if rec is None:
            _diff(
                found,
                kind=f"{kind}_missing_at_provider",
                reference=ref,
                ours=row.amount,
                detail=f"{owner(row)}: {missing_at_provider}",
            )
            continue
        if rec.amount != row.amount:
            _diff(
                found,
                kind=f"{kind}_amount",
                reference=ref,
                ours=row.amount,
                theirs=rec.amount,
                detail=f"{owner(row)}: {amounts_differ}",
            )
        if also is not None:
            also(found, ref, row, rec)
    for ref, rec in theirs.items():
        if ref in ours or (our_id_key and str(rec.metadata.get(our_id_key, "")) in pending_ids):
            continue
        if rec.created is None or rec.created <= settled_before:
            _diff(
                found,
                kind=f"{kind}_missing_in_books",
                reference=ref,
                theirs=rec.amount,
                detail=missing_in_books(rec),
            )


def _compare_fee(found: dict, ref: str, payment: Payment, rec: ProviderRecord) -> None:
    if rec.fee != payment.processing_fee:
        _diff(
            found,
            kind="payment_fee",
            reference=ref,
            ours=payment.processing_fee,
            theirs=rec.fee,
            detail=f"deal {payment.deal_id}: processing fees differ",
        )


def compare(
    records: list[ProviderRecord], *, provider: str, now: datetime
) -> tuple[dict, dict, dict]:
    """Pure comparison (reads our rows): returns (differences by key, our totals,
    their totals)."""
    found: dict[str, dict] = {}
    settled_before = now - GRACE
    theirs = {kind: {} for kind in ("payment", "refund", "transfer", "dispute")}
    for record in records:
        theirs.setdefault(record.kind, {})[record.ref] = record

    # payments
    ours_payments = {
        p.provider_ref: p
        for p in Payment.objects.filter(provider=provider, status=Payment.Status.SUCCEEDED)
    }
    _compare_money(
        found,
        ours=ours_payments,
        theirs=theirs["payment"],
        kind="payment",
        settled_before=settled_before,
        owner=lambda payment: f"deal {payment.deal_id}",
        missing_at_provider="paid in our books, not captured at the provider",
        amounts_differ="captured amounts differ",
        missing_in_books=lambda rec: "captured at the provider, not recorded as paid by us",
        also=_compare_fee,
    )

    # refunds
    ours_refunds = {
        r.provider_ref: r
        for r in Refund.objects.filter(provider=provider, status=Refund.Status.SUCCEEDED)
    }
    _compare_money(
        found,
        ours=ours_refunds,
        theirs=theirs["refund"],
        pending_ids=_ids(
            Refund.objects.filter(provider=provider).exclude(status=Refund.Status.SUCCEEDED)
        ),
        our_id_key="refund_id",
        kind="refund",
        settled_before=settled_before,
        owner=lambda refund: f"deal {refund.deal_id}",
        missing_at_provider="refunded in our books, unknown to the provider",
        amounts_differ="refunded amounts differ",
        missing_in_books=lambda rec: (
            f"refunded at the provider (payment {rec.payment_ref}), not in our books"
        ),
    )

    # payouts ↔ transfers
    ours_payouts = {
        p.provider_ref: p
        for p in Payout.objects.filter(
            provider=provider, status=Payout.Status.PAID, rail=SellerPayoutAccount.Rail.PROVIDER
        ).exclude(provider_ref="")
    }
    _compare_money(
        found,
        ours=ours_payouts,
        theirs=theirs["transfer"],
        pending_ids=_ids(
            Payout.objects.filter(provider=provider).exclude(status=Payout.Status.PAID)
        ),
        our_id_key="payout_id",
        kind="transfer",
        settled_before=settled_before,
        owner=lambda payout: f"payout {payout.pk}",
        missing_at_provider="paid in our books, no transfer at the provider",
        amounts_differ="amounts differ",
        missing_in_books=lambda rec: "transferred at the provider, no paid payout in our books",
    )

    # chargebacks ↔ disputes
    ours_chargebacks = {c.provider_ref: c for c in Chargeback.objects.filter(provider=provider)}
    for ref, rec in theirs["dispute"].items():
        chargeback = ours_chargebacks.get(ref)
        if chargeback is None:
            if rec.created is None or rec.created <= settled_before:
                _diff(
                    found,
                    kind="chargeback_missing_in_books",
                    reference=ref,
                    theirs=rec.amount,
                    detail=f"card dispute on payment {rec.payment_ref} not recorded by us",
                )
        elif rec.status in ("won", "lost") and chargeback.status != rec.status:
            _diff(
                found,
                kind="chargeback_status",
                reference=ref,
                detail=f"provider says {rec.status}, our record says {chargeback.status}",
            )

    our_totals = {
        "captured": sum(p.amount for p in ours_payments.values()),
        "fees": sum(p.processing_fee for p in ours_payments.values()),
        "refunded": sum(r.amount for r in ours_refunds.values()),
        "transferred": sum(p.amount for p in ours_payouts.values()),
        "provider_cash": ledger.account_balance(Account.PROVIDER_CASH),
    }
    disputes = theirs["dispute"].values()
    their_totals = {
        "captured": sum(r.amount for r in theirs["payment"].values()),
        "fees": sum(r.fee for r in theirs["payment"].values()),
        "refunded": sum(r.amount for r in theirs["refund"].values()),
        "transferred": sum(r.amount for r in theirs["transfer"].values()),
        "disputed": sum(r.amount for r in disputes if r.status != "won"),
        "dispute_fees": sum(r.fee for r in disputes),
    }
    their_totals["balance"] = (
        their_totals["captured"]
        - their_totals["fees"]
        - their_totals["refunded"]
        - their_totals["transferred"]
        - their_totals["disputed"]
        - their_totals["dispute_fees"]
    )
    in_flight = (
        Refund.objects.filter(provider=provider).exclude(status=Refund.Status.SUCCEEDED).exists()
        or Payout.objects.filter(
            provider=provider,
            status__in=[Payout.Status.REQUESTED, Payout.Status.FAILED],
        ).exists()
    )
    manual_paid = (
        Payout.objects.filter(
            status=Payout.Status.PAID, rail=SellerPayoutAccount.Rail.MANUAL
        ).aggregate(s=Sum("amount"))["s"]
        or 0
    )
    expected_cash = their_totals["balance"] - manual_paid  # bank transfers leave our cash too
    if not in_flight and not found and our_totals["provider_cash"] != expected_cash:
        _diff(
            found,
            kind="balance",
            reference=provider,
            ours=our_totals["provider_cash"],
            theirs=expected_cash,
            detail="ledger provider_cash differs from the provider's balance",
        )
    return found, our_totals, their_totals


#: Key of the PostgreSQL advisory lock that serialises reconciliation runs.
RECONCILE_LOCK = 0x48414E44_5245434F  # "HAND" "RECO"


def _one_run_at_a_time() -> None:
    """Two runs at once (beat's and a retried one) would both record the same new
    difference (the second failing on the open-difference constraint) and alert
    twice: the second waits for the first, then sees its rows. A transaction-level
    lock (released at commit; works behind PgBouncer in transaction mode). SQLite
    serialises writers anyway (IMMEDIATE transactions)."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [RECONCILE_LOCK])


def reconcile(*, now: datetime) -> ReconciliationRun | None:
    """Run one reconciliation; returns the run (None when the provider could not
    be read — the next run tries again)."""
    gateway = get_gateway()
    try:
        records = gateway.provider_records(now=now)
    except (GatewayError, NotImplementedError) as exc:
        alert_operators(
            "Reconciliation could not read the provider",
            f"Reconciliation at {now.isoformat()} failed: {exc}",
        )
        return None
    with transaction.atomic():
        _one_run_at_a_time()
        found, ours, theirs = compare(records, provider=gateway.name, now=now)
        run = ReconciliationRun.objects.create(
            provider=gateway.name, started_at=now, finished_at=now, ours=ours, theirs=theirs
        )
        open_keys = set(
            ReconciliationDifference.objects.filter(resolved_at__isnull=True).values_list(
                "key", flat=True
            )
        )
        ReconciliationDifference.objects.filter(resolved_at__isnull=True).exclude(
            key__in=list(found)
        ).update(resolved_at=now)
        new = [
            ReconciliationDifference(run=run, key=key, created_at=now, **values)
            for key, values in sorted(found.items())
            if key not in open_keys
        ]
        ReconciliationDifference.objects.bulk_create(new)
        run.differences_found = len(found)
        run.save(update_fields=["differences_found"])
        if new:
            lines = "\n".join(
                f"- {d.kind} {d.reference}: ours {d.ours}, provider {d.theirs}. {d.detail}"
                for d in new
            )
            alert_operators(
                f"Reconciliation found {len(new)} new difference(s)",
                f"Reconciliation of {now.isoformat()} with {gateway.name}:\n{lines}\n\n"
                "See the escrow operations page in the admin.",
            )
    return run
