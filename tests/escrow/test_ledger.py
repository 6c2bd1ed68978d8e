"""The ledger: balanced transactions, the PostgreSQL guard, fees and balances."""

from __future__ import annotations

import pytest
from django.db import IntegrityError, InternalError, connection, transaction

from escrow import ledger
from escrow.exceptions import LedgerImbalance
from escrow.models import Account, LedgerEntry, LedgerTransaction
from kernel.money import apply_bps, format_money, platform_fee, quote

pytestmark = pytest.mark.django_db


def test_fee_rounds_half_up_in_integers_and_respects_the_minimum(settings):
    settings.PLATFORM_FEE_BPS = 500
    settings.PLATFORM_FEE_MIN = 500
    assert apply_bps(10_010, 500) == 501  # 500.5 → 501
    assert apply_bps(10_009, 500) == 500  # 500.45 → 500
    assert platform_fee(1_000) == 500  # 50 is below the minimum
    assert platform_fee(150_000) == 7_500
    q = quote(150_000, "usd")
    assert (q.price, q.fee, q.total, q.currency) == (150_000, 7_500, 157_500, "USD")


def test_money_is_formatted_without_floats():
    # The one money module (kernel.money) writes the site's unambiguous symbols.
    assert format_money(157_500, "USD") == "US$1,575.00"
    assert format_money(5, "USD") == "US$0.05"
    assert format_money(1200, "JPY") == "JP¥1,200"


def test_unbalanced_posting_is_refused_in_python_and_writes_nothing(now):
    with pytest.raises(LedgerImbalance):
        ledger.post(
            kind="payment",
            reference="x:1",
            lines=[(Account.PROVIDER_CASH, 100), (Account.ESCROW_HELD, -99)],
            currency="USD",
            now=now,
        )
    assert not LedgerTransaction.objects.exists()


def test_posting_twice_under_one_reference_writes_once(now):
    lines = [(Account.PROVIDER_CASH, 100), (Account.ESCROW_HELD, -100)]
    first = ledger.post(kind="payment", reference="x:2", lines=lines, currency="USD", now=now)
    second = ledger.post(kind="payment", reference="x:2", lines=lines, currency="USD", now=now)
    assert first.pk == second.pk
    assert LedgerEntry.objects.count() == 2
    assert ledger.trial_balance()[Account.ESCROW_HELD] == -100


@pytest.mark.django_db(transaction=True)
def test_postgres_constraint_trigger_refuses_an_unbalanced_transaction_at_commit(now):
    if connection.vendor != "postgresql":
        pytest.skip("the trigger is PostgreSQL's")
    with pytest.raises((IntegrityError, InternalError)), transaction.atomic():
        txn = LedgerTransaction.objects.create(kind="payment", reference="raw:1", created_at=now)
        LedgerEntry.objects.create(
            transaction=txn, account=Account.PROVIDER_CASH, amount=100, currency="USD"
        )
    assert not LedgerTransaction.objects.filter(reference="raw:1").exists()
    assert not LedgerEntry.objects.exists()


@pytest.mark.django_db(transaction=True)
def test_postgres_refuses_to_update_or_delete_ledger_entries(now):
    if connection.vendor != "postgresql":
        pytest.skip("the trigger is PostgreSQL's")
    ledger.post(
        kind="payment",
        reference="x:3",
        lines=[(Account.PROVIDER_CASH, 100), (Account.ESCROW_HELD, -100)],
        currency="USD",
        now=now,
    )
    with pytest.raises((IntegrityError, InternalError)), transaction.atomic():
        LedgerEntry.objects.update(amount=5)
    with pytest.raises((IntegrityError, InternalError)), transaction.atomic():
        LedgerEntry.objects.all()._raw_delete(LedgerEntry.objects.db)
    assert sorted(LedgerEntry.objects.values_list("amount", flat=True)) == [-100, 100]
