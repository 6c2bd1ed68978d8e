"""Disputes: the moderator's case screen and decision, and the deal chat as
written (evidence)."""

from __future__ import annotations

import copy

from django.contrib import admin, messages
from django.http import HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.urls import path, reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from kernel.http import get_by_pk_or_404

from .. import ledger, services
from ..exceptions import EscrowError, SplitDoesNotAddUp
from ..forms import DecisionForm
from ..models import (
    Chargeback,
    CredentialView,
    Deal,
    DealEvent,
    DealMessage,
    Dispute,
    LedgerEntry,
)
from .common import ReadOnlyAdmin


@admin.register(Dispute)
class DisputeAdmin(ReadOnlyAdmin):
    """The moderator's dispute screen: timeline, chat, handover log, evidence and
    both statements side by side, and the decision (release, refund, split) that
    goes through ``services.decide_dispute``."""

    shown_as = {"from_state": DealEvent.state_name}

    list_display = ("id", "deal", "kind", "status", "opener_role", "response_due_at", "created_at")
    list_filter = ("status", "kind")
    search_fields = ("=id", "=deal__id", "deal__buyer__email", "deal__seller__email")
    list_select_related = ("deal",)
    change_form_template = "admin/escrow/dispute/change_form.html"
    readonly_fields = [f.name for f in Dispute._meta.fields]

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
