"""Operators' and moderators' screens for escrow. Money rows are read-only here;
the one write — recording a manual bank payout — goes through
``services.record_manual_payout`` (audited)."""

from __future__ import annotations

import copy

from django.contrib import admin, messages
from django.db.models import Sum
from django.http import HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html_join
from django.utils.translation import gettext_lazy as _

from kernel.admin_display import ReadableValuesMixin
from kernel.http import get_by_pk_or_404
from kernel.money import format_money

from . import ledger, services
from .countries import PAYOUT_COUNTRIES
from .events import label_for
from .exceptions import EscrowError, SplitDoesNotAddUp
from .forms import DecisionForm, WatchForm
from .models import (
    Chargeback,
    CredentialView,
    Deal,
    DealEvent,
    DealMessage,
    Dispute,
    LedgerEntry,
    LedgerTransaction,
    Payment,
    Payout,
    ReconciliationDifference,
    ReconciliationRun,
    Refund,
    SellerPayoutAccount,
    WebhookEvent,
)
from .models.webhooks import event_type_name

#: The payment providers by name (the rows keep the gateway's code).
PROVIDERS = {"simulated": _("simulated provider (development)"), "stripe": "Stripe"}


def provider_name(code: str) -> str:
    return str(PROVIDERS.get(code, code))


def country_name(code: str) -> str:
    return f"{dict(PAYOUT_COUNTRIES).get(code, code)} ({code})" if code else "—"


class ProviderFilter(admin.SimpleListFilter):
    title = _("provider")
    parameter_name = "provider"

    def lookups(self, request, model_admin):
        codes = model_admin.get_queryset(request).order_by().values_list("provider", flat=True)
        return [(c, provider_name(c)) for c in sorted(set(codes)) if c]

    def queryset(self, request, queryset):
        return queryset.filter(provider=self.value()) if self.value() else queryset


#: A reconciliation run's totals (escrow.reconciliation.compare), by name.
TOTALS = {
    "captured": _("captured"),
    "fees": _("processing fees"),
    "refunded": _("refunded"),
    "transferred": _("transferred to sellers"),
    "disputed": _("in chargebacks"),
    "dispute_fees": _("chargeback fees"),
    "balance": _("balance"),
    "provider_cash": _("cash at the provider (our ledger)"),
}


def totals_html(totals) -> str:
    """A run's totals as money lines (minor units of the settlement currency, the
    provider balance's), not JSON."""
    if not isinstance(totals, dict) or not totals:
        return "—"
    return format_html_join(
        "",
        "<div>{}: {}</div>",
        (
            (str(TOTALS.get(k, k)), format_money(v) if isinstance(v, int) else v)
            for k, v in totals.items()
        ),
    )


class EventTypeFilter(admin.SimpleListFilter):
    title = _("type")
    parameter_name = "type"

    def lookups(self, request, model_admin):
        codes = model_admin.get_queryset(request).order_by().values_list("type", flat=True)
        return sorted(((c, event_type_name(c)) for c in set(codes)), key=lambda c: c[1])

    def queryset(self, request, queryset):
        return queryset.filter(type=self.value()) if self.value() else queryset


class ReadOnlyAdmin(ReadableValuesMixin, admin.ModelAdmin):
    shown_as = {"provider": provider_name}

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


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


@admin.register(Payment)
class PaymentAdmin(ReadOnlyAdmin):
    list_display = ("id", "deal", "provider", "provider_ref", "status", "amount", "processing_fee")
    list_filter = ("status", ProviderFilter)
    search_fields = ("provider_ref", "deal__id")
    list_select_related = ("deal",)


@admin.register(Refund)
class RefundAdmin(ReadOnlyAdmin):
    list_display = (
        "id",
        "deal",
        "amount",
        "status",
        "reason",
        "attempts",
        "next_attempt_at",
        "last_error",
    )
    list_filter = ("status",)
    list_select_related = ("deal",)
    system_text_fields = ("reason",)


@admin.register(Payout)
class PayoutAdmin(ReadableValuesMixin, admin.ModelAdmin):
    shown_as = {"provider": provider_name}

    """Failed and manual payouts are filtered here; an operator records a manual
    bank transfer by entering its reference."""

    list_display = (
        "id",
        "deal",
        "seller",
        "amount",
        "currency",
        "rail",
        "status",
        "attempts",
        "last_error",
    )
    list_filter = ("status", "rail")
    search_fields = ("seller__email", "provider_ref", "manual_reference")
    fields = (
        "deal",
        "seller",
        "amount",
        "currency",
        "rail",
        "status",
        "provider_ref",
        "attempts",
        "last_error",
        "paid_at",
        "manual_reference",
    )

    def get_readonly_fields(self, request, obj=None):
        fields = [f for f in self.fields if f != "manual_reference"]
        if obj is None or obj.status not in (Payout.Status.MANUAL, Payout.Status.NEEDS_ATTENTION):
            fields.append("manual_reference")
        return self._readonly(fields)

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return request.user.has_perm("escrow.record_manual_payout")

    def save_model(self, request, obj, form, change):
        reference = form.cleaned_data.get("manual_reference", "")
        if not reference:
            return
        try:
            services.record_manual_payout(
                payout_id=obj.pk, operator=request.user, reference=reference, now=timezone.now()
            )
        except EscrowError as exc:
            messages.error(request, exc.message)


@admin.register(SellerPayoutAccount)
class SellerPayoutAccountAdmin(ReadOnlyAdmin):
    list_display = ("user", "rail", "country", "provider", "payouts_enabled")
    shown_as = {"provider": provider_name, "country": country_name}
    list_filter = ("rail", "payouts_enabled")
    exclude = ("bank_details",)


class LedgerEntryInline(ReadableValuesMixin, admin.TabularInline):
    model = LedgerEntry
    extra = 0
    can_delete = False
    readonly_fields = ("account", "deal", "amount", "currency")

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(LedgerTransaction)
class LedgerTransactionAdmin(ReadOnlyAdmin):
    list_display = ("id", "kind", "reference", "deal", "memo", "created_at")
    list_filter = ("kind",)
    search_fields = ("reference",)
    system_text_fields = ("memo",)
    inlines = [LedgerEntryInline]


@admin.register(WebhookEvent)
class WebhookEventAdmin(ReadOnlyAdmin):
    """Provider events: REFUSED ones (an amount or currency that differs from the
    deal's, an object the provider does not confirm) need an operator; PENDING
    ones wait for the provider and are retried by a job."""

    list_display = ("event_id", "provider", "type", "status", "note", "attempts", "received_at")
    list_filter = ("status", ProviderFilter, EventTypeFilter)
    search_fields = ("event_id", "note")
    system_text_fields = ("note",)
    shown_as = {"provider": provider_name, "type": event_type_name}


# ------------------------------------------------------------------ disputes


@admin.register(Dispute)
class DisputeAdmin(ReadableValuesMixin, admin.ModelAdmin):
    shown_as = {"from_state": DealEvent.state_name}

    """The moderator's dispute screen: timeline, chat, handover log, evidence and
    both statements side by side, and the decision (release, refund, split) that
    goes through ``services.decide_dispute``."""

    list_display = ("id", "deal", "kind", "status", "opener_role", "response_due_at", "created_at")
    list_filter = ("status", "kind")
    search_fields = ("=id", "=deal__id", "deal__buyer__email", "deal__seller__email")
    list_select_related = ("deal",)
    change_form_template = "admin/escrow/dispute/change_form.html"
    readonly_fields = [f.name for f in Dispute._meta.fields]

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def get_urls(self):
        return [
            path(
                "<int:dispute_id>/decide/",
                self.admin_site.admin_view(self.decide_view),
                name="escrow_dispute_decide",
            ),
            path(
                "<int:dispute_id>/message/",
                self.admin_site.admin_view(self.message_view),
                name="escrow_dispute_message",
            ),
        ] + super().get_urls()

    def _case_context(self, request, dispute: Dispute) -> dict:
        deal = Deal.objects.select_related("listing", "buyer", "seller", "payment").get(
            pk=dispute.deal_id
        )
        evidence = list(dispute.evidence.select_related("uploaded_by"))
        return {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "dispute": dispute,
            "deal": deal,
            "events": list(deal.events.select_related("actor")),
            "chat_messages": list(
                DealMessage.objects.filter(deal=deal).select_related("author").order_by("id")
            ),
            "credential_views": list(
                CredentialView.objects.filter(deal=deal)
                .select_related("user")
                .order_by("viewed_at")
            ),
            "opener_evidence": [e for e in evidence if e.role == dispute.opener_role],
            "answer_evidence": [e for e in evidence if e.role != dispute.opener_role],
            "chargebacks": list(Chargeback.objects.filter(deal=deal)),
            "held": ledger.escrow_balance(deal),
            "ledger_entries": list(
                LedgerEntry.objects.filter(deal=deal).select_related("transaction").order_by("id")
            ),
            "other_cases": Dispute.objects.filter(deal=deal).exclude(pk=dispute.pk),
            "can_decide": dispute.is_open and services.is_dispute_moderator(request.user),
            "is_party": request.user.pk in (deal.buyer_id, deal.seller_id),
        }

    def change_view(self, request, object_id, form_url="", extra_context=None):
        dispute = get_by_pk_or_404(Dispute, object_id)
        context = {**self._case_context(request, dispute), **(extra_context or {})}
        context.setdefault("decision_form", DecisionForm(initial={"buyer_amount": None}))
        return super().change_view(request, object_id, form_url, context)

    def _case_with_form(self, request, dispute: Dispute, form: DecisionForm):
        """The case screen again with the moderator's typed decision and its errors
        beside the fields (the admin's change view only renders on GET)."""
        as_get = copy.copy(request)
        as_get.method = "GET"
        return self.change_view(as_get, str(dispute.pk), extra_context={"decision_form": form})

    def decide_view(self, request, dispute_id: int):
        dispute = get_object_or_404(Dispute, pk=dispute_id)
        back = reverse("admin:escrow_dispute_change", args=[dispute_id])
        if request.method != "POST":
            return HttpResponseRedirect(back)
        form = DecisionForm(request.POST)
        if not form.is_valid():
            return self._case_with_form(request, dispute, form)
        data = form.cleaned_data
        try:
            services.decide_dispute(
                dispute_id=dispute.pk,
                moderator=request.user,
                outcome=data["outcome"],
                reason=data["reason"],
                buyer_amount=data.get("buyer_amount"),
                seller_amount=data.get("seller_amount"),
                now=timezone.now(),
            )
            self.message_user(request, _("The case was decided."), messages.SUCCESS)
        except SplitDoesNotAddUp as exc:
            form.add_error("buyer_amount", exc.message)
            return self._case_with_form(request, dispute, form)
        except EscrowError as exc:
            # Shown above the case (the form may be gone: e.g. decided meanwhile).
            self.message_user(request, exc.message, messages.ERROR)
            dispute.refresh_from_db()
            return self._case_with_form(request, dispute, form)
        return HttpResponseRedirect(back)

    def message_view(self, request, dispute_id: int):
        dispute = get_object_or_404(Dispute, pk=dispute_id)
        back = reverse("admin:escrow_dispute_change", args=[dispute_id]) + "#chat"
        body = request.POST.get("body", "") if request.method == "POST" else ""
        if body.strip():
            try:
                services.post_message(
                    deal_id=dispute.deal_id, author=request.user, body=body, now=timezone.now()
                )
            except EscrowError as exc:
                self.message_user(request, exc.message, messages.ERROR)
        return HttpResponseRedirect(back)


@admin.register(DealMessage)
class DealMessageAdmin(ReadOnlyAdmin):
    """Messages as written (originals: evidence for moderators)."""

    list_display = ("id", "deal", "author", "author_role", "created_at", "removed_at")
    list_filter = ("author_role",)
    search_fields = ("=deal__id", "body")
    list_select_related = ("deal", "author")
    system_text_fields = ("removed_reason",)


@admin.register(Chargeback)
class ChargebackAdmin(ReadOnlyAdmin):
    list_display = (
        "provider_ref",
        "deal",
        "amount",
        "fee",
        "reason",
        "status",
        "created_at",
        "closed_at",
    )
    list_filter = ("status",)
    list_select_related = ("deal",)
    system_text_fields = ("reason",)


@admin.register(ReconciliationDifference)
class ReconciliationDifferenceAdmin(ReadOnlyAdmin):
    list_display = ("kind", "reference", "ours", "theirs", "detail", "created_at", "resolved_at")
    system_text_fields = ("detail",)
    list_filter = ("kind", ("resolved_at", admin.EmptyFieldListFilter))
    search_fields = ("reference",)


@admin.register(ReconciliationRun)
class ReconciliationRunAdmin(ReadOnlyAdmin):
    list_display = ("started_at", "provider", "differences_found")
    shown_as = {"provider": provider_name, "ours": totals_html, "theirs": totals_html}
