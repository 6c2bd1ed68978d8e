"""Money records: payments, refunds, payouts (an operator records a manual bank
payout through ``services.record_manual_payout``, audited), payout accounts, the
ledger, provider events, chargebacks and reconciliation. Read-only otherwise."""

from __future__ import annotations

from django.contrib import admin, messages
from django.utils import timezone

from kernel.admin_display import ReadableValuesMixin

from .. import services
from ..exceptions import EscrowError
from ..models import (
    Chargeback,
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
from ..models.webhooks import event_type_name
from .common import (
    EventTypeFilter,
    ProviderFilter,
    ReadOnlyAdmin,
    country_name,
    provider_name,
    totals_html,
)


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
    """Failed and manual payouts are filtered here; an operator records a manual
    bank transfer by entering its reference."""

    shown_as = {"provider": provider_name}

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
