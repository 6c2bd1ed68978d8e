"""What the accounts screens share: read-only records, the review permission."""

from __future__ import annotations

from django.contrib import admin

from kernel.admin_display import ReadableValuesMixin

REVIEW_PERMISSION = "accounts.review_identityverification"


class ReadOnlyAdmin(ReadableValuesMixin, admin.ModelAdmin):
    """Records moderators may read but nobody edits from the admin."""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
