"""What the escrow screens share: provider and country names, a run's totals as
money, the provider and event-type filters, read-only records."""

from __future__ import annotations

from django.contrib import admin
from django.utils.html import format_html_join
from django.utils.translation import gettext_lazy as _

from kernel import punctuation
from kernel.admin_display import ReadOnlyAdmin as BaseReadOnlyAdmin
from kernel.money import format_money

from ..countries import PAYOUT_COUNTRIES
from ..models.webhooks import event_type_name

#: The payment providers by name (the rows keep the gateway's code).
PROVIDERS = {"simulated": _("simulated provider (development)"), "stripe": "Stripe"}


def provider_name(code: str) -> str:
    return str(PROVIDERS.get(code, code))


def country_name(code: str) -> str:
    if not code:
        return "—"
    name = dict(PAYOUT_COUNTRIES).get(code, code)
    return punctuation.bracketed(name, code)


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
        "<div>{}{}{}</div>",
        (
            (
                str(TOTALS.get(k, k)),
                punctuation.colon(),
                format_money(v) if isinstance(v, int) else v,
            )
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


class ReadOnlyAdmin(BaseReadOnlyAdmin):
    """A money or deal record, read only; a provider's code said by its name."""

    shown_as = {"provider": provider_name}
