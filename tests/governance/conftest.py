"""Governance test fixtures: moderators (staff, Moderators group, TOTP), users,
and helpers that build state through the services."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from allauth.mfa.totp.internal.auth import TOTP
from django.contrib.auth.models import Group

from accounts.permissions import MODERATORS_GROUP
from governance import services
from tests.factories import UserFactory, VerifiedUserFactory

TOTP_SECRET = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"
T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


def make_moderator(**kwargs):
    user = UserFactory(is_staff=True, **kwargs)
    user.groups.add(Group.objects.get(name=MODERATORS_GROUP))
    TOTP.activate(user, TOTP_SECRET)
    return user


@pytest.fixture
def moderator(db):
    return make_moderator(display_name="Mod One")


@pytest.fixture
def moderator2(db):
    return make_moderator(display_name="Mod Two")


@pytest.fixture
def reporter(db):
    return UserFactory(display_name="Reporter")


@pytest.fixture
def seller(db):
    return VerifiedUserFactory(display_name="Seller")


@pytest.fixture
def now():
    return T0


def confirm(*, user, rule, moderator, now, reporter=None, facts="The facts of the case."):
    """A report against ``user`` for ``rule``, confirmed by ``moderator`` at ``now``."""
    if reporter is None:
        report = services.open_moderator_case(
            moderator=moderator, subject=user, rule=rule, details="seen in review", now=now
        )
    else:
        report = services.file_report(
            reporter=reporter, subject=user, rule=rule, details="what I saw happen", now=now
        )
    return services.confirm_report(report_id=report.pk, moderator=moderator, facts=facts, now=now)
