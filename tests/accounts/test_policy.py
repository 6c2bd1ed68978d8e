"""governance.policy.can answers from real-name verification and the minor mark."""

from datetime import timedelta

import pytest
from django.contrib.auth.models import AnonymousUser
from django.utils import timezone

from accounts import services
from accounts.models import User
from governance.policy import CAPABILITIES, UnknownCapability, can
from tests.factories import UserFactory, VerifiedUserFactory

pytestmark = pytest.mark.django_db

GATED = {"buy", "sell", "list"}


def test_browse_needs_nothing():
    assert can(AnonymousUser(), "browse")
    assert can(None, "browse")
    assert can(UserFactory(), "browse")


def test_unverified_user_cannot_buy_sell_or_list_but_can_report():
    user = UserFactory()
    for capability in GATED:
        assert not can(user, capability)
    assert can(user, "report")


def test_verified_adult_can_buy_sell_and_list():
    user = VerifiedUserFactory()
    assert user.verification_status == "verified"
    for capability in CAPABILITIES:
        assert can(user, capability), capability


def test_anonymous_cannot_buy():
    assert not can(AnonymousUser(), "buy")


def test_minor_mark_overrides_verification():
    user = VerifiedUserFactory()
    User.objects.filter(pk=user.pk).update(is_minor=True)
    user.refresh_from_db()
    for capability in GATED:
        assert not can(user, capability)


def test_expired_validity_is_not_verified_even_before_the_job_runs():
    user = VerifiedUserFactory()
    User.objects.filter(pk=user.pk).update(verified_until=timezone.now() - timedelta(seconds=1))
    user.refresh_from_db()
    assert not can(user, "buy")


def test_revoked_user_cannot_sell():
    user = VerifiedUserFactory()
    moderator = UserFactory(is_staff=True)
    verification = user.identity_verifications.get(state="verified")
    services.revoke_verification(
        verification_id=verification.pk, actor=moderator, reason="Borrowed identity."
    )
    user.refresh_from_db()
    assert not can(user, "sell")


def test_verification_part_of_can_runs_no_query(django_assert_num_queries):
    unverified, minor = UserFactory(), VerifiedUserFactory()
    User.objects.filter(pk=minor.pk).update(is_minor=True)
    minor.refresh_from_db()
    with django_assert_num_queries(0):  # refused from fields on the user row
        for capability in GATED:
            assert not can(unverified, capability)
            assert not can(minor, capability)


def test_can_costs_at_most_one_query_per_call(django_assert_max_num_queries):
    user = VerifiedUserFactory()
    for capability in CAPABILITIES:
        with django_assert_max_num_queries(1):  # governance's sanctions look-up
            can(user, capability)


def test_unknown_capability_is_an_error():
    with pytest.raises(UnknownCapability):
        can(UserFactory(), "fly")
