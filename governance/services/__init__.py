"""Every governance write that matters, one function per use case (STYLE.md).

Views, admin actions, tasks and commands call these; each owns its transaction,
locks what it changes, and writes the audit entry for moderator actions.
"""

from .appeals import decide_appeal, file_appeal
from .jobs import expire_points, lift_expired_sanctions, rescan_content
from .reports import (
    claim_report,
    confirm_report,
    dismiss_report,
    file_report,
    freeze_user,
    open_moderator_case,
    record_automatic_findings,
    record_system_violation,
    release_report,
)
from .rules import create_rule, update_rule
from .transparency import build_transparency_snapshot, build_transparency_snapshots

__all__ = [
    "build_transparency_snapshot",
    "build_transparency_snapshots",
    "claim_report",
    "confirm_report",
    "create_rule",
    "decide_appeal",
    "dismiss_report",
    "expire_points",
    "file_appeal",
    "file_report",
    "freeze_user",
    "lift_expired_sanctions",
    "open_moderator_case",
    "record_automatic_findings",
    "record_system_violation",
    "release_report",
    "rescan_content",
    "update_rule",
]
