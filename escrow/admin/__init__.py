"""Operators' and moderators' screens for escrow. Money rows are read-only here;
the one write — recording a manual bank payout — goes through
``services.record_manual_payout`` (audited). One module per capability: deals
(watch, operations page), disputes (case screen, chat), money (payments, payouts,
ledger, provider events, reconciliation)."""

from . import deals, disputes, money  # noqa: F401  (each registers its screens)
from .common import ReadOnlyAdmin, provider_name

__all__ = ["ReadOnlyAdmin", "provider_name"]
