"""Moderator screens. Every decision goes through ``accounts.services`` (audited);
nothing here edits a verification or the minor mark directly, and no screen shows
more of a document number than its last 4 characters. One module per capability:
groups (the permission picker), members, records (audit log, e-mails), verification."""

from . import groups, members, records, verification  # noqa: F401  (each registers its screens)
from .common import REVIEW_PERMISSION, ReadOnlyAdmin

__all__ = ["REVIEW_PERMISSION", "ReadOnlyAdmin"]
