"""Appeals, the rules catalogue, and the read-only records of decisions."""

from __future__ import annotations

from django.contrib import admin, messages
from django.http import HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext_lazy as _

from kernel.admin_display import ReadOnlyAdmin, when
from kernel.money import short_duration
from kernel.system_text import system_text

from .. import points as pts
from .. import services
from ..exceptions import GovernanceError, SameModerator
from ..forms import AppealDecisionForm
from ..models import (
    Appeal,
    Rule,
    Sanction,
    StatementOfReasons,
    TransparencySnapshot,
    Violation,
)
from ..models.rules import version_label
from ..policy import capability_names


class AppealsToDecideFilter(admin.SimpleListFilter):
    """``?to_decide=me``: pending appeals this moderator may decide (not those of
    their own decisions: another moderator decides an appeal)."""

    title = _("to decide")
    parameter_name = "to_decide"

    def lookups(self, request, model_admin):
        return [("me", _("by me"))]

    def queryset(self, request, queryset):
        if self.value() == "me":
            return (
                queryset.filter(status="pending")
                .exclude(violation__decided_by=request.user)
                .exclude(user=request.user)
            )
        return queryset


@admin.register(Appeal)
class AppealAdmin(ReadOnlyAdmin):
    list_display = [
        "id",
        "created_at",
        "user",
        "rule_code",
        "original_moderator",
        "status",
        "decided_by",
    ]
    list_filter = [AppealsToDecideFilter, "status", "violation__rule__category"]
    search_fields = ["user__email", "text", "violation__rule__code"]
    list_select_related = ["user", "violation__rule", "violation__decided_by", "decided_by"]
    ordering = ["created_at", "id"]
    readonly_fields = [
        "created_at",
        "user",
        "decision_view",
        "text",
        "files_view",
        "status",
        "decided_by",
        "decided_at",
        "reason",
    ]
    fields = readonly_fields
    change_form_template = "admin/governance/appeal/change_form.html"

    def has_decide_permission(self, request):
        return request.user.has_perm("governance.decide_appeal")

    @admin.display(description=_("rule"))
    def rule_code(self, obj):
        return obj.violation.rule.code

    @admin.display(description=_("decided the case"))
    def original_moderator(self, obj):
        return obj.violation.decided_by

    @admin.display(description=_("the decision appealed"))
    def decision_view(self, obj):
        v = obj.violation
        return format_html(
            "<p><strong>{} {}</strong> — {}</p><p>{}</p><p class='quiet'>{} {} · {} {} · −{}</p>",
            v.rule.code,
            version_label(v.rule_version.version),
            v.rule_version.title,
            v.facts,
            _("decided by"),
            v.decided_by,
            _("on"),
            when(timezone.localtime(v.decided_at).date()),
            pts.format_half(v.points_half),
        )

    @admin.display(description=_("files"))
    def files_view(self, obj):
        files = list(obj.files.all())
        if not files:
            return "—"
        return format_html_join(
            ", ",
            "<a href='{}' target='_blank' rel='noopener'>{}</a>",
            ((reverse("governance:appeal_file", args=[f.pk]), f.original_name) for f in files),
        )

    def get_urls(self):
        return [
            path(
                "<int:appeal_id>/decide/",
                self.admin_site.admin_view(self.decide_view),
                name=f"governance_{self.opts.model_name}_decide",
            )
        ] + super().get_urls()

    @staticmethod
    def _made_the_decision(request, appeal) -> bool:
        return appeal.violation.decided_by_id == request.user.pk

    def change_view(self, request, object_id, form_url="", extra_context=None):
        appeal = (
            Appeal.objects.select_related("violation").filter(pk=object_id).first()
            if str(object_id).isdigit()
            else None
        )
        own = appeal is not None and self._made_the_decision(request, appeal)
        extra_context = {
            **(extra_context or {}),
            "can_decide": self.has_decide_permission(request) and not own,
            "own_decision": own,
        }
        return super().change_view(request, object_id, form_url, extra_context)

    def decide_view(self, request, appeal_id: int):
        appeal = get_object_or_404(
            Appeal.objects.select_related("violation__rule", "user"), pk=appeal_id
        )
        if not self.has_decide_permission(request):
            return HttpResponseRedirect(reverse("admin:governance_appeal_change", args=[appeal_id]))
        if self._made_the_decision(request, appeal):
            # Said before the form is filled in, not after it is submitted.
            self.message_user(request, SameModerator().message, messages.WARNING)
            return HttpResponseRedirect(reverse("admin:governance_appeal_change", args=[appeal_id]))
        form = AppealDecisionForm(request.POST or None)
        if request.method == "POST" and form.is_valid():
            try:
                services.decide_appeal(
                    appeal_id=appeal.pk,
                    moderator=request.user,
                    upheld=form.cleaned_data["decision"] == "uphold",
                    reason=form.cleaned_data["reason"],
                    now=timezone.now(),
                )
            except GovernanceError as exc:
                # Beside the form, which keeps the reason as typed.
                form.add_error(None, exc.message)
            else:
                self.message_user(request, _("The appeal was decided."), messages.SUCCESS)
                return HttpResponseRedirect(reverse("admin:governance_appeal_changelist"))
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "title": _("Decide appeal #%(n)s") % {"n": appeal.pk},
            "appeal": appeal,
            "decision": self.decision_view(appeal),
            "files": self.files_view(appeal),
            "form": form,
        }
        return TemplateResponse(request, "admin/governance/appeal/decide.html", context)


@admin.register(Rule)
class RuleAdmin(admin.ModelAdmin):
    """Staff with the change permission edit rules; a change of substance makes a
    new version (services.update_rule). Moderators only read."""

    list_display = [
        "code",
        "title_en",
        "title_zh",
        "category",
        "severity",
        "points_half",
        "default_sanction",
        "detection",
        "version",
        "is_active",
    ]
    list_filter = ["category", "severity", "detection", "is_active"]
    search_fields = ["code", "title_en", "title_zh"]
    readonly_fields = ["version", "effective_from", "updated_at", "history"]
    fields = [
        "code",
        "category",
        "title_en",
        "title_zh",
        "description_en",
        "description_zh",
        "severity",
        "points_half",
        "default_sanction",
        "detection",
        "is_active",
        "version",
        "effective_from",
        "updated_at",
        "history",
    ]

    @admin.display(description=_("versions"))
    def history(self, obj):
        if obj is None or obj.pk is None:
            return "—"
        return format_html_join(
            "",
            "<p><strong>v{}</strong> {} · {} · {} · {} — {}</p>",
            (
                (
                    v.version,
                    when(v.effective_from),
                    v.get_severity_display(),
                    f"−{pts.format_half(v.points_half)}",  # points, as on the appeal
                    system_text(v.change_note),
                    v.title,
                )
                for v in obj.versions.order_by("-version")
            ),
        )

    def get_readonly_fields(self, request, obj=None):
        return [*self.readonly_fields, "code"] if obj is not None else self.readonly_fields

    def has_delete_permission(self, request, obj=None):
        return False  # retire a rule (is_active) instead: past decisions point at it

    def save_model(self, request, obj, form, change):
        now = timezone.now()
        data = {
            name: form.cleaned_data[name]
            for name in Rule.SUBSTANCE_FIELDS
            if name in form.cleaned_data
        }
        if change:
            saved = services.update_rule(
                editor=request.user,
                rule_id=obj.pk,
                changes=data,
                now=now,
                note="admin edit",
                is_active=form.cleaned_data.get("is_active"),
            )
        else:
            data["effective_from"] = now.date()
            saved = services.create_rule(
                editor=request.user,
                code=form.cleaned_data["code"],
                category=form.cleaned_data["category"],
                fields=data,
                now=now,
                note="created in the admin",
            )
        obj.pk = saved.pk
        obj.refresh_from_db()


@admin.register(Violation)
class ViolationAdmin(ReadOnlyAdmin):
    list_display = [
        "id",
        "decided_at",
        "user",
        "rule",
        "rule_version",
        "points_half",
        "repeat",
        "status",
        "decided_by",
        "automated",
    ]
    list_filter = ["status", "rule__category", "automated", "repeat"]
    search_fields = ["user__email", "rule__code", "facts"]
    list_select_related = ["user", "rule", "rule_version__rule", "decided_by"]
    date_hierarchy = "decided_at"


@admin.register(Sanction)
class SanctionAdmin(ReadOnlyAdmin):
    list_display = [
        "id",
        "starts_at",
        "user",
        "kind",
        "basis",
        "capabilities",
        "ends_at",
        "status",
        "payout_hold_days",
    ]
    list_filter = ["kind", "status", "basis"]
    search_fields = ["user__email"]
    list_select_related = ["user"]
    shown_as = {"capabilities": capability_names}
    system_text_fields = ("end_reason",)


@admin.register(StatementOfReasons)
class StatementOfReasonsAdmin(ReadOnlyAdmin):
    list_display = [
        "id",
        "created_at",
        "user",
        "measure",
        "rule_code",
        "rule_version",
        "automated_detection",
        "emailed_at",
    ]
    list_filter = ["measure", "automated_detection"]
    search_fields = ["user__email", "rule_code"]
    list_select_related = ["user"]
    shown_as = {"scope": capability_names}


@admin.register(TransparencySnapshot)
class TransparencySnapshotAdmin(ReadOnlyAdmin):
    list_display = ["month", "complete", "generated_at"]
    fields = ["month", "complete", "generated_at", "figures"]
    readonly_fields = fields

    @admin.display(description=_("figures"))
    def figures(self, obj):
        """The month's figures in words (the row keeps them as JSON for the
        public report's CSV and JSON downloads)."""
        data = obj.data or {}
        median = data.get("median_seconds_to_decision")
        rows = [
            (_("reports received"), (data.get("reports_received") or {}).get("total", 0)),
            (_("violations confirmed"), (data.get("violations") or {}).get("total", 0)),
            (_("measures taken"), (data.get("sanctions") or {}).get("total", 0)),
            (_("appeals received"), (data.get("appeals") or {}).get("received", 0)),
            (_("decisions reversed"), data.get("reversals", 0)),
            (_("median time to decision"), "—" if median is None else short_duration(median)),
        ]
        by_kind = data.get("sanctions") or {}
        rows += [
            (label, by_kind[code]) for code, label in Sanction.Kind.choices if by_kind.get(code)
        ]
        return format_html(
            "<table>{}</table><p><a href='{}'>{}</a></p>",
            format_html_join("", "<tr><th scope='row'>{}</th><td>{}</td></tr>", rows),
            reverse("governance:transparency"),
            _("Transparency report"),
        )
