"""``blocked_capabilities`` reads sanctions in force with raw SQL (the hot permission
gate); it must agree with ``_in_force``, the ORM's definition, at every boundary."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.contrib.contenttypes.models import ContentType
from django.utils import timezone

from governance.enforcement import _in_force, blocked_capabilities
from governance.models import Report, Rule, Sanction
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def _sanction(user, caps, *, starts, ends=None, status=Sanction.Status.ACTIVE):
    report = Report.objects.create(
        source=Report.Source.USER,
        subject_type=ContentType.objects.get_for_model(user),
        subject_id=str(user.pk),
        subject_repr="a user",
        accused=user,
        rule=Rule.objects.get(code="BEH-02"),
    )
    return Sanction.objects.create(
        user=user,
        kind=Sanction.Kind.FREEZE,
        basis=Sanction.Basis.FREEZE,
        report=report,
        capabilities=caps,
        starts_at=starts,
        ends_at=ends,
        status=status,
    )


def test_only_active_sanctions_in_their_time_window_block_and_the_raw_query_agrees():
    now = timezone.now().replace(microsecond=0)
    user, other = UserFactory(), UserFactory()
    _sanction(user, ["list"], starts=now - timedelta(days=1))  # open-ended, in force
    _sanction(user, ["sell"], starts=now - timedelta(days=1), ends=now + timedelta(seconds=1))
    _sanction(user, ["buy"], starts=now + timedelta(seconds=1))  # not begun yet
    _sanction(user, ["message"], starts=now - timedelta(days=2), ends=now)  # ended at now
    _sanction(user, ["report"], starts=now, ends=now + timedelta(days=1))  # begins at now
    _sanction(user, ["withdraw"], starts=now - timedelta(days=1), status=Sanction.Status.LIFTED)
    _sanction(other, ["appeal"], starts=now - timedelta(days=1))  # someone else's

    blocked = blocked_capabilities(user, now=now)
    assert blocked == {"list", "sell", "report"}
    orm = {c for caps in _in_force(user, now).values_list("capabilities", flat=True) for c in caps}
    assert blocked == orm
    # A second later the sell ban has run out and the buy ban has begun.
    later = now + timedelta(seconds=1)
    assert blocked_capabilities(user, now=later) == {"list", "buy", "report"}
    assert blocked_capabilities(other, now=now) == {"appeal"}


def test_nobody_signed_in_has_nothing_blocked():
    from django.contrib.auth.models import AnonymousUser

    assert blocked_capabilities(AnonymousUser()) == frozenset()
    assert blocked_capabilities(None) == frozenset()
