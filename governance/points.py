"""Credit-point arithmetic, pure functions (no database): GOVERNANCE.md in code.

Units: integers of half-points. Every user has ``ALLOWANCE_HALF`` (24 = 12 points)
in a rolling 365-day window. A deduction counts from its decision until it
expires 365 days later; an S4 deduction has no expiry (it stands while the ban
stands) — ``expires_at`` None.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import IntEnum

ALLOWANCE_HALF = 24
WINDOW = timedelta(days=365)
REPEAT_WINDOW = timedelta(days=90)
REPEAT_SUSPENSION_COUNT = 6


class Step(IntEnum):
    """Ladder steps by points lost in the window; a higher value is more severe."""

    NONE = 0
    WARNING = 1  # 3+ points
    NO_NEW_LISTINGS = 2  # 6+ points: no new listings for 7 days
    SELLING_SUSPENDED = 3  # 9+ points: selling suspended 30 days, payouts held 14 days longer
    CLOSED = 4  # 12 points: selling and buying closed


#: (threshold in half-points, step), most severe first.
LADDER = (
    (24, Step.CLOSED),
    (18, Step.SELLING_SUSPENDED),
    (12, Step.NO_NEW_LISTINGS),
    (6, Step.WARNING),
)


@dataclass(frozen=True)
class Deduction:
    decided_at: datetime
    expires_at: datetime | None
    half: int

    def counts_at(self, at: datetime) -> bool:
        return self.decided_at <= at and (self.expires_at is None or self.expires_at > at)


def deduction_half(base_half: int, *, repeat: bool) -> int:
    """The half-points a decision deducts: the rule's base, or 1.5× it for the same
    rule again within 90 days, rounded up to the half point (ceil(base × 3 / 2))."""
    if base_half <= 0:
        raise ValueError("a deduction is positive")
    return -(-base_half * 3 // 2) if repeat else base_half


def expiry_for(decided_at: datetime, *, severity: str) -> datetime | None:
    """When a deduction stops counting: 365 days after the decision; S4 never by itself."""
    return None if severity == "S4" else decided_at + WINDOW


def points_lost(deductions: Iterable[Deduction], at: datetime) -> int:
    """Half-points lost at ``at`` (may exceed the allowance; display caps it)."""
    return sum(d.half for d in deductions if d.counts_at(at))


def points_left(lost_half: int) -> int:
    return max(0, ALLOWANCE_HALF - lost_half)


def ladder_step(lost_half: int) -> Step:
    for threshold, step in LADDER:
        if lost_half >= threshold:
            return step
    return Step.NONE


def step_for_decision(before_half: int, after_half: int) -> Step:
    """The ladder step a decision applies: the most severe step reached after it,
    if that is above the step the user stood at before (crossing several steps at
    once applies only the most severe); ``Step.NONE`` when no threshold is crossed."""
    after = ladder_step(after_half)
    return after if after > ladder_step(before_half) else Step.NONE


def below_threshold_at(
    deductions: Iterable[Deduction], threshold_half: int, after: datetime
) -> datetime | None:
    """The first moment at or after ``after`` when points lost drop below
    ``threshold_half`` by expiry alone; None if never (a deduction without expiry
    keeps it up)."""
    items = list(deductions)
    candidates = sorted(
        {after} | {d.expires_at for d in items if d.expires_at is not None and d.expires_at > after}
    )
    for moment in candidates:
        if points_lost(items, moment) < threshold_half:
            return moment
    return None


def format_half(half: int) -> str:
    """12 → "6", 3 → "1.5": half-points as points for display."""
    return f"{half // 2}.5" if half % 2 else str(half // 2)
