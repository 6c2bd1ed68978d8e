"""Helpers shared by the governance services (not a public API)."""

from __future__ import annotations

import calendar
from datetime import datetime

from django.contrib.auth import get_user_model

from accounts.permissions import is_moderator

from ..exceptions import NotAModerator, ReasonRequired

APPEAL_MONTHS = 6


def add_months(moment: datetime, months: int) -> datetime:
    """The same day and time ``months`` later, clamped to the month's last day."""
    month_index = moment.month - 1 + months
    year, month = moment.year + month_index // 12, month_index % 12 + 1
    day = min(moment.day, calendar.monthrange(year, month)[1])
    return moment.replace(year=year, month=month, day=day)


def appeal_deadline(decided_at: datetime) -> datetime:
    return add_months(decided_at, APPEAL_MONTHS)


def require_moderator(user, permission: str) -> None:
    if not (is_moderator(user) and user.has_perm(permission)):
        raise NotAModerator()


def require_reason(text: str) -> str:
    text = (text or "").strip()
    if not text:
        raise ReasonRequired()
    return text


def lock_user(user_id: int):
    return get_user_model().objects.select_for_update().get(pk=user_id)


def who(user) -> str:
    return user.public_name if user is not None else "?"
