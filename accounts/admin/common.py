"""What the accounts screens share: read-only records (``kernel.admin_display``,
the same base every app's record screens use), the review permission."""

from __future__ import annotations

from kernel.admin_display import ReadOnlyAdmin

REVIEW_PERMISSION = "accounts.review_identityverification"

__all__ = ["REVIEW_PERMISSION", "ReadOnlyAdmin"]
