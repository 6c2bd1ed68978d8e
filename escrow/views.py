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
from django.views.decorators.http import require_GET, require_POST

from kernel.http import client_ip
from kernel.ratelimit import rate_limit

from . import selectors, services
from .checklists import checklist_for
from .deal_page import deal_button, render_deal_page
from .exceptions import CardError, EscrowError, LatePayment, TooManyUnpaidDeals
from .forms import AcknowledgeForm, CardForm, HandoverForm, ManualPayoutForm, PayoutCountryForm
from .gateways import get_gateway
from .gateways.base import GatewayError
from .models import Deal, Payment, SellerPayoutAccount
from .webhooks import handle_webhook

State = Deal.State
#: After these the payment page has nothing more to offer: the deal page explains.
LEAVES_PAY_PAGE = frozenset(
    {"payment_window_closed", "already_paid", "payment_cancelled", "late_payment"}
)


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
    except TooManyUnpaidDeals as exc:
        _error(request, exc)
        return redirect("escrow:my_deals")  # where the unpaid deals can be paid or cancelled
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
        deal = services.expire_deal(deal_id=deal.pk, now=now) or deal
        if deal.state == State.CANCELLED:
            messages.error(
                request, _("The time to pay for this deal has run out; it was cancelled.")
            )
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
        except CardError as exc:
            # Beside the field it concerns, like the provider's own card form.
            card_form.add_error(exc.field or None, exc.message)
        except EscrowError as exc:
            _error(request, exc)
            if exc.code in LEAVES_PAY_PAGE:
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
            return redirect("escrow:detail" if exc.code in LEAVES_PAY_PAGE else "escrow:pay", pk)
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
    except GatewayError:  # the provider is down: nothing recorded, its webhook follows
        messages.error(request, _("The payment service is not reachable. Try again shortly."))
    if deal.state == State.FUNDED:
        messages.success(request, _("Payment received. Your money is held in escrow."))
        return redirect("escrow:detail", pk)
    if Payment.objects.filter(deal=deal, status=Payment.Status.SUCCEEDED).exists():
        # Paid after the deal was cancelled: being refunded (and said so).
        messages.warning(request, LatePayment.default_message)
        return redirect("escrow:detail", pk)
    return redirect("escrow:pay", pk)


@login_required
@require_POST
def cancel(request, pk: int):
    deal = selectors.get_deal_for_user(request.user, pk)
    try:
        deal = services.cancel_deal(deal_id=deal.pk, buyer=request.user, now=timezone.now())
    except EscrowError as exc:
        _error(request, exc)
        return redirect("escrow:detail", pk)
    # Said only when it is true: the provider confirmed the payment cancelled (or
    # none was started); a payment that still arrived is refunded and said so.
    if Payment.objects.filter(deal=deal, status=Payment.Status.SUCCEEDED).exists():
        messages.warning(request, LatePayment.default_message)
    else:
        messages.success(request, _("The deal was cancelled. No money was taken."))
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
    return render_deal_page(request, deal)


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
@require_GET  # a HEAD would log a look at a secret nobody saw
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
            ip=client_ip(request),
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
    return deal_button(
        request,
        pk,
        lambda deal, now: services.accept_deal(deal_id=deal.pk, buyer=request.user, now=now),
        _("Accepted. The seller is paid after the protection window."),
    )


@login_required
@require_POST
def extend(request, pk: int):
    return deal_button(
        request,
        pk,
        lambda deal, now: services.extend_inspection(deal_id=deal.pk, buyer=request.user, now=now),
        _("The inspection period was extended."),
    )


# ------------------------------------------------------------------ payouts


def _payouts_page(request, *, account=None, country_form=None, manual_form=None):
    account = account or SellerPayoutAccount.objects.filter(user=request.user).first()
    initial = {"country": account.country if account else ""}
    return render(
        request,
        "escrow/payouts.html",
        {
            "account": account,
            "country_form": country_form or PayoutCountryForm(initial=initial),
            "manual_form": manual_form or ManualPayoutForm(initial=initial),
            # The manual form also shows while the seller fixes what they typed in it.
            "show_manual": bool(manual_form)
            or (account is not None and account.rail == SellerPayoutAccount.Rail.MANUAL),
            "payouts": selectors.payouts_for_seller(request.user)[:50],
        },
    )


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
    return _payouts_page(request, account=account)


@login_required
@require_POST
@reauthentication_required
def payouts_connect(request):
    """Connect (or move) the payout account. An invalid or refused country comes
    back beside the field, as typed."""
    form = PayoutCountryForm(request.POST)
    if not form.is_valid():
        return _payouts_page(request, country_form=form)
    back = request.build_absolute_uri(reverse("escrow:payouts")) + "?refresh=1"
    try:
        account, url = services.connect_payout_account(
            user=request.user,
            country=form.cleaned_data["country"],
            return_url=back,
            refresh_url=back,
        )
    except EscrowError as exc:
        form.add_error("country", exc.message)
        return _payouts_page(request, country_form=form)
    except GatewayError:
        form.add_error(None, _("The payment service is not reachable. Try again shortly."))
        return _payouts_page(request, country_form=form)
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
        try:
            services.save_manual_payout_details(
                user=request.user,
                country=form.cleaned_data["country"],
                bank_details=form.cleaned_data["bank_details"],
            )
        except EscrowError as exc:
            form.add_error("country", exc.message)
        else:
            messages.success(request, _("Your bank details were saved (encrypted)."))
            return redirect("escrow:payouts")
    return _payouts_page(request, manual_form=form)


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
