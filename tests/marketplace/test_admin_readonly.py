"""Records a moderator must not edit — money rows, the ledger, events, the audit
trail, statements of reasons, payouts' status — are read-only in the admin: a
moderator can change nothing but the workflow pages built for it, and even a
superuser cannot edit the records themselves."""

from __future__ import annotations

import pytest
from django.contrib import admin
from django.test import RequestFactory

from tests.accounts.identity_helpers import moderator
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

#: Records nobody edits in the admin (written by services only).
RECORDS = {
    "accounts.auditentry",
    "accounts.standing",
    "escrow.chargeback",
    "escrow.deal",
    "escrow.dealmessage",
    "escrow.dispute",
    "escrow.ledgertransaction",
    "escrow.payment",
    "escrow.reconciliationdifference",
    "escrow.reconciliationrun",
    "escrow.refund",
    "escrow.sellerpayoutaccount",
    "escrow.webhookevent",
    "governance.sanction",
    "governance.statementofreasons",
    "governance.transparencysnapshot",
    "governance.violation",
    "listings.listingevent",
}
#: The moderator's workflow pages: their "change" page is a read-only review page
#: whose decisions are buttons with their own permissions.
MODERATOR_WORKFLOW = {"listings.listing", "listings.pendinglisting"}


def _request(user):
    request = RequestFactory().get("/admin/")
    request.user = user
    return request


def _label(model) -> str:
    return model._meta.label_lower


def test_records_are_read_only_even_for_a_superuser():
    request = _request(UserFactory(is_staff=True, is_superuser=True))
    registered = {_label(m): ma for m, ma in admin.site._registry.items()}
    assert RECORDS <= registered.keys()
    for label in sorted(RECORDS):
        model_admin = registered[label]
        assert not model_admin.has_change_permission(request), label
        assert not model_admin.has_delete_permission(request), label
        assert not model_admin.has_add_permission(request), label


def test_a_payout_shows_its_status_and_amounts_read_only():
    from escrow.models import Payout

    request = _request(UserFactory(is_staff=True, is_superuser=True))
    model_admin = admin.site._registry[Payout]
    readonly = set(model_admin.get_readonly_fields(request, Payout(status=Payout.Status.PAID)))
    assert {"status", "amount", "seller", "deal", "paid_at", "manual_reference"} <= readonly
    assert not model_admin.has_delete_permission(request)
    assert not model_admin.has_change_permission(_request(moderator()))  # operators only


def test_a_moderator_can_change_only_the_workflow_pages():
    request = _request(moderator())
    changeable = {
        _label(model)
        for model, model_admin in admin.site._registry.items()
        if model_admin.has_change_permission(request)
        or model_admin.has_delete_permission(request)
        or model_admin.has_add_permission(request)
    }
    assert changeable <= MODERATOR_WORKFLOW, changeable - MODERATOR_WORKFLOW
