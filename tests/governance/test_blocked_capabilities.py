"""``blocked_capabilities`` (the hot permission gate) reads sanctions in force through
their one definition, ``Sanction.objects.in_force``; ``Sanction.in_force`` (a loaded
row) agrees with it at every boundary."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.contrib.contenttypes.models import ContentType
from django.utils import timezone

from governance.enforcement import blocked_capabilities
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


def test_only_active_sanctions_in_their_time_window_block_and_both_definitions_agree():
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
    rows = {s.pk for s in Sanction.objects.filter(user=user) if s.in_force(now)}
    assert rows == set(
        Sanction.objects.in_force(now).filter(user=user).values_list("pk", flat=True)
    )
    assert blocked == {c for s in Sanction.objects.filter(pk__in=rows) for c in s.capabilities}
    # A second later the sell ban has run out and the buy ban has begun.
    later = now + timedelta(seconds=1)
    assert blocked_capabilities(user, now=later) == {"list", "buy", "report"}
    assert blocked_capabilities(other, now=now) == {"appeal"}


def test_nobody_signed_in_has_nothing_blocked():
    from django.contrib.auth.models import AnonymousUser

    assert blocked_capabilities(AnonymousUser()) == frozenset()
    assert blocked_capabilities(None) == frozenset()


def test_the_gate_has_no_raw_sql_twin_of_sanctions_in_force():
    import inspect

    from governance import enforcement

    source = inspect.getsource(enforcement)
    assert "cursor" not in source and "SELECT" not in source
