"""Members: the user screen, their standing, their second factors."""

from __future__ import annotations

from allauth.mfa.models import Authenticator
from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.urls import path, reverse
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from kernel.money import short_duration

from .. import services
from ..forms import AdminUserChangeForm, ReasonForm
from ..models import (
    Standing,
    User,
)
from .common import ReadOnlyAdmin, reason_action


@admin.register(User)
class UserAdmin(DjangoUserAdmin):
    ordering = ["-date_joined"]
    list_display = [
        "email",
        "display_name",
        "verification_status",
        "is_minor",
        "is_staff",
        "is_active",
        "date_joined",
    ]
    list_filter = ["verification_status", "is_minor", "is_staff", "is_active", "groups"]
    search_fields = ["email", "display_name"]
    readonly_fields = [
        "date_joined",
        "last_login",
        "verification_status",
        "verified_until",
        "is_minor",
        "minor_marked_at",
    ]
    fieldsets = [
        (None, {"fields": ["email", "password", "display_name"]}),
        (
            _("Real-name verification"),
            {"fields": ["verification_status", "verified_until", "is_minor", "minor_marked_at"]},
        ),
        (_("Permissions"), {"fields": ["is_active", "is_staff", "is_superuser", "groups"]}),
        (_("Dates"), {"fields": ["date_joined", "last_login"]}),
    ]
    add_fieldsets = [(None, {"classes": ["wide"], "fields": ["email", "password1", "password2"]})]
    change_form_template = "admin/accounts/user/change_form.html"
    form = AdminUserChangeForm

    def get_urls(self):
        return [
            path(
                "<int:user_id>/lift-minor/",
                self.admin_site.admin_view(self.lift_minor_view),
                name="accounts_user_lift_minor",
            ),
            *super().get_urls(),
        ]

    def render_change_form(self, request, context, *args, **kwargs):
        context["can_lift_minor"] = request.user.has_perm("accounts.lift_minor_mark")
        context["reason_form"] = ReasonForm()
        return super().render_change_form(request, context, *args, **kwargs)

    def lift_minor_view(self, request, user_id: int):
        return reason_action(
            request,
            permission="accounts.lift_minor_mark",
            act=lambda reason: services.lift_minor_mark(
                user_id=user_id, actor=request.user, reason=reason
            ),
            missing=User.DoesNotExist,
            no_reason=gettext("Give a reason for lifting the minor mark."),
            done=gettext("The minor mark was lifted."),
            back=reverse("admin:accounts_user_change", args=[user_id]),
        )


@admin.register(Standing)
class StandingAdmin(ReadOnlyAdmin):
    list_display = ["user", "completed_sales", "completed_purchases", "rating_count", "disputes"]
    search_fields = ["user__email"]
    list_select_related = ["user"]
    # A time in seconds as the reader says a duration (2天3小时).
    shown_as = {"median_release_seconds": lambda s: "—" if s is None else short_duration(s)}


# allauth registers its second factors with every field, the secrets in an
# editable box: ours lists them (who, which kind, when used) and can delete one
# for a member who lost their device; it never shows nor edits the secrets.
admin.site.unregister(Authenticator)


@admin.register(Authenticator)
class AuthenticatorAdmin(admin.ModelAdmin):
    list_display = ("user", "type", "created_at", "last_used_at")
    list_filter = ("type",)
    search_fields = ("user__email",)
    list_select_related = ("user",)
    fields = ("user", "type", "created_at", "last_used_at")
    readonly_fields = fields

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False
