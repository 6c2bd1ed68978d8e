"""Deals: the list, a deal's timeline, the moderator watch (refund or end it) and
the operators' page."""

from __future__ import annotations

from django.contrib import admin, messages
from django.db.models import Sum
from django.http import HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from kernel.admin_display import ReadableValuesMixin

from .. import ledger, services
from ..events import label_for
from ..exceptions import EscrowError
from ..forms import WatchForm
from ..models import (
    Deal,
    DealEvent,
    LedgerEntry,
    Payout,
    ReconciliationDifference,
    ReconciliationRun,
    Refund,
    WebhookEvent,
)
from .common import ReadOnlyAdmin, provider_name, totals_html


class DealEventInline(ReadableValuesMixin, admin.TabularInline):
    model = DealEvent
    system_text_fields = ("reason",)
    extra = 0
    can_delete = False
    fields = ("created_at", "from_state_name", "to_state_name", "what", "actor", "reason", "due_at")
    readonly_fields = fields

    @admin.display(description=_("from state"))
    def from_state_name(self, event) -> str:
        return event.state_name(event.from_state)

    @admin.display(description=_("to state"))
    def to_state_name(self, event) -> str:
        return event.state_name(event.to_state)

    @admin.display(description=_("what happened"))
    def what(self, event) -> str:
        # The timeline's wording, as the parties read it; the code stays in the row.
        return label_for(event.kind)

    def has_add_permission(self, request, obj=None):
        return False


def _trial_balance() -> list[tuple[str, int, str]]:
    """(account's name, balance, currency) per account and currency: sums in one
    currency only, so each reads as money."""
    rows = (
        LedgerEntry.objects.values("account", "currency")
        .annotate(balance=Sum("amount"))
        .order_by("account", "currency")
    )
    names = dict(ledger.Account.choices)
    return [(names.get(r["account"], r["account"]), r["balance"], r["currency"]) for r in rows]


class WatchedFilter(admin.SimpleListFilter):
    title = _("moderator watch")
    parameter_name = "watched"

    def lookups(self, request, model_admin):
        return [("yes", _("Under watch"))]

    def queryset(self, request, queryset):
        if self.value() == "yes":
            return queryset.filter(watched_since__isnull=False)
        return queryset


@admin.register(Deal)
class DealAdmin(ReadOnlyAdmin):
    list_display = (
        "id",
        "listing",
        "buyer",
        "seller",
        "state",
        "total",
        "currency",
        "due_at",
        "watched_since",
    )
    list_filter = ("state", WatchedFilter)
    change_form_template = "admin/escrow/deal/change_form.html"
    change_list_template = "admin/escrow/deal/change_list.html"

    def get_urls(self):
        return [
            path(
                "<int:deal_id>/watch/<str:action>/",
                self.admin_site.admin_view(self.watch_view),
                name="escrow_deal_watch",
            ),
            path(
                "operations/",
                self.admin_site.admin_view(self.operations_view),
                name="escrow_operations",
            ),
        ] + super().get_urls()

    def watch_view(self, request, deal_id: int, action: str):
        """A moderator refunds a watched deal, or ends the watch (reason required)."""
        deal = get_object_or_404(Deal, pk=deal_id)
        back = reverse("admin:escrow_deal_change", args=[deal_id])
        if action not in ("refund", "end") or not request.user.has_perm("escrow.watch_deal"):
            return HttpResponseRedirect(back)
        form = WatchForm(request.POST or None)
        if request.method == "POST" and form.is_valid():
            try:
                if action == "refund":
                    services.refund_watched_deal(
                        deal_id=deal.pk,
                        actor=request.user,
                        reason=form.cleaned_data["reason"],
                        now=timezone.now(),
                    )
                    self.message_user(request, _("The buyer is being refunded."), messages.SUCCESS)
                else:
                    services.end_deal_watch(
                        deal_id=deal.pk,
                        moderator=request.user,
                        reason=form.cleaned_data["reason"],
                        now=timezone.now(),
                    )
                    self.message_user(request, _("The watch ended."), messages.SUCCESS)
                return HttpResponseRedirect(back)
            except EscrowError as exc:
                form.add_error(None, exc.message)
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "title": _("Refund the buyer") if action == "refund" else _("End the watch"),
            "deal": deal,
            "form": form,
        }
        return TemplateResponse(request, "admin/escrow/deal/watch.html", context)

    def operations_view(self, request):
        """Operators' page: failed payouts, refunds needing attention, open
        reconciliation differences, the last reconciliation runs."""
        if not request.user.has_perm("escrow.view_payout"):
            return HttpResponseRedirect(reverse("admin:index"))
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "title": _("Escrow operations"),
            "failed_payouts": Payout.objects.filter(
                status__in=[Payout.Status.FAILED, Payout.Status.NEEDS_ATTENTION]
            ).select_related("deal", "seller")[:100],
            "held_payouts": Payout.objects.filter(status=Payout.Status.HELD).select_related(
                "deal", "seller"
            )[:100],
            "failed_refunds": Refund.objects.filter(
                status__in=[Refund.Status.FAILED, Refund.Status.NEEDS_ATTENTION]
            ).select_related("deal")[:100],
            "differences": ReconciliationDifference.objects.filter(
                resolved_at__isnull=True
            ).select_related("run")[:200],
            # Provider events not applied: refused (they contradict the deal or the
            # provider) or still waiting for the provider's answer.
            "webhook_events": WebhookEvent.objects.filter(
                status__in=[WebhookEvent.Status.REFUSED, WebhookEvent.Status.PENDING]
            ).order_by("-received_at")[:100],
            "runs": [
                (run, provider_name(run.provider), totals_html(run.theirs))
                for run in ReconciliationRun.objects.all()[:10]
            ],
            "trial_balance": _trial_balance(),
        }
        return TemplateResponse(request, "admin/escrow/operations.html", context)

    def change_view(self, request, object_id, form_url="", extra_context=None):
        extra_context = {
            **(extra_context or {}),
            "can_watch": request.user.has_perm("escrow.watch_deal"),
        }
        return super().change_view(request, object_id, form_url, extra_context)

    search_fields = ("id", "listing__title", "buyer__email", "seller__email")
    list_select_related = ("listing", "buyer", "seller")
    inlines = [DealEventInline]
    exclude = ("policy_note",)
    readonly_fields = ("policy_note_shown",)
    system_text_fields = ("watch_reason",)

    @admin.display(description=_("transfer policy acknowledged"))
    def policy_note_shown(self, obj):
        return obj.policy_note
