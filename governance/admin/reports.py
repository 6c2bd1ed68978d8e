"""The report queue: claim, evidence, confirm or dismiss, bulk actions, freeze."""

from __future__ import annotations

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.formats import date_format
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext_lazy as _

from kernel import admin_filters as kernel_filters
from kernel import punctuation
from kernel.admin_display import ReadOnlyAdmin, when

from .. import points as pts
from .. import services
from ..detectors import mask_contact_details
from ..exceptions import GovernanceError
from ..forms import DecisionForm
from ..models import (
    Report,
    Sanction,
    Violation,
)
from ..models.reports import evidence_facts
from ..registry import text_of
from ..services.sanctions import deductions_by_user

DECISIONS = {
    "confirm": _("Confirm: record a violation"),
    "dismiss": _("Dismiss"),
    "freeze": _("Freeze the user until the decision (S4 cases)"),
}


class AgeFilter(kernel_filters.AgeFilter):
    title = _("age")


class PendingFilter(admin.SimpleListFilter):
    """The queue opens on pending cases; "all" shows decided ones too."""

    title = _("queue")
    parameter_name = "queue"

    def lookups(self, request, model_admin):
        return [
            ("pending", _("Pending (open or claimed)")),
            ("mine", _("Claimed by me")),
            ("all", _("All")),
        ]

    def choices(self, changelist):
        value = self.value() or "pending"
        for lookup, title in self.lookup_choices:
            yield {
                "selected": value == lookup,
                "query_string": changelist.get_query_string({self.parameter_name: lookup}),
                "display": title,
            }

    def queryset(self, request, queryset):
        value = self.value() or "pending"
        if value == "pending":
            return queryset.filter(status__in=Report.PENDING)
        if value == "mine":
            return queryset.filter(status=Report.Status.CLAIMED, claimed_by=request.user)
        return queryset


#: What each kind of evidence is, for the moderator (the rows keep the codes the
#: detectors and services write; a kind not listed here shows its code).
EVIDENCE_KINDS = {
    "email": _("e-mail address"),
    "link": _("link"),
    "wechat": _("WeChat ID"),
    "telegram": _("Telegram"),
    "messenger": _("messaging app"),
    "phone": _("phone number"),
    "qq": _("QQ number"),
    "handle": _("account handle"),
    "invite": _("invitation to contact off the platform"),
    "bank_card": _("bank card number"),
    "off_platform": _("deal off the platform"),
    "bait": _("engagement bait"),
    "claim": _("prohibited claim"),
    "system_event": _("recorded by the system"),
}


def _evidence_kind(item: dict) -> str:
    kind = item.get("kind", "")
    return str(EVIDENCE_KINDS.get(kind, kind))


def _when(at: str | None) -> str:
    """An evidence time (ISO 8601) as the admin shows dates, in the local zone."""
    moment = parse_datetime(at) if at else None
    if moment is None:
        return at or ""
    return date_format(timezone.localtime(moment), "DATETIME_FORMAT")


def _evidence_html(report: Report):
    rows = []
    for item in report.evidence or []:
        if item.get("excerpt"):
            rows.append(
                (
                    _evidence_kind(item),
                    item["excerpt"],
                    f"{round(float(item.get('confidence', 0)) * 100)}%",
                )
            )
        elif item.get("facts"):
            rows.append((_evidence_kind(item), evidence_facts(item), _when(item.get("at"))))
    if not rows:
        return "—"
    return format_html(
        "<table><tr><th>{}</th><th>{}</th><th></th></tr>{}</table>",
        _("kind"),
        _("evidence"),
        format_html_join("", "<tr><td>{}</td><td><mark>{}</mark></td><td>{}</td></tr>", rows),
    )


def _history_html(report: Report):
    return _histories([report]).get(report.accused_id, "—")


def _histories(reports) -> dict:
    """The accused's record beside each case (points lost, measures in force, the
    last 10 violations), by user id: a few queries for any number of cases."""
    users = {r.accused_id for r in reports if r.accused_id is not None}
    if not users:
        return {}
    now = timezone.now()
    lost = deductions_by_user(users)
    past: dict[int, list] = {pk: [] for pk in users}
    for v in (
        Violation.objects.filter(user_id__in=users).select_related("rule").order_by("-decided_at")
    ):
        if len(past[v.user_id]) < 10:
            past[v.user_id].append(v)
    in_force: dict[int, list] = {pk: [] for pk in users}
    for s in Sanction.objects.filter(user_id__in=users, status="active"):
        if s.in_force(now):
            in_force[s.user_id].append(s.get_kind_display())
    return {
        pk: format_html(
            "<p>{}{}<strong>{}</strong> / 12 · {}{}{}</p><ul>{}</ul>",
            _("points lost"),
            punctuation.colon(),
            pts.format_half(pts.points_lost(lost[pk], now)),
            _("in force"),
            punctuation.colon(),
            punctuation.list_separator().join(str(k) for k in in_force[pk]) or "—",
            format_html_join(
                "",
                "<li>{} {} — {}</li>",
                (
                    (
                        when(timezone.localtime(v.decided_at).date()),
                        v.rule.code,
                        punctuation.bracketed(
                            v.get_status_display(), pts.format_half(v.points_half)
                        ),
                    )
                    for v in past[pk]
                ),
            )
            or format_html("<li>{}</li>", _("no earlier violations")),
        )
        for pk in users
    }


def _subject_text(report: Report):
    subject = report.subject
    if subject is None:
        return _("(the subject no longer exists)")
    text = text_of(subject)
    return format_html("<pre class='governance-text'>{}</pre>", text) if text else "—"


@admin.register(Report)
class ReportAdmin(ReadOnlyAdmin):
    list_display = [
        "id",
        "created_at",
        "rule_code",
        "rule_category",
        "severity",
        "subject_name",
        "accused",
        "source",
        "confidence",
        "status",
        "claimed_by",
    ]
    list_display_links = ["id", "subject_name"]
    list_filter = [PendingFilter, "status", "source", "rule__category", "rule__severity", AgeFilter]
    search_fields = ["subject_repr", "details", "accused__email", "rule__code"]
    list_select_related = ["rule", "accused", "claimed_by"]

    def get_queryset(self, request):
        # The subjects, one query per kind, for their names in the list.
        return super().get_queryset(request).prefetch_related("subject")

    ordering = ["created_at", "id"]
    list_per_page = 50
    actions = ["claim_selected", "release_selected", "confirm_selected", "dismiss_selected"]
    readonly_fields = [
        "created_at",
        "source",
        "reporter",
        "subject_link",
        "accused",
        "rule",
        "details_text",
        "confidence",
        "evidence_view",
        "subject_text",
        "accused_history",
        "status",
        "claimed_by",
        "claimed_at",
        "decided_by",
        "decided_at",
        "decision_reason",
    ]
    fieldsets = [
        (
            _("Case"),
            {
                "fields": [
                    "created_at",
                    "source",
                    "reporter",
                    "rule",
                    "status",
                    "claimed_by",
                    "claimed_at",
                ]
            },
        ),
        (
            _("Evidence"),
            {
                "fields": [
                    "subject_link",
                    "accused",
                    "details_text",
                    "confidence",
                    "evidence_view",
                    "subject_text",
                    "accused_history",
                ]
            },
        ),
        (_("Decision"), {"fields": ["decided_by", "decided_at", "decision_reason"]}),
    ]
    change_form_template = "admin/governance/report/change_form.html"

    # -- permissions: read-only records (ReadOnlyAdmin); decisions through actions only
    def has_decide_permission(self, request):
        return request.user.has_perm("governance.decide_report")

    # -- columns
    @admin.display(description=_("rule"), ordering="rule__code")
    def rule_code(self, obj):
        return obj.rule.code

    @admin.display(description=_("category"), ordering="rule__category")
    def rule_category(self, obj):
        return obj.rule.get_category_display()

    @admin.display(description=_("severity"), ordering="rule__severity")
    def severity(self, obj):
        return obj.rule.get_severity_display()

    @admin.display(description=_("subject"), ordering="subject_repr")
    def subject_name(self, obj):
        return obj.subject_name

    @admin.display(description=_("subject"))
    def subject_link(self, obj):
        return format_html(
            "{} <span class='quiet'>{}{} #{}{}</span>",
            obj.subject_name,
            punctuation.open_bracket().lstrip(),
            obj.subject_type.name,
            obj.subject_id,
            punctuation.close_bracket(),
        )

    @admin.display(description=_("detector findings / facts"))
    def evidence_view(self, obj):
        return _evidence_html(obj)

    @admin.display(description=_("details"))
    def details_text(self, obj):
        return obj.details_text

    @admin.display(description=_("the subject's text now"))
    def subject_text(self, obj):
        return _subject_text(obj)

    @admin.display(description=_("the reported user's record"))
    def accused_history(self, obj):
        return _history_html(obj)

    # -- single-case decision page (from the change page's buttons)
    def get_urls(self):
        return [
            path(
                "<int:report_id>/decide/<str:decision>/",
                self.admin_site.admin_view(self.decide_view),
                name=f"governance_{self.opts.model_name}_decide",
            ),
            path(
                "<int:report_id>/claim/",
                self.admin_site.admin_view(self.claim_view),
                name="governance_report_claim",
            ),
        ] + super().get_urls()

    def change_view(self, request, object_id, form_url="", extra_context=None):
        extra_context = {**(extra_context or {}), "can_decide": self.has_decide_permission(request)}
        return super().change_view(request, object_id, form_url, extra_context)

    def claim_view(self, request, report_id: int):
        if request.method != "POST" or not self.has_decide_permission(request):
            return HttpResponseRedirect(reverse("admin:governance_report_change", args=[report_id]))
        try:
            services.claim_report(report_id=report_id, moderator=request.user, now=timezone.now())
            self.message_user(request, _("You claimed this case."), messages.SUCCESS)
        except GovernanceError as exc:
            self.message_user(request, exc.message, messages.ERROR)
        return HttpResponseRedirect(reverse("admin:governance_report_change", args=[report_id]))

    def decide_view(self, request, report_id: int, decision: str):
        report = get_object_or_404(Report.objects.select_related("rule", "accused"), pk=report_id)
        if decision not in DECISIONS or not self.has_decide_permission(request):
            return HttpResponseRedirect(reverse("admin:governance_report_change", args=[report_id]))
        if decision == "freeze" and not request.user.has_perm("governance.freeze_user"):
            return HttpResponseRedirect(reverse("admin:governance_report_change", args=[report_id]))
        initial = {"facts": self._default_facts([report])}
        form = DecisionForm(request.POST or None, decision=decision, initial=initial)
        if request.method == "POST" and form.is_valid():
            ok, failed = self._decide([report], request, decision, form.cleaned_data)
            if ok:
                return HttpResponseRedirect(reverse("admin:governance_report_changelist"))
            # Refused (said above the form): the page again, with the facts as typed.
        return self._decision_page(request, [report], decision, form, single=True)

    # -- bulk actions (intermediate page for the reason)
    @admin.action(description=_("Claim the selected cases"), permissions=["decide"])
    def claim_selected(self, request, queryset: QuerySet):
        self._run(
            request,
            self._selected(request, queryset),
            lambda r: services.claim_report(
                report_id=r.pk, moderator=request.user, now=timezone.now()
            ),
            _("claimed"),
        )

    @admin.action(description=_("Release my claim on the selected cases"), permissions=["decide"])
    def release_selected(self, request, queryset: QuerySet):
        self._run(
            request,
            self._selected(request, queryset),
            lambda r: services.release_report(
                report_id=r.pk, moderator=request.user, now=timezone.now()
            ),
            _("released"),
        )

    @admin.action(description=_("Confirm the selected cases…"), permissions=["decide"])
    def confirm_selected(self, request, queryset: QuerySet):
        return self._bulk_decision(request, queryset, "confirm")

    @admin.action(description=_("Dismiss the selected cases…"), permissions=["decide"])
    def dismiss_selected(self, request, queryset: QuerySet):
        return self._bulk_decision(request, queryset, "dismiss")

    def _selected(self, request, queryset) -> list[Report]:
        """The cases the moderator ticked, even those decided meanwhile (the
        queue's filter would silently drop them; the service refuses them with a
        clear message instead)."""
        ids = request.POST.getlist(admin.helpers.ACTION_CHECKBOX_NAME)
        if ids and request.POST.get("select_across") != "1":
            queryset = Report.objects.filter(pk__in=ids)
        # The subjects one query per kind: the page names each case's subject.
        return list(
            queryset.select_related("rule", "accused", "claimed_by")
            .prefetch_related("subject")
            .order_by("pk")
        )

    def _bulk_decision(self, request, queryset, decision):
        reports = self._selected(request, queryset)
        if "apply" in request.POST:
            form = DecisionForm(request.POST, decision=decision)
            if form.is_valid():
                self._decide(reports, request, decision, form.cleaned_data)
                return None
        else:
            form = DecisionForm(decision=decision, initial={"facts": self._default_facts(reports)})
        return self._decision_page(request, reports, decision, form, single=False)

    def _default_facts(self, reports) -> str:
        if len(reports) != 1:
            return ""
        report = reports[0]
        # In the moderator's language where the system wrote them (a system event).
        excerpts = [
            e.get("excerpt") or evidence_facts(e)
            for e in report.evidence or []
            if (e.get("excerpt") or e.get("facts")) and e.get("source") != "report_text"
        ]
        parts = [f"{report.subject_repr}:"]
        parts += [f"“{e}”" for e in excerpts[:5]]
        if report.details and not excerpts:
            # facts go to the accused: the reporter's contact details stay hidden
            parts.append(mask_contact_details(report.details))
        return " ".join(parts)[:2000]

    def _decision_page(self, request, reports, decision, form, *, single: bool):
        histories = _histories(reports)
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "title": DECISIONS[decision],
            "reports": [
                {
                    "report": r,
                    "evidence": _evidence_html(r),
                    "text": _subject_text(r),
                    "history": histories.get(r.accused_id, "—"),
                }
                for r in reports
            ],
            "form": form,
            "decision": decision,
            "single": single,
            "action_name": f"{decision}_selected",
            "action_checkbox_name": admin.helpers.ACTION_CHECKBOX_NAME,
        }
        return TemplateResponse(request, "admin/governance/report/decide.html", context)

    def _decide(self, reports, request, decision, data) -> tuple[int, int]:
        now = timezone.now()

        def act(report):
            if decision == "confirm":
                return services.confirm_report(
                    report_id=report.pk,
                    moderator=request.user,
                    facts=data["facts"],
                    reason=data.get("reason", ""),
                    now=now,
                )
            if decision == "dismiss":
                return services.dismiss_report(
                    report_id=report.pk, moderator=request.user, reason=data["reason"], now=now
                )
            return services.freeze_user(
                report_id=report.pk, moderator=request.user, reason=data["reason"], now=now
            )

        verbs = {"confirm": _("confirmed"), "dismiss": _("dismissed"), "freeze": _("frozen")}
        return self._run(request, reports, act, verbs[decision])

    def _run(self, request, reports, act, verb) -> tuple[int, int]:
        ok = failed = 0
        for report in reports:
            try:
                act(report)
                ok += 1
            except GovernanceError as exc:
                failed += 1
                self.message_user(request, f"#{report.pk}: {exc.message}", messages.ERROR)
        if ok:
            self.message_user(
                request, _("%(n)s case(s) %(verb)s.") % {"n": ok, "verb": verb}, messages.SUCCESS
            )
        return ok, failed
