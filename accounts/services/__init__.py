"""Writes that matter in accounts, by capability: ``verification``, ``standings``,
``members``; the one audit writer is ``accounts.audit.record_audit``. Callers
import from here."""

from ..audit import record_audit
from .identity_checks import apply_identity_outcome, start_identity_check
from .members import close_account, update_display_name
from .standings import record_completed_deals, record_deal_outcome, record_review
from .verification import (
    VerificationSubmission,
    approve_verification,
    can_submit_verification,
    documents_hash,
    documents_hashes,
    lift_minor_mark,
    process_verification_expiry,
    reject_verification,
    remember_language,
    resolve_impersonation_flag,
    revoke_verification,
    submit_verification,
)

__all__ = [
    "VerificationSubmission",
    "apply_identity_outcome",
    "approve_verification",
    "can_submit_verification",
    "close_account",
    "documents_hash",
    "documents_hashes",
    "lift_minor_mark",
    "process_verification_expiry",
    "record_audit",
    "record_completed_deals",
    "record_deal_outcome",
    "record_review",
    "reject_verification",
    "remember_language",
    "resolve_impersonation_flag",
    "revoke_verification",
    "start_identity_check",
    "submit_verification",
    "update_display_name",
]
