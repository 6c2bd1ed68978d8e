"""The one permission gate: ``can(user, capability)``.

Listings and escrow ask only this function before acting. It answers from the
account's state; later issues add verification, the minor mark and sanctions to
this same function — nobody hard-wires a second gate.
"""

from __future__ import annotations

CAPABILITIES = frozenset(
    {"browse", "buy", "sell", "list", "message", "withdraw", "report", "appeal"}
)


class UnknownCapability(ValueError):
    pass


def can(user, capability: str) -> bool:
    """May ``user`` do ``capability`` now? Browsing needs nothing; everything else
    needs an active signed-in account."""
    if capability not in CAPABILITIES:
        raise UnknownCapability(capability)
    if capability == "browse":
        return user is None or not user.is_authenticated or user.is_active
    return bool(user is not None and user.is_authenticated and user.is_active)
