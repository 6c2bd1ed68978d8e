"""The demo data: verified buyer and sellers, one verification waiting in the queue."""

import io

import pytest

from accounts import seed
from accounts.models import IdentityVerification
from governance.policy import can

pytestmark = pytest.mark.django_db


def _run():
    context: dict = {}
    seed.seed(context=context, options={}, out=io.StringIO())
    return context


def test_demo_buyer_and_sellers_are_verified_adults_and_one_waits_for_review():
    context = _run()
    for key in ("buyer", "seller", "seller2"):
        user = context[key]
        user.refresh_from_db()
        assert can(user, "buy") and can(user, "sell"), key
        verification = IdentityVerification.objects.get(user=user, state="verified")
        assert verification.decided_by == context["moderator"]
    assert IdentityVerification.objects.get(state="pending").user == context["applicant"]
    assert not can(context["moderator"], "sell")


def test_seeding_twice_changes_nothing():
    _run()
    before = list(IdentityVerification.objects.values_list("pk", "state"))
    _run()
    assert list(IdentityVerification.objects.values_list("pk", "state")) == before
