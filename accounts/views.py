import json
import logging

from allauth.account.decorators import reauthentication_required
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpResponse, HttpResponseBadRequest
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_GET, require_POST

from kernel.private_files import private_file_response
from kernel.ratelimit import rate_limit

from . import privacy, selectors, services
from .exceptions import AccountClosureRefused, InvalidDocument, ProviderError, VerificationRefused
from .forms import CloseAccountForm, ProfileForm, VerificationForm
from .identity import get_identity_provider
from .permissions import is_acting_moderator

logger = logging.getLogger("handoff.accounts")


@login_required
def profile(request):
    """The signed-in user's own profile: name, security, verification, standing."""
    form = ProfileForm(request.POST or None, user=request.user)
    if request.method == "POST" and form.is_valid():
        try:
            services.update_display_name(
                user=request.user,
                display_name=form.cleaned_data["display_name"],
                allow_reserved=form.allow_reserved,
            )
        except ValidationError as exc:  # claimed by someone else meanwhile
            form.add_error("display_name", exc)
        else:
            messages.success(request, _("Your profile was saved."))
            return redirect("accounts:profile")
    return render(
        request,
        "accounts/profile.html",
        {"form": form, "verification": selectors.latest_verification(request.user)},
    )


@never_cache
@login_required
@reauthentication_required
def export_data(request):
    """ "Download my data": everything about the user as one JSON file (after
    re-authentication). Audited; holds no secret and no other person's data."""
    now = timezone.now()
    data = privacy.build_export(request.user, now=now)
    services.record_audit(actor=request.user, action="accounts.data_exported", target=request.user)
    response = HttpResponse(
        json.dumps(data, indent=2, ensure_ascii=False), content_type="application/json"
    )
    response["Content-Disposition"] = f'attachment; filename="handoff-data-{now:%Y%m%d}.json"'
    return response


@never_cache
@login_required
@reauthentication_required
def close_account(request):
    """ "Close my account": an explanation and a confirmation (after
    re-authentication); refused with the reason while a deal is open or money is held."""
    form = CloseAccountForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.close_account(user=request.user, now=timezone.now())
        except AccountClosureRefused as exc:
            messages.error(request, exc.message)
            return redirect("accounts:close_account")
        logout(request)
        messages.success(
            request, _("Your account is closed and your personal data has been removed.")
        )
        return redirect("home")
    return render(request, "accounts/close_account.html", {"form": form})


@never_cache
@login_required
@sensitive_post_parameters("document_number")
@rate_limit("verification")
def verify(request):
    """Real-name verification: the form, or where the user's check stands."""
    user = request.user
    now = timezone.now()
    provider = get_identity_provider()
    blocked = services.can_submit_verification(user, now=now)
    posted = request.method == "POST"
    if posted and request.POST.get("action") == "continue":
        return _continue_identity_check(request)
    form = VerificationForm(
        request.POST if posted else None,
        request.FILES if posted else None,
        collects_document=provider.collects_document,
        now=now,
    )
    if request.method == "POST" and blocked is None and form.is_valid():
        data = form.cleaned_data
        try:
            verification = services.submit_verification(
                user=user,
                submission=services.VerificationSubmission(
                    legal_name=data["legal_name"],
                    document_type=data["document_type"],
                    document_number=data["document_number"],
                    date_of_birth=data["date_of_birth"],
                    country=data["country"],
                ),
                document_image=data.get("document_image"),
                selfie_image=data.get("selfie_image"),
                language=translation.get_language() or "",
                now=now,
            )
        except InvalidDocument as exc:
            form.add_error(exc.field if exc.field in form.fields else None, str(exc.message))
        except VerificationRefused as exc:
            if exc.code == "duplicate_document":
                form.add_error("document_number", str(exc.message))
            else:
                messages.error(request, exc.message)
                return redirect("accounts:verify")
        else:
            session = _start_identity_check(request, verification)
            if session is None:
                return redirect("accounts:verify")
            if session.redirect_url:
                return redirect(session.redirect_url)
            messages.success(
                request,
                _("Thank you. Your documents were received; a moderator will review them soon."),
            )
            return redirect("accounts:verify")
    elif request.method == "POST" and blocked is not None:
        messages.error(request, str(VerificationRefused(blocked).message))
        return redirect("accounts:verify")
    return render(
        request,
        "accounts/verify.html",
        {
            "form": form,
            "blocked": blocked,
            "blocked_message": VerificationRefused(blocked).message if blocked else "",
            "verification": selectors.latest_verification(user),
            "current": selectors.current_verification(user),
            "provider": provider,
            "validity_days": settings.VERIFICATION_VALIDITY_DAYS,
        },
    )


def _continue_identity_check(request):
    """Send the user (back) to the provider's hosted check of their pending submission,
    e.g. after the provider could not be reached or the user left its flow."""
    verification = selectors.latest_verification(request.user)
    if verification is None or verification.state != "pending" or verification.provider == "manual":
        return redirect("accounts:verify")
    session = _start_identity_check(request, verification)
    if session is None:
        return redirect("accounts:verify")
    return redirect(session.redirect_url or reverse("accounts:verify"))


def _start_identity_check(request, verification):
    """The provider's session for ``verification``, coming back to /verify/; None
    (the user told why, as a warning) when the provider cannot be reached."""
    try:
        return services.start_identity_check(
            verification=verification,
            return_url=request.build_absolute_uri(reverse("accounts:verify")),
        )
    except ProviderError as exc:
        messages.warning(request, exc.message)
        return None


@never_cache
@require_GET  # a HEAD would log a look at a secret nobody saw
def verification_image(request, pk: int, kind: str):
    """A verification's document photo or selfie: owner and moderators only (else 404).

    Served from private storage, never from a public media URL. A moderator's look
    at someone else's document is written to the audit log.
    """
    verification, name = selectors.get_verification_document_for_user(request.user, pk, kind)
    if verification.user_id != request.user.pk and is_acting_moderator(request.user):
        services.record_audit(
            actor=request.user,
            action="accounts.verification.document_viewed",
            target=verification,
            reason=kind,
        )
    return private_file_response(name, download_name=f"verification-{pk}-{kind}")


@csrf_exempt
@require_POST
def stripe_identity_webhook(request):
    """Stripe Identity events. The signature is checked before anything is read."""
    provider = get_identity_provider()
    if provider.name != "stripe_identity":
        return HttpResponse(status=404)
    signature = request.headers.get("Stripe-Signature", "")
    try:
        outcome = provider.parse_webhook(request.body, signature)
    except ValueError:
        logger.warning("stripe identity webhook: bad payload or signature")
        return HttpResponseBadRequest("invalid signature")
    if outcome is not None:
        try:
            outcome = provider.confirm(outcome)  # the provider's verdict now wins
        except ProviderError:
            # Not acknowledged: Stripe sends the event again later (for up to 3 days).
            logger.warning("stripe identity webhook: Stripe unreachable, event left for retry")
            return HttpResponse("provider unreachable, retry later", status=503)
    if outcome is not None:
        services.apply_identity_outcome(outcome=outcome)
    return HttpResponse(status=200)
