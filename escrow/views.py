"""Thin views: parse, call one service, render or redirect. Domain errors become
messages, never a 500."""

from __future__ import annotations

from allauth.account.decorators import reauthentication_required
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpResponse, HttpResponseBadRequest
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from kernel.ratelimit import rate_limit

from . import selectors, services
from .checklists import checklist_for
from .exceptions import EscrowError
from .forms import AcknowledgeForm, CardForm, HandoverForm, ManualPayoutForm, PayoutCountryForm
from .gateways import get_gateway
from .gateways.base import GatewayError
from .models import Deal, Payment, SellerPayoutAccount
from .webhooks import handle_webhook

State = Deal.State


def _policy(listing):
    """The platform's transfer-policy note (listings owns the texts)."""
    try:
        from listings.policies import GENERAL_NOTE, policy_for
    except ImportError:  # pragma: no cover - listings ships it
        return None, ""
    return policy_for(listing.platform), GENERAL_NOTE


def _error(request, exc: EscrowError) -> None:
    messages.error(request, exc.message)


# -------------------------------------------------------------------- buying


@login_required
@require_POST
@rate_limit("checkout")
def buy(request, listing_id: int):
    """ "Buy with escrow" on a listing: reserve it and open the deal."""
    try:
        deal = services.open_deal(buyer=request.user, listing_id=listing_id, now=timezone.now())
    except EscrowError as exc:
        _error(request, exc)
        return redirect("listings:detail", listing_id)
    return redirect("escrow:pay", deal.pk)


@never_cache
@login_required
def pay(request, pk: int):
    """The payment page: price, fee and total, the transfer-policy note to
    acknowledge, then the card form (simulated) or the Payment Element (Stripe)."""
    deal = selectors.get_deal_for_user(request.user, pk)
    if deal.buyer_id != request.user.pk:
        return redirect("escrow:detail", pk)
    now = timezone.now()
    if deal.state != State.PENDING_PAYMENT:
        return redirect("escrow:detail", pk)
    if deal.due_at and deal.due_at <= now:
        services.expire_deal(deal_id=deal.pk, now=now)
        messages.error(request, _("The time to pay for this deal has run out; it was cancelled."))
        return redirect("escrow:detail", pk)
    policy, general = _policy(deal.listing)
    gateway = get_gateway()
    ack_form = AcknowledgeForm()
    card_form = CardForm()
    if request.method == "POST":
        step = request.POST.get("step")
        try:
            if step == "acknowledge":
                ack_form = AcknowledgeForm(request.POST)
                if ack_form.is_valid():
                    note = " ".join(str(x) for x in (policy.summary if policy else "", general))
                    services.acknowledge_transfer_policy(
                        deal_id=deal.pk, buyer=request.user, note=note.strip(), now=now
                    )
                    return redirect("escrow:pay", pk)
            elif step == "card":
                card_form = CardForm(request.POST)
                if card_form.is_valid():
                    deal = services.pay_deal(
                        deal_id=deal.pk, buyer=request.user, card=card_form.cleaned_data, now=now
                    )
                    if deal.state == State.FUNDED:
                        messages.success(
                            request, _("Payment received. Your money is held in escrow.")
                        )
                        return redirect("escrow:detail", pk)
                    return redirect("escrow:authenticate", pk)
        except EscrowError as exc:
            _error(request, exc)
            if exc.code in ("payment_window_closed", "already_paid"):
                return redirect("escrow:detail", pk)
        deal.refresh_from_db()
    payment = None
    if deal.policy_acknowledged_at:
        try:
            payment = services.prepare_payment(deal_id=deal.pk, now=now)
        except GatewayError:  # the provider is down: say so, take no money
            messages.error(request, _("The payment service is not reachable. Try again shortly."))
    return render(
        request,
        "escrow/pay.html",
        {
            "deal": deal,
            "policy": policy,
            "policy_general": general,
            "ack_form": ack_form,
            "card_form": card_form,
            "payment": payment,
            "gateway": gateway,
            "gateway_config": gateway.public_config(),
            "return_url": request.build_absolute_uri(reverse("escrow:pay_return", args=[pk])),
        },
    )


@never_cache
@login_required
def authenticate(request, pk: int):
    """The simulated card-authentication step (3-D Secure)."""
    deal = selectors.get_deal_for_user(request.user, pk)
    if deal.buyer_id != request.user.pk or deal.state != State.PENDING_PAYMENT:
        return redirect("escrow:detail", pk)
    if request.method == "POST":
        try:
            deal = services.complete_authentication(
                deal_id=deal.pk,
                buyer=request.user,
                success=request.POST.get("result") == "complete",
                now=timezone.now(),
            )
        except EscrowError as exc:
            _error(request, exc)
            return redirect("escrow:pay", pk)
        if deal.state == State.FUNDED:
            messages.success(request, _("Payment received. Your money is held in escrow."))
        return redirect("escrow:detail", pk)
    if deal.payment.status != Payment.Status.REQUIRES_ACTION:
        return redirect("escrow:pay", pk)
    return render(request, "escrow/authenticate.html", {"deal": deal})


@never_cache
@login_required
def pay_return(request, pk: int):
    """Where the Stripe Payment Element returns after confirming (and after its
    authentication step): record what the provider says."""
    deal = selectors.get_deal_for_user(request.user, pk)
    try:
        deal = services.sync_payment(deal_id=deal.pk, now=timezone.now())
    except EscrowError as exc:
        _error(request, exc)
    if deal.state == State.FUNDED:
        messages.success(request, _("Payment received. Your money is held in escrow."))
        return redirect("escrow:detail", pk)
    return redirect("escrow:pay", pk)


@login_required
@require_POST
def cancel(request, pk: int):
    deal = selectors.get_deal_for_user(request.user, pk)
    try:
        services.cancel_deal(deal_id=deal.pk, buyer=request.user, now=timezone.now())
        messages.success(request, _("The deal was cancelled. No money was taken."))
    except EscrowError as exc:
        _error(request, exc)
    return redirect("escrow:detail", pk)


# -------------------------------------------------------------- the deal page


@login_required
def my_deals(request):
    page = Paginator(selectors.deals_for_user(request.user), 25).get_page(request.GET.get("page"))
    return render(
        request,
        "escrow/my_deals.html",
        {"page": page, "notifications": selectors.unread_notifications(request.user)},
    )


@login_required
def detail(request, pk: int):
    deal = selectors.get_deal_for_user(request.user, pk)
    role = "buyer" if deal.buyer_id == request.user.pk else "seller"
    events = list(deal.events.select_related("actor"))
    deal.notifications.filter(user=request.user, read_at__isnull=True).update(
        read_at=timezone.now()
    )
    payout = getattr(deal, "payout", None) if role == "seller" else None
    show_handle = deal.is_funded or deal.state in (State.RELEASED, State.SPLIT)
    from . import protection
    from .forms import ReplyForm, ReviewForm
    from .models import Review
    from .views_protection import chat_context

    now = timezone.now()
    cases = selectors.cases_for_deal(deal)
    case = next((c for c in cases if c.is_open), None)
    review = Review.objects.filter(deal=deal).first()
    return render(
        request,
        "escrow/detail.html",
        {
            **chat_context(request, deal),
            "cases": cases,
            "case": case,
            "can_dispute": protection.dispute_window_open(deal, role, now=now, kind="dispute"),
            "can_claim_recovery": protection.dispute_window_open(
                deal, role, now=now, kind="recovery"
            ),
            "can_answer": case is not None
            and case.responded_at is None
            and (case.response_due_at is None or case.response_due_at > now)
            and role
            == ("seller" if case.kind == "chargeback" or case.opener_role == "buyer" else "buyer"),
            "review": review,
            "review_form": ReviewForm()
            if role == "buyer" and review is None and deal.state == State.RELEASED
            else None,
            "reply_form": ReplyForm()
            if role == "seller" and review is not None and review.replied_at is None
            else None,
            "can_request_refund": role == "buyer"
            and deal.watched_since is not None
            and deal.state in protection.REFUNDABLE_ON_WATCH,
            "deal": deal,
            "role": role,
            "events": events,
            "payout": payout,
            "refunds": list(deal.refunds.all()),
            "show_handle": show_handle,
            "credential_states": services.CREDENTIAL_STATES,
            "views_count": deal.credential_views.count(),
        },
    )


@login_required
def handover(request, pk: int):
    deal = selectors.get_deal_for_user(request.user, pk)
    if deal.seller_id != request.user.pk or deal.state != State.FUNDED:
        return redirect("escrow:detail", pk)
    form = HandoverForm(request.POST or None, platform=deal.listing.platform)
    if request.method == "POST" and form.is_valid():
        try:
            services.hand_over(
                deal_id=deal.pk,
                seller=request.user,
                login=form.cleaned_data["login"],
                password=form.cleaned_data["password"],
                recovery=form.cleaned_data["recovery"],
                notes=form.cleaned_data["notes"],
                checklist=form.checked(),
                now=timezone.now(),
            )
            messages.success(request, _("Handed over. The buyer's inspection period has started."))
            return redirect("escrow:detail", pk)
        except EscrowError as exc:
            _error(request, exc)
    return render(request, "escrow/handover.html", {"deal": deal, "form": form})


@never_cache
@login_required
def credentials(request, pk: int):
    """The handed-over credentials, for the buyer only, after re-authentication;
    each view is logged. Anyone but the deal's parties gets 404 before being asked
    to re-authenticate (existence never leaks)."""
    selectors.get_deal_for_user(request.user, pk)
    return _credentials_after_reauthentication(request, pk)


@reauthentication_required
def _credentials_after_reauthentication(request, pk: int):
    deal = selectors.get_deal_for_user(request.user, pk)
    try:
        handover = services.reveal_credentials(
            deal_id=deal.pk,
            buyer=request.user,
            now=timezone.now(),
            ip=request.META.get("REMOTE_ADDR"),
        )
    except EscrowError as exc:
        _error(request, exc)
        return redirect("escrow:detail", pk)
    checklist = dict(checklist_for(deal.listing.platform))
    response = render(
        request,
        "escrow/credentials.html",
        {
            "deal": deal,
            "handover": handover,
            "checklist": [
                checklist[key] for key in _json_list(handover.checklist) if key in checklist
            ],
        },
    )
    response["Cache-Control"] = "no-store"
    return response


def _json_list(text: str) -> list[str]:
    import json

    try:
        return list(json.loads(text))
    except (ValueError, TypeError):
        return []


@login_required
@require_POST
def accept(request, pk: int):
    deal = selectors.get_deal_for_user(request.user, pk)
    try:
        services.accept_deal(deal_id=deal.pk, buyer=request.user, now=timezone.now())
        messages.success(request, _("Accepted. The seller is paid after the protection window."))
    except EscrowError as exc:
        _error(request, exc)
    return redirect("escrow:detail", pk)


@login_required
@require_POST
def extend(request, pk: int):
    deal = selectors.get_deal_for_user(request.user, pk)
    try:
        services.extend_inspection(deal_id=deal.pk, buyer=request.user, now=timezone.now())
        messages.success(request, _("The inspection period was extended."))
    except EscrowError as exc:
        _error(request, exc)
    return redirect("escrow:detail", pk)


# ------------------------------------------------------------------ payouts


@login_required
def payouts(request):
    """The seller's payout settings and payouts."""
    account = SellerPayoutAccount.objects.filter(user=request.user).first()
    if (
        account is not None
        and account.rail == SellerPayoutAccount.Rail.PROVIDER
        and request.GET.get("refresh")
    ):
        try:
            account = services.refresh_payout_account(user=request.user)
        except GatewayError:
            messages.error(request, _("The payment service is not reachable. Try again shortly."))
    return render(
        request,
        "escrow/payouts.html",
        {
            "account": account,
            "country_form": PayoutCountryForm(
                initial={"country": account.country if account else ""}
            ),
            "manual_form": ManualPayoutForm(
                initial={"country": account.country if account else ""}
            ),
            "payouts": selectors.payouts_for_seller(request.user)[:50],
        },
    )


@login_required
@require_POST
@reauthentication_required
def payouts_connect(request):
    form = PayoutCountryForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Enter the two-letter country of your bank account."))
        return redirect("escrow:payouts")
    back = request.build_absolute_uri(reverse("escrow:payouts")) + "?refresh=1"
    account, url = services.connect_payout_account(
        user=request.user, country=form.cleaned_data["country"], return_url=back, refresh_url=back
    )
    if account.rail == SellerPayoutAccount.Rail.MANUAL:
        messages.info(
            request,
            _(
                "We cannot pay accounts in this country automatically: enter your bank details and an operator pays you by bank transfer."
            ),
        )
        return redirect("escrow:payouts")
    if url and url != back:
        return redirect(url)
    messages.success(request, _("Your payout account is connected."))
    return redirect("escrow:payouts")


@login_required
@require_POST
@reauthentication_required
def payouts_manual(request):
    form = ManualPayoutForm(request.POST)
    if form.is_valid():
        services.save_manual_payout_details(
            user=request.user,
            country=form.cleaned_data["country"],
            bank_details=form.cleaned_data["bank_details"],
        )
        messages.success(request, _("Your bank details were saved (encrypted)."))
    else:
        messages.error(request, _("Enter the country and your bank details."))
    return redirect("escrow:payouts")


# ------------------------------------------------------------------ webhooks


@csrf_exempt
@require_POST
def stripe_webhook(request):
    """Provider events: signature and tolerance verified, de-duplicated by id.
    A forged or stale event gets 400 and changes nothing."""
    signature = request.headers.get("Stripe-Signature", "")
    if not signature:
        return HttpResponseBadRequest("missing signature")
    status = handle_webhook(payload=request.body, signature=signature)
    return HttpResponse(status=status)
