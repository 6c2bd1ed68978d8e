"""The moderators' admin site.

Login goes through allauth (``secure_admin_login``), so the admin gets allauth's
rate limits and MFA prompt. Staff who have not enabled MFA are not let in: they
are sent to set it up first.
"""

from allauth.account.decorators import secure_admin_login
from allauth.mfa.utils import is_mfa_enabled
from django.contrib import admin
from django.shortcuts import render
from django.utils.translation import gettext_lazy as _


class HandoffAdminSite(admin.AdminSite):
    site_header = _("Handoff moderation")
    site_title = _("Handoff moderation")
    index_title = _("Queues and records")

    def has_permission(self, request) -> bool:
        user = request.user
        return bool(super().has_permission(request) and is_mfa_enabled(user))

    def login(self, request, extra_context=None):
        user = request.user
        if user.is_authenticated and user.is_active and user.is_staff and not is_mfa_enabled(user):
            return render(request, "admin/mfa_required.html", status=403)
        return secure_admin_login(super().login)(request, extra_context)
