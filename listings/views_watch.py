"""Thin views for the watchlist and saved searches (``listings.watch``)."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from . import selectors, watch
from .exceptions import WatchError
from .models import SavedSearch


def _back(request, default: str) -> str:
    target = request.POST.get("next", "")
    if url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return default


@login_required
def watchlist(request):
    """``/watchlist/``: the buyer's watched listings and saved searches."""
    searches = list(SavedSearch.objects.filter(user=request.user).order_by("-created_at", "-id"))
    return render(
        request,
        "listings/watchlist.html",
        {
            "listings": selectors.watchlist(request.user),
            "searches": [(s, watch.describe(s.query)) for s in searches],
        },
    )


@login_required
@require_POST
def watch_listing(request, pk: int):
    back = _back(request, reverse("listings:detail", args=[pk]))
    if request.POST.get("action") == "remove":
        watch.unwatch_listing(user=request.user, listing_id=pk)
        messages.success(request, _("Removed from your watchlist."))
        return redirect(back)
    try:
        watch.watch_listing(user=request.user, listing_id=pk, now=timezone.now())
    except WatchError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("Added to your watchlist."))
    return redirect(back)


@login_required
@require_POST
def save_search(request):
    query = request.POST.get("query", "")
    try:
        watch.save_search(user=request.user, params=query, now=timezone.now())
    except WatchError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("Search saved. We e-mail you when a new listing matches it."))
    canonical = watch.canonical_query(query)
    return redirect(reverse("listings:catalogue") + (f"?{canonical}" if canonical else ""))


@login_required
@require_POST
def saved_search_action(request, search_id: int):
    action = request.POST.get("action")
    now = timezone.now()
    if action == "delete":
        watch.delete_saved_search(user=request.user, search_id=search_id)
        messages.success(request, _("The saved search was deleted."))
    elif action in ("alerts_on", "alerts_off"):
        watch.set_search_alerts(
            user=request.user, search_id=search_id, alerts=action == "alerts_on", now=now
        )
        messages.success(
            request,
            _("E-mails for this search are on.")
            if action == "alerts_on"
            else _("E-mails for this search are off."),
        )
    return redirect("listings:watchlist")
