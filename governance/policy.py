"""The one permission gate: ``can(user, capability)``.

Listings and escrow ask only this function before acting. It answers from the
account's state: the real-name verification and the minor mark (accounts), then
sanctions (governance) — nobody hard-wires a second gate.
"""

from __future__ import annotations

CAPABILITIES = frozenset(
    {"browse", "buy", "sell", "list", "message", "withdraw", "report", "appeal"}
)


def capability_names(codes) -> str:
    """A sanction's capabilities as the reader says them ("发布商品, 发消息")."""
    from django.utils.translation import gettext

    names = {
        "browse": gettext("browse"),
        "buy": gettext("buy"),
        "sell": gettext("sell"),
        "list": gettext("publish listings"),
        "message": gettext("send messages"),
        "withdraw": gettext("withdraw money"),
        "report": gettext("report"),
        "appeal": gettext("appeal"),
    }
    return ", ".join(names.get(c, str(c)) for c in codes or []) or "—"


class UnknownCapability(ValueError):
    pass


# Capabilities that need a verified adult: a currently valid real-name verification
# and no minor mark (GOVERNANCE.md, admission). Read from fields on the user row
# (``accounts.User.verification_status``/``verified_until``/``is_minor``), which
# accounts.services keep current: no query.
VERIFIED_ADULT_CAPABILITIES = frozenset({"buy", "sell", "list"})


def _is_verified_adult(user) -> bool:
    check = getattr(user, "is_verified_adult", None)
    return bool(check is not None and check())


def can(user, capability: str) -> bool:
    """May ``user`` do ``capability`` now? Browsing needs nothing; buying, selling and
    listing need a verified adult (verification valid now, not marked as a minor);
    everything else needs an active signed-in account."""
    if capability not in CAPABILITIES:
        raise UnknownCapability(capability)
    if capability == "browse":
        return user is None or not user.is_authenticated or user.is_active
    if not (user is not None and user.is_authenticated and user.is_active):
        return False
    if capability in VERIFIED_ADULT_CAPABILITIES and not _is_verified_adult(user):
        return False
    # Sanctions in force take capabilities away (governance.enforcement).
    from .enforcement import capability_blocked

    return not capability_blocked(user, capability)


def payouts_held_until(user, *, release_at, now=None, last_protection_end=None):
    """Escrow's payout job asks this before paying ``user``: see
    ``governance.enforcement.payouts_held_until`` (None = held pending a decision)."""
    from .enforcement import payouts_held_until as _held

    return _held(user, release_at=release_at, now=now, last_protection_end=last_protection_end)
