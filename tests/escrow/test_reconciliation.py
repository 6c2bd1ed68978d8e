"""Reconciliation: our books against the provider's own records."""

from __future__ import annotations

from django.core import mail

from escrow import tasks
from escrow.models import ReconciliationDifference, SimPaymentIntent, SimRefund
from tests.mail import outbox_sent
from tests.totp import force_login_with_second_factor

from .conftest import open_and_pay


def test_books_that_agree_report_nothing(buyer, listing, now, django_capture_on_commit_callbacks):
    open_and_pay(buyer, listing, now)
    with outbox_sent(), django_capture_on_commit_callbacks(execute=True):
        assert tasks.reconcile(now=now.isoformat()) == 0
    assert not ReconciliationDifference.objects.exists()
    assert not [m for m in mail.outbox if "[operators]" in m.subject]


def test_reconciliation_finds_an_injected_difference_and_emails_operators(
    buyer, listing, now, settings, django_capture_on_commit_callbacks
):
    settings.OPERATOR_EMAILS = ["ops@example.com"]
    deal = open_and_pay(buyer, listing, now)
    # the outside world: a refund made at the provider's dashboard, not through us,
    # and a fee that differs from what we booked
    pi = SimPaymentIntent.objects.get(pk=deal.payment.provider_ref)
    SimRefund.objects.create(
        id="re_sim_injected", payment_intent=pi, amount=500, metadata={}, created_at=now
    )
    SimPaymentIntent.objects.filter(pk=pi.pk).update(processing_fee=pi.processing_fee + 7)
    later = now.replace(microsecond=0) + __import__("datetime").timedelta(hours=1)
    with outbox_sent(), django_capture_on_commit_callbacks(execute=True):
        found = tasks.reconcile(now=later.isoformat())
    assert found == 2
    kinds = set(ReconciliationDifference.objects.values_list("kind", flat=True))
    assert kinds == {"refund_missing_in_books", "payment_fee"}
    alert = [m for m in mail.outbox if "[operators]" in m.subject]
    assert len(alert) == 1 and alert[0].to == ["ops@example.com"]
    assert "re_sim_injected" in alert[0].body
    # the same differences are not reported again; once fixed they are resolved
    with outbox_sent(), django_capture_on_commit_callbacks(execute=True):
        tasks.reconcile(now=later.isoformat())
    assert len([m for m in mail.outbox if "[operators]" in m.subject]) == 1
    SimRefund.objects.filter(pk="re_sim_injected").delete()
    SimPaymentIntent.objects.filter(pk=pi.pk).update(processing_fee=pi.processing_fee)
    tasks.reconcile(now=later.isoformat())
    assert not ReconciliationDifference.objects.filter(resolved_at__isnull=True).exists()


def test_operations_page_lists_differences_for_operators(admin_client, buyer, listing, now):
    deal = open_and_pay(buyer, listing, now)
    SimPaymentIntent.objects.filter(pk=deal.payment.provider_ref).update(amount=1)
    tasks.reconcile(now=now.isoformat())
    from allauth.mfa.totp.internal.auth import TOTP
    from django.contrib.auth import get_user_model

    admin_user = get_user_model().objects.get(is_superuser=True)
    TOTP.activate(admin_user, "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP")
    force_login_with_second_factor(admin_client, admin_user)
    page = admin_client.get("/admin/escrow/deal/operations/")
    assert page.status_code == 200
    # The kind by name (the row keeps the code payment_amount).
    assert "Captured amounts differ" in page.content.decode()


def test_each_kind_of_money_is_compared_both_ways_with_its_own_wording(buyer, listing, now):
    """Payments, refunds and transfers go through one comparison: a row of ours the
    provider lacks, differing amounts, a provider record our books lack (unless it
    names one of our rows still in flight, or is too young to be in our books)."""
    from datetime import timedelta

    from escrow.gateways.base import ProviderRecord
    from escrow.models import Refund
    from escrow.reconciliation import compare

    deal = open_and_pay(buyer, listing, now)
    payment = deal.payment
    in_flight = Refund.objects.create(
        deal=deal,
        payment=payment,
        amount=100,
        provider="simulated",
        status=Refund.Status.REQUESTED,
    )
    old = now - timedelta(hours=1)
    records = [
        ProviderRecord(
            kind="payment",
            ref=payment.provider_ref,
            amount=payment.amount + 1,
            fee=payment.processing_fee,
            created=old,
        ),
        ProviderRecord(kind="payment", ref="pi_theirs", amount=900, created=old),
        ProviderRecord(kind="payment", ref="pi_young", amount=900, created=now),
        ProviderRecord(kind="refund", ref="re_theirs", amount=300, payment_ref="pi_x", created=old),
        ProviderRecord(
            kind="refund",
            ref="re_in_flight",
            amount=100,
            metadata={"refund_id": str(in_flight.pk)},
            created=old,
        ),
        ProviderRecord(kind="transfer", ref="tr_theirs", amount=700, created=old),
    ]
    found, _ours, _theirs = compare(records, provider="simulated", now=now)
    details = {d["kind"]: (d["reference"], d["detail"]) for d in found.values()}
    assert details == {
        "payment_amount": (payment.provider_ref, f"deal {deal.pk}: captured amounts differ"),
        "payment_missing_in_books": (
            "pi_theirs",
            "captured at the provider, not recorded as paid by us",
        ),
        "refund_missing_in_books": (
            "re_theirs",
            "refunded at the provider (payment pi_x), not in our books",
        ),
        "transfer_missing_in_books": (
            "tr_theirs",
            "transferred at the provider, no paid payout in our books",
        ),
    }
    assert list(found) == [
        f"payment_amount:{payment.provider_ref}",
        "payment_missing_in_books:pi_theirs",
        "refund_missing_in_books:re_theirs",
        "transfer_missing_in_books:tr_theirs",
    ]
