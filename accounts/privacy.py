"""Data export and account closure: what a user may take with them, and what is
removed when they leave.

accounts knows nothing of listings, deals or governance (dependency direction), so
the other parts register here (``marketplace/privacy.py``, at start-up):

- ``register_section(name, build)``: ``build(user) -> JSON-serialisable`` adds a
  part to the export. A section never contains another person's personal data or
  any secret (credentials, full document numbers, bank details).
- ``register_blocker(check)``: ``check(user) -> code | None`` refuses closure
  (``AccountClosureRefused(code)``) while e.g. a deal is open or money is held.
  Called inside the closure transaction, after the user row is locked.
- ``register_eraser(erase)``: ``erase(user, now)`` removes that part's personal data
  inside the closure transaction (records the law requires — deals, ledger — stay).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

_sections: dict[str, Callable[[Any], Any]] = {}
_blockers: list[Callable[[Any], str | None]] = []
_erasers: list[Callable[[Any, datetime], None]] = []


def register_section(name: str, build: Callable[[Any], Any]) -> None:
    _sections[name] = build


def register_blocker(check: Callable[[Any], str | None]) -> None:
    if check not in _blockers:
        _blockers.append(check)


def register_eraser(erase: Callable[[Any, datetime], None]) -> None:
    if erase not in _erasers:
        _erasers.append(erase)


def blockers() -> list[Callable[[Any], str | None]]:
    return list(_blockers)


def erasers() -> list[Callable[[Any, datetime], None]]:
    return list(_erasers)


def _iso(value) -> str | None:
    return value.isoformat() if value else None


def build_export(user, *, now: datetime) -> dict[str, Any]:
    """Everything Handoff holds about ``user`` that they may see, as JSON-ready data.
    Verification: state and dates, the last 4 characters of the number only."""
    from .models import IdentityVerification

    data: dict[str, Any] = {
        "exported_at": now.isoformat(),
        "profile": {
            "email": user.email,
            "display_name": user.display_name,
            "date_joined": _iso(user.date_joined),
            "last_login": _iso(user.last_login),
            "verification_status": user.verification_status,
            "verified_until": _iso(user.verified_until),
            "is_minor": user.is_minor,
        },
        "verifications": [
            {
                "state": v.state,
                "provider": v.provider,
                "legal_name": v.legal_name,
                "document_type": v.document_type,
                "document_number": v.masked_number,
                "country": v.country,
                "date_of_birth": _iso(v.date_of_birth),
                "submitted_at": _iso(v.submitted_at),
                "decided_at": _iso(v.decided_at),
                "decision_reason": v.decision_reason,
                "expires_at": _iso(v.expires_at),
                "document_images_kept": bool(v.document_image or v.selfie_image),
            }
            for v in IdentityVerification.objects.filter(user=user).order_by("submitted_at")
        ],
    }
    for name, build in _sections.items():
        data[name] = build(user)
    return data
