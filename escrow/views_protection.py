"""Thin views for escrow protection: deal chat (htmx polling, works without JS),
disputes and recovery claims, refunds of watched deals, reviews, the seller's
public record, and the permission-checked files kept as evidence."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from accounts.models import Standing
from kernel.private_files import private_file_response
from kernel.ratelimit import consume, too_many_requests

from . import selectors, services
from .deal_page import chat_context, deal_button, render_deal_page
from .exceptions import EscrowError
from .forms import AnswerForm, DisputeForm, MessageForm, ReplyForm, ReviewForm
from .models import Deal, DealMessage, Dispute, DisputeEvidence, Review

State = Deal.State


def _is_htmx(request) -> bool:
    return request.headers.get("HX-Request") == "true"


@never_cache
@login_required
def chat(request, pk: int):
    """GET: the message list (the htmx poll swaps it in). POST: send a message —
    rate-limited; with htmx the list comes back, without JS a redirect."""
    deal = selectors.get_deal_for_user(request.user, pk)
    form = None
    if request.method == "POST":
        if not consume(request, "message"):
            return too_many_requests(request)
        form = MessageForm(request.POST, request.FILES)
        if form.is_valid():
            try:
                services.post_message(
                    deal_id=deal.pk,
                    author=request.user,
                    body=form.cleaned_data["body"],
                    attachment=form.cleaned_data["attachment"],
                    now=timezone.now(),
                )
                form = None
                if not _is_htmx(request):
                    return redirect(reverse("escrow:detail", args=[pk]) + "#chat")
            except EscrowError as exc:
                form.add_error(None, exc.message)
        # Without JS a refused message comes back on the chat page with its errors
        # beside the fields and the typed text kept (files never are).
    template = "escrow/_chat.html" if _is_htmx(request) else "escrow/chat_page.html"
    return render(request, template, chat_context(request, deal, form))


@never_cache
@login_required
def message_attachment(request, pk: int, message_id: int):
    deal = selectors.get_deal_for_evidence(request.user, pk, permission="escrow.view_dealmessage")
    message = get_object_or_404(DealMessage, pk=message_id, deal=deal)
    if not message.attachment or (message.removed_at and deal.buyer_id == request.user.pk):
        raise Http404
    return private_file_response(message.attachment.name, download_name=None)


@never_cache
@login_required
def evidence_file(request, pk: int, evidence_id: int):
    deal = selectors.get_deal_for_evidence(request.user, pk, permission="escrow.view_dispute")
    item = get_object_or_404(DisputeEvidence, pk=evidence_id, dispute__deal=deal)
    return private_file_response(item.file.name)


@login_required
def open_case(request, pk: int, kind: str):
    """Open a dispute (buyer or seller) or a recovery claim (buyer)."""
    deal = selectors.get_deal_for_user(request.user, pk)
    kind = Dispute.Kind.RECOVERY if kind == "recovery" else Dispute.Kind.DISPUTE
    role = "buyer" if deal.buyer_id == request.user.pk else "seller"
    form = DisputeForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.open_dispute(
                deal_id=deal.pk,
                user=request.user,
                statement=form.cleaned_data["statement"],
                evidence=form.cleaned_data["evidence"],
                kind=kind,
                now=timezone.now(),
            )
            messages.success(
                request,
                _("Your case was opened. The other party answers, then a moderator decides."),
            )
            return redirect("escrow:detail", pk)
        except EscrowError as exc:
            form.add_error(None, exc.message)
    window = services.dispute_window_open(deal, role, now=timezone.now(), kind=kind)
    return render(
        request,
        "escrow/dispute_form.html",
        {"deal": deal, "form": form, "kind": kind, "window_open": window, "role": role},
    )


@login_required
def answer_case(request, pk: int):
    deal = selectors.get_deal_for_user(request.user, pk)
    case = services.open_case(deal)
    if case is None:
        return redirect("escrow:detail", pk)
    form = AnswerForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.answer_dispute(
                dispute_id=case.pk,
                user=request.user,
                statement=form.cleaned_data["statement"],
                evidence=form.cleaned_data["evidence"],
                now=timezone.now(),
            )
            messages.success(request, _("Your answer was added. A moderator decides next."))
            return redirect("escrow:detail", pk)
        except EscrowError as exc:
            form.add_error(None, exc.message)
    return render(request, "escrow/answer_form.html", {"deal": deal, "case": case, "form": form})


@login_required
@require_POST
def request_refund(request, pk: int):
    """The buyer of a watched deal asks for the refund offered to them."""
    return deal_button(
        request,
        pk,
        lambda deal, now: services.refund_watched_deal(
            deal_id=deal.pk, actor=request.user, now=now
        ),
        _("The deal was refunded. Your money is on its way back."),
    )


@login_required
@require_POST
def review(request, pk: int):
    """Publish the buyer's review; on an error the deal page comes back with the
    stars and text as typed and the error beside its field."""
    deal = selectors.get_deal_for_user(request.user, pk)
    form = ReviewForm(request.POST)
    if form.is_valid():
        try:
            services.leave_review(
                deal_id=deal.pk,
                buyer=request.user,
                rating=form.cleaned_data["rating"],
                text=form.cleaned_data["text"],
                now=timezone.now(),
            )
        except EscrowError as exc:
            form.add_error(None, exc.message)
        else:
            messages.success(request, _("Thank you: your review is published."))
            return redirect(reverse("escrow:detail", args=[pk]) + "#review")
    if (
        deal.buyer_id != request.user.pk
        or deal.state != State.RELEASED
        or Review.objects.filter(deal=deal).exists()
    ):
        # No review form on the page any more (e.g. already reviewed): say why.
        errors = form.non_field_errors() or [_("You cannot review this deal.")]
        messages.error(request, errors[0])
        return redirect(reverse("escrow:detail", args=[pk]) + "#review")
    return render_deal_page(request, deal, review_form=form)


@login_required
@require_POST
def review_reply(request, pk: int):
    """The seller's public reply to the review; on an error the text comes back."""
    deal = selectors.get_deal_for_user(request.user, pk)
    form = ReplyForm(request.POST)
    existing = getattr(deal, "review", None) if hasattr(deal, "review") else None
    if existing is None or deal.seller_id != request.user.pk:
        messages.error(request, _("There is no review to reply to."))
        return redirect(reverse("escrow:detail", args=[pk]) + "#review")
    if form.is_valid():
        try:
            services.reply_to_review(
                review_id=existing.pk,
                seller=request.user,
                text=form.cleaned_data["text"],
                now=timezone.now(),
            )
        except EscrowError as exc:
            form.add_error("text", exc.message)
        else:
            messages.success(request, _("Your reply is published."))
            return redirect(reverse("escrow:detail", args=[pk]) + "#review")
    if existing.replied_at is not None:
        messages.error(request, " ".join(form.errors.get("text", [])) or _("Write your reply."))
        return redirect(reverse("escrow:detail", args=[pk]) + "#review")
    return render_deal_page(request, deal, reply_form=form)


def seller_profile(request, user_id: int):
    """A seller's public record: standing (rating, dispute rate, median time to
    release) and reviews. Only sellers have one (404 for everyone else)."""
    seller = selectors.get_public_seller(user_id)
    standing = Standing.objects.filter(user=seller).first()
    return render(
        request,
        "escrow/seller_profile.html",
        {
            "seller": seller,
            "standing": standing,
            "reviews": list(selectors.reviews_of_seller(seller.pk)),
        },
    )
