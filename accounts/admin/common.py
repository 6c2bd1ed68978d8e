"""What the accounts screens share: read-only records (``kernel.admin_display``,
the same base every app's record screens use), the review permission, and the
moderator's one-reason action (a button with a reason box on a change page)."""

from __future__ import annotations

from collections.abc import Callable

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponseNotAllowed
from django.shortcuts import redirect

from kernel.admin_display import ReadOnlyAdmin

from ..exceptions import AccountsError
from ..forms import ReasonForm

REVIEW_PERMISSION = "accounts.review_identityverification"


def reason_action(
    request,
    *,
    permission: str,
    act: Callable[[str], object],
    missing: type[Exception],
    no_reason: str,
    done: str,
    back: str,
):
    """POST only, for holders of ``permission``: ``act(reason)`` with the reason the
    moderator typed (``ReasonForm``), then back to the page ``back`` (a URL). A
    missing reason says ``no_reason``, a refusal its message, success ``done``;
    ``missing`` (the row is gone) is a 404."""
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    if not request.user.has_perm(permission):
        raise PermissionDenied
    form = ReasonForm(request.POST)
    if not form.is_valid():
        messages.error(request, no_reason)
        return redirect(back)
    try:
        act(form.cleaned_data["reason"])
    except missing:
        raise Http404 from None
    except AccountsError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, done)
    return redirect(back)


__all__ = ["REVIEW_PERMISSION", "ReadOnlyAdmin", "reason_action"]
