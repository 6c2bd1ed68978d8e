"""The deal page (and its chat part): what the buyer or the seller sees of a deal.
Shared by the views that render it again with a bound form after an error, and by
the page's one-click buttons (``deal_button``)."""

from __future__ import annotations

from django.contrib import messages
from django.shortcuts import redirect, render
from django.utils import timezone

from . import selectors, services
from .exceptions import EscrowError
from .forms import MessageForm, ReplyForm, ReviewForm
from .models import Deal, Review

State = Deal.State


def deal_button(request, pk: int, act, done: str):
    """A one-click button on the deal page (POST): the deal as the user may see it
    (404 otherwise), ``act(deal, now)`` (a service call as the user), then the
    deal page again saying ``done``, or the refusal's message."""
    deal = selectors.get_deal_for_user(request.user, pk)
    try:
        act(deal, timezone.now())
    except EscrowError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, done)
    return redirect("escrow:detail", pk)


def chat_context(request, deal, form=None) -> dict:
    msgs = list(selectors.messages_for_deal(deal))
    return {
        "deal": deal,
        "chat_messages": msgs,
        "message_form": form or MessageForm(),
        "last_message_id": msgs[-1].pk if msgs else 0,
    }


def render_deal_page(request, deal, *, review_form=None, reply_form=None, status=200):
    """The deal page. The review and reply views pass their bound form back on an
    error, so it re-renders with what was typed and each error beside its field."""
    role = "buyer" if deal.buyer_id == request.user.pk else "seller"
    events = list(deal.events.select_related("actor"))
    deal.notifications.filter(user=request.user, read_at__isnull=True).update(
        read_at=timezone.now()
    )
    payout = getattr(deal, "payout", None) if role == "seller" else None
    show_handle = deal.is_funded or deal.state in (State.RELEASED, State.SPLIT)
    now = timezone.now()
    cases = selectors.cases_for_deal(deal)
    case = next((c for c in cases if c.is_open), None)
    review = Review.objects.filter(deal=deal).first()
    if role == "buyer" and review is None and deal.state == State.RELEASED:
        review_form = review_form or ReviewForm()
    else:
        review_form = None
    if role == "seller" and review is not None and review.replied_at is None:
        reply_form = reply_form or ReplyForm()
    else:
        reply_form = None
    return render(
        request,
        "escrow/detail.html",
        {
            **chat_context(request, deal),
            "cases": cases,
            "case": case,
            "can_dispute": services.dispute_window_open(deal, role, now=now, kind="dispute"),
            "can_claim_recovery": services.dispute_window_open(
                deal, role, now=now, kind="recovery"
            ),
            "can_answer": case is not None
            and case.responded_at is None
            and (case.response_due_at is None or case.response_due_at > now)
            and role
            == ("seller" if case.kind == "chargeback" or case.opener_role == "buyer" else "buyer"),
            "review": review,
            "review_form": review_form,
            "reply_form": reply_form,
            "can_request_refund": role == "buyer"
            and deal.watched_since is not None
            and deal.state in services.REFUNDABLE_ON_WATCH,
            "deal": deal,
            "role": role,
            "events": events,
            "payout": payout,
            "refunds": list(deal.refunds.all()),
            "show_handle": show_handle,
            "credential_states": services.CREDENTIAL_STATES,
            "views_count": deal.credential_views.count(),
        },
        status=status,
    )
