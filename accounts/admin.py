from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.utils.translation import gettext_lazy as _

from .models import AuditEntry, Standing, User


@admin.register(User)
class UserAdmin(DjangoUserAdmin):
    ordering = ["-date_joined"]
    list_display = ["email", "display_name", "is_staff", "is_active", "date_joined"]
    list_filter = ["is_staff", "is_active", "groups"]
    search_fields = ["email", "display_name"]
    readonly_fields = ["date_joined", "last_login"]
    fieldsets = [
        (None, {"fields": ["email", "password", "display_name"]}),
        (_("Permissions"), {"fields": ["is_active", "is_staff", "is_superuser", "groups"]}),
        (_("Dates"), {"fields": ["date_joined", "last_login"]}),
    ]
    add_fieldsets = [(None, {"classes": ["wide"], "fields": ["email", "password1", "password2"]})]


class ReadOnlyAdmin(admin.ModelAdmin):
    """Records moderators may read but nobody edits from the admin."""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(AuditEntry)
class AuditEntryAdmin(ReadOnlyAdmin):
    list_display = ["created_at", "actor", "action", "target_repr", "reason"]
    list_filter = ["action", "target_type"]
    search_fields = ["action", "target_repr", "reason", "actor__email"]
    date_hierarchy = "created_at"
    list_select_related = ["actor"]


@admin.register(Standing)
class StandingAdmin(ReadOnlyAdmin):
    list_display = ["user", "completed_sales", "completed_purchases", "rating_count", "disputes"]
    search_fields = ["user__email"]
    list_select_related = ["user"]
