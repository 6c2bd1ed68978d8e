"""Records moderators read: the audit log and the e-mail outbox."""

from __future__ import annotations

from django.contrib import admin
from django.contrib.contenttypes.prefetch import GenericPrefetch
from django.utils.translation import gettext_lazy as _

from .. import audit_display
from ..models import (
    AuditEntry,
    Email,
)
from .common import ReadOnlyAdmin


class EmailKindFilter(admin.SimpleListFilter):
    title = _("kind")
    parameter_name = "kind"

    def lookups(self, request, model_admin):
        codes = model_admin.get_queryset(request).order_by().values_list("kind", flat=True)
        return sorted(
            ((c, audit_display.email_kind_label(c)) for c in set(codes) if c),
            key=lambda c: c[1],
        )

    def queryset(self, request, queryset):
        return queryset.filter(kind=self.value()) if self.value() else queryset


def _target_querysets():
    """Querysets for the audit log's targets whose names read related rows (by app
    label: accounts does not import the apps that audit through it)."""
    from django.apps import apps

    wanted = {
        "governance.Report": (["rule"], ["subject"]),
        "governance.Violation": (["rule", "rule_version", "user"], []),
        "governance.Sanction": (["user"], []),
        "governance.Appeal": (["violation__rule"], []),
    }
    querysets = []
    for label, (related, prefetched) in wanted.items():
        try:
            model = apps.get_model(label)
        except LookupError:
            continue
        querysets.append(model.objects.select_related(*related).prefetch_related(*prefetched))
    return querysets


class AuditActionFilter(admin.SimpleListFilter):
    """The actions recorded so far, by name (the rows keep the codes)."""

    title = _("action")
    parameter_name = "action"

    def lookups(self, request, model_admin):
        codes = AuditEntry.objects.order_by("action").values_list("action", flat=True).distinct()
        return sorted(((c, audit_display.action_label(c)) for c in codes), key=lambda c: c[1])

    def queryset(self, request, queryset):
        return queryset.filter(action=self.value()) if self.value() else queryset


@admin.register(AuditEntry)
class AuditEntryAdmin(ReadOnlyAdmin):
    list_display = ["created_at", "actor", "action_name", "target_name", "reason"]
    # Only the kinds of record the log names (not every model of the site).
    list_filter = [AuditActionFilter, ("target_type", admin.RelatedOnlyFieldListFilter)]
    search_fields = ["action", "target_repr", "reason", "actor__email"]
    date_hierarchy = "created_at"
    list_select_related = ["actor"]
    fields = ["created_at", "actor", "action_name", "target_name", "reason", "changes"]
    readonly_fields = fields
    system_text_fields = ("reason",)  # "approved" when the moderator wrote none

    def get_queryset(self, request):
        # The targets, one query per kind, with what their names read (a case's
        # rule and subject, a violation's rule and user): no query per row.
        return (
            super()
            .get_queryset(request)
            .prefetch_related(GenericPrefetch("target", _target_querysets()))
        )

    @admin.display(description=_("target"), ordering="target_repr")
    def target_name(self, obj):
        # The record as it names itself now, in the reader's language; what was
        # written down at the time when the record is gone.
        return str(obj.target) if obj.target is not None else obj.target_repr

    @admin.display(description=_("action"), ordering="action")
    def action_name(self, obj):
        return audit_display.action_label(obj.action)

    @admin.display(description=_("changes"))
    def changes(self, obj):
        return audit_display.changes_html(obj)


@admin.register(Email)
class EmailAdmin(ReadOnlyAdmin):
    """The outbox's e-mails other than deal notifications, for operators: what is
    waiting, sent or given up (the mail server's last refusal is in the logs).
    Ready-made text is not shown (allauth's carry sign-in links)."""

    list_display = ["created_at", "kind_name", "recipient", "email_state", "email_attempts"]
    list_filter = ["email_state", EmailKindFilter]
    search_fields = ["to", "user__email", "kind"]
    date_hierarchy = "created_at"
    list_select_related = ["user"]
    fields = [
        "created_at",
        "kind_name",
        "user",
        "to",
        "subject",
        "parameters",
        "email_state",
        "email_attempts",
        "email_due_at",
        "emailed_at",
    ]
    readonly_fields = fields

    @admin.display(description=_("kind"), ordering="kind")
    def kind_name(self, obj):
        return audit_display.email_kind_label(obj.kind)

    @admin.display(description=_("parameters"))
    def parameters(self, obj):
        return audit_display.values_html(obj.params)

    @admin.display(description=_("recipient address"))
    def recipient(self, obj):
        return obj.user.email if obj.user_id else obj.to
