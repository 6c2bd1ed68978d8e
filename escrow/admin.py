"""Operators' and moderators' screens for escrow. Money rows are read-only here;
the one write — recording a manual bank payout — goes through
``services.record_manual_payout`` (audited)."""

from __future__ import annotations

from django.contrib import admin, messages
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from . import services
from .exceptions import EscrowError
from .models import (
    Deal,
    DealEvent,
    LedgerEntry,
    LedgerTransaction,
    Payment,
    Payout,
    Refund,
    SellerPayoutAccount,
    WebhookEvent,
)


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class DealEventInline(admin.TabularInline):
    model = DealEvent
    extra = 0
    can_delete = False
    fields = ("created_at", "from_state", "to_state", "kind", "actor", "reason", "due_at")
    readonly_fields = fields

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Deal)
class DealAdmin(ReadOnlyAdmin):
    list_display = ("id", "listing", "buyer", "seller", "state", "total", "currency", "due_at")
    list_filter = ("state",)
    search_fields = ("id", "listing__title", "buyer__email", "seller__email")
    list_select_related = ("listing", "buyer", "seller")
    inlines = [DealEventInline]
    exclude = ("policy_note",)
    readonly_fields = ("policy_note_shown",)

    @admin.display(description=_("transfer policy acknowledged"))
    def policy_note_shown(self, obj):
        return obj.policy_note


@admin.register(Payment)
class PaymentAdmin(ReadOnlyAdmin):
    list_display = ("id", "deal", "provider", "provider_ref", "status", "amount", "processing_fee")
    list_filter = ("status", "provider")
    search_fields = ("provider_ref", "deal__id")


@admin.register(Refund)
class RefundAdmin(ReadOnlyAdmin):
    list_display = ("id", "deal", "amount", "status", "attempts", "next_attempt_at", "last_error")
    list_filter = ("status",)


@admin.register(Payout)
class PayoutAdmin(admin.ModelAdmin):
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
        return fields

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
    list_filter = ("rail", "payouts_enabled")
    exclude = ("bank_details",)


class LedgerEntryInline(admin.TabularInline):
    model = LedgerEntry
    extra = 0
    can_delete = False
    readonly_fields = ("account", "deal", "amount", "currency")

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(LedgerTransaction)
class LedgerTransactionAdmin(ReadOnlyAdmin):
    list_display = ("id", "kind", "reference", "deal", "created_at")
    list_filter = ("kind",)
    search_fields = ("reference",)
    inlines = [LedgerEntryInline]


@admin.register(WebhookEvent)
class WebhookEventAdmin(ReadOnlyAdmin):
    list_display = ("event_id", "provider", "type", "received_at")
    list_filter = ("provider", "type")
    search_fields = ("event_id",)
