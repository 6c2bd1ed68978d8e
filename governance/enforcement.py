"""Reads that enforce sanctions: which capabilities a user has lost now, and how
long their payouts wait. ``governance.policy.can`` and escrow's payout job ask
these; the clock decides (a sanction stops counting at ``ends_at`` even before
the lifting job has recorded it).

The measures and what each takes away (GOVERNANCE.md):

=====================  ===============================  ======================
measure                capabilities removed             for
=====================  ===============================  ======================
warning                —                                while the points count
no new listings        list                             7 days
selling suspended      list, sell (+ payouts 14 days    30 days
                       longer)
closed (12 points)     list, sell, buy                  until the points fall
                                                        below 12; S4: until lifted
messaging restricted   message                          7 days
reporting restricted   report                           30 days
precautionary freeze   list, sell, buy, withdraw        until the decision
                       (+ payouts held)
=====================  ===============================  ======================

Browsing, reporting (unless restricted) and appealing are never taken away by
the ladder, and nobody loses the ability to sign in: a sanctioned user must be
able to read the statement of reasons and appeal.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db.models import Q
from django.utils import timezone

from .models import Sanction

BAN_PAYOUT_RELEASE_DELAY = timedelta(days=90)


@dataclass(frozen=True)
class Terms:
    capabilities: tuple[str, ...]
    duration: timedelta | None
    payout_hold_days: int = 0


TERMS: dict[str, Terms] = {
    Sanction.Kind.WARNING: Terms((), None),
    Sanction.Kind.NO_NEW_LISTINGS: Terms(("list",), timedelta(days=7)),
    Sanction.Kind.SELLING_SUSPENDED: Terms(("list", "sell"), timedelta(days=30), 14),
    Sanction.Kind.CLOSED: Terms(("list", "sell", "buy"), None),
    Sanction.Kind.MESSAGING_RESTRICTED: Terms(("message",), timedelta(days=7)),
    Sanction.Kind.REPORTING_RESTRICTED: Terms(("report",), timedelta(days=30)),
    Sanction.Kind.CONTENT_REMOVED: Terms((), None),
    Sanction.Kind.FREEZE: Terms(("list", "sell", "buy", "withdraw"), None),
}


def _in_force(user, now: datetime):
    return Sanction.objects.in_force(now).filter(user=user)


def blocked_capabilities(user, *, now: datetime | None = None) -> frozenset[str]:
    """Capabilities the user's sanctions in force at ``now`` take away (one query)."""
    if user is None or not getattr(user, "is_authenticated", False):
        return frozenset()
    rows = _in_force(user, now or timezone.now()).order_by().values_list("capabilities", flat=True)
    return frozenset(cap for caps in rows for cap in caps or ())


def capability_blocked(user, capability: str, *, now: datetime | None = None) -> bool:
    return capability in blocked_capabilities(user, now=now)


def is_frozen(user, *, now: datetime | None = None) -> bool:
    return _in_force(user, now or timezone.now()).filter(kind=Sanction.Kind.FREEZE).exists()


def is_closed(user, *, now: datetime | None = None) -> bool:
    return _in_force(user, now or timezone.now()).filter(kind=Sanction.Kind.CLOSED).exists()


def payouts_held_until(
    user,
    *,
    release_at: datetime,
    now: datetime | None = None,
    last_protection_end: datetime | None = None,
) -> datetime | None:
    """When may a payout to ``user`` that would normally be released at
    ``release_at`` be paid? ``None``: held with no date (a precautionary freeze;
    ask again after the decision). Escrow's payout job pays when the answer is not
    None and is <= now.

    - frozen now → None;
    - closed (banned) now → 90 days after ``last_protection_end`` (the end of the
      last protection window of the seller's deals, which escrow knows; defaults
      to ``release_at``) — money is held, never confiscated;
    - a payout whose normal release falls while "selling suspended" (9+ points)
      is in force waits ``payout_hold_days`` (14) days longer; this stays true
      after the suspension ends, and goes away if the decision is overruled.
    """
    now = now or timezone.now()
    in_force = list(_in_force(user, now).values_list("kind", flat=True))
    if Sanction.Kind.FREEZE in in_force:
        return None
    held = release_at
    if Sanction.Kind.CLOSED in in_force:
        held = max(held, (last_protection_end or release_at) + BAN_PAYOUT_RELEASE_DELAY)
    holds = Sanction.objects.filter(
        Q(ends_at__isnull=True) | Q(ends_at__gt=release_at),
        user=user,
        payout_hold_days__gt=0,
        status__in=[Sanction.Status.ACTIVE, Sanction.Status.ENDED],
        starts_at__lte=release_at,
    ).values_list("payout_hold_days", flat=True)
    for days in holds:
        held = max(held, release_at + timedelta(days=days))
    return held
