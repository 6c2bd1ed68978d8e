"""Listings' pages: home, catalogue, detail (buyers) and the seller's pages.

Thin: parse a form, call one service or selector, render or redirect. Domain
errors become messages or form errors, never a 500.
"""

from __future__ import annotations

import time

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from governance.detectors import scan_text
from governance.policy import can
from governance.registry import text_of
from kernel.ratelimit import rate_limit

from . import fragments, selectors, services
from .exceptions import ListingError, ListingLocked, NotAllowedToList
from .forms import AccountStepForm, CatalogueFilterForm, OfferStepForm, ScreenshotForm
from .models import MAX_SCREENSHOTS, Listing
from .policies import GENERAL_NOTE, policy_for

State = Listing.State
#: The detail page's action box: escrow's buy button when escrow ships
#: ``escrow/_listing_actions.html``, else listings' own note (first found wins).
ACTION_TEMPLATES = ["escrow/_listing_actions.html", "listings/_listing_actions.html"]


# ------------------------------------------------------------------ buyers


def home(request):
    """The home page: featured and newest published listings. Their sections
    (nothing user-specific) may come from the fragment cache, under the catalogue's
    generation; the hero and the search box are rendered live."""
    cache_key = None
    if fragments.enabled():
        cache_key, entry, gen = fragments.lookup(key=fragments.home_key())
        if entry is not None:
            return render(request, "listings/home.html", {"sections_html": entry["html"]})
    sections_html = render_to_string(
        "listings/_home_listings.html",
        {"featured": selectors.featured_row(), "newest": selectors.newest()},
    )
    if cache_key is not None:
        fragments.store(cache_key, gen, {"html": sections_html})
    return render(request, "listings/home.html", {"sections_html": sections_html})


def _catalogue_query(data: dict) -> selectors.CatalogueQuery:
    return selectors.query_from_data(data)


def catalogue(request):
    """``/listings/``: PUBLISHED listings with filters, search, sort and pagination
    (``page`` for the first pages, the ``after`` cursor for every next page).

    The main column (filters and results, nothing user-specific) may come from the
    fragment cache (``listings.fragments``); the page around it is always live."""
    partial = bool(request.htmx and request.htmx.target == "catalogue-results")
    cache_key = None
    if fragments.enabled() and not partial:
        cache_key, entry, gen = fragments.lookup(request)
        if entry is not None:
            # A SafeString, as render_to_string made it (pickled with its class).
            return render(request, "listings/catalogue.html", {"main_html": entry["html"]})
    form = CatalogueFilterForm(request.GET or None)
    data = form.safe_data() if request.GET else {}
    query = _catalogue_query(data)
    page = selectors.catalogue(query)
    if request.GET and data.get("sort") != page.sort:
        # Show the sort actually applied (e.g. "Best match" for a search).
        params = request.GET.copy()
        params["sort"] = page.sort
        form = CatalogueFilterForm(params)
        form.is_valid()
    context = {
        "form": form if request.GET else CatalogueFilterForm(),
        "notices": form.notices if request.GET else [],
        "range_errors": [
            error
            for name in ("max_price", "max_followers")
            for error in (form.errors.get(name, []) if request.GET else [])
        ],
        "page_obj": page,
        "query": query,
        "filtered": any(
            [
                query.q,
                query.platforms,
                query.min_followers is not None,
                query.max_followers is not None,
                query.min_price is not None,
                query.max_price is not None,
            ]
        ),
    }
    if partial:
        return render(request, "listings/_results.html", context)
    main_html = render_to_string("listings/_catalogue_main.html", context, request)
    if cache_key is not None:
        fragments.store(cache_key, gen, {"html": main_html})
    context["main_html"] = main_html  # a SafeString
    return render(request, "listings/catalogue.html", context)


#: The shared parts of the listing page (``listings.fragments``), in page order.
DETAIL_PARTS = {
    "head": "listings/_detail_head.html",
    "main": "listings/_detail_main.html",
    "seller": "listings/_detail_seller.html",
    "policy": "listings/_detail_policy.html",
    # Escrow's part when it is installed (the seller's latest reviews), else nothing.
    "reviews": ["escrow/_listing_reviews.html", "listings/_detail_no_reviews.html"],
}


def _detail_context(request, listing: Listing, parts: dict) -> dict:
    """The page around the shared ``parts``: title, the not-public notice, the
    Report link and the buy box, rendered live for this visitor."""
    return {
        "listing": listing,
        "parts": parts,
        "is_own": request.user.is_authenticated and request.user.pk == listing.seller_id,
        "action_templates": ACTION_TEMPLATES,
    }


def _serve_detail(request, listing: Listing, parts: dict, page_key, gen, until):
    """Render the page around ``parts``; for an anonymous visitor (``page_key``)
    also keep the whole page, until ``until`` (epoch seconds) at the latest."""
    context = _detail_context(request, listing, parts)
    if page_key is None or not listing.is_public:
        return render(request, "listings/detail.html", context)
    html = fragments.render_anonymous_page(request, "listings/detail.html", context)
    timeout = None if until is None else int(until - time.time())
    fragments.store(page_key, gen, {"html": html}, timeout=timeout)
    return fragments.serve_anonymous_page(request, html)


def detail(request, pk: int):
    """``/listings/<id>/``: a PUBLISHED listing for anyone; other states only for the
    seller and moderators (404 for everyone else). The handle is never rendered.

    With the fragment cache on, a PUBLISHED listing's shared parts may come from the
    cache, and an anonymous visitor's whole page too (it holds no CSRF token: the
    same bytes for every such visitor); the access check still runs on every request before anything is shown (on
    a hit, one small query; on a miss, the full read is the check). The rest of
    the page is always live for signed-in visitors."""
    cache_key = page_key = gen = None
    if fragments.enabled():
        page_key = fragments.anonymous_page_key(request, pk)
        cache_key = fragments.detail_key(pk)
        keys = [cache_key] if page_key is None else [page_key, cache_key]
        entries, gen = fragments.lookup_listing_entries(keys, pk)
        page = entries.get(page_key)
        # Only a PUBLISHED listing's page is kept, and it is public: the state
        # is the whole access check (anything else goes the long way below).
        if page is not None and selectors.listing_state(pk) in Listing.PUBLIC_STATES:
            return fragments.serve_anonymous_page(request, page["html"])
        entry = entries.get(cache_key)
        if entry is not None:
            head = selectors.get_listing_head_for_user(request.user, pk)
            if head.is_public:
                # SafeStrings, as render_to_string made them (pickled with their class).
                # The parts were kept by an earlier view: this second view keeps the
                # anonymous page too (a listing seen once costs one store, not two).
                return _serve_detail(
                    request, head, entry["parts"], page_key, gen, entry.get("until")
                )
    listing = selectors.get_listing_for_user(request.user, pk)
    seller = listing.seller
    is_verified = getattr(seller, "is_verified_adult", None)
    seller_verified = bool(is_verified()) if callable(is_verified) else False
    context = {
        "listing": listing,
        "screenshots": list(listing.screenshots.all()),
        "seller": seller,
        "standing": getattr(seller, "standing", None),
        "seller_verified": seller_verified,
        "policy": policy_for(listing.platform),
        "policy_general": GENERAL_NOTE,
    }
    # Rendered without the request: no context processor, so nothing of the visitor's
    # (user, CSRF token, messages) can reach HTML that other visitors are served.
    parts = {name: render_to_string(t, context) for name, t in DETAIL_PARTS.items()}
    until = None
    if cache_key is not None and listing.is_public:
        timeout = None
        if seller_verified and seller.verified_until is not None:
            # The "Verified" badge lapses with time, not with a save.
            until = seller.verified_until.timestamp()
            timeout = int(until - time.time())
        fragments.store(cache_key, gen, {"parts": parts, "until": until}, timeout=timeout)
    return _serve_detail(request, listing, parts, None, gen, until)


# ------------------------------------------------------------------ sellers


def _steps(listing: Listing | None):
    """The four steps of the listing form, for the step indicator."""
    pk = listing.pk if listing else None
    return [
        (
            "account",
            gettext_lazy("Account & figures"),
            reverse("listings:edit_account", args=[pk]) if pk else reverse("listings:create"),
        ),
        ("offer", gettext_lazy("Price & description"), _step_url("offer", pk)),
        ("screenshots", gettext_lazy("Screenshots"), _step_url("screenshots", pk)),
        ("review", gettext_lazy("Review & submit"), _step_url("review", pk)),
    ]


def _step_url(step: str, pk):
    return reverse(f"listings:edit_{step}", args=[pk]) if pk else ""


def _seller_context(request, listing: Listing | None, step: str, **extra):
    return {
        "listing": listing,
        "steps": _steps(listing),
        "step": step,
        "can_list": can(request.user, "list"),
        **extra,
    }


def _locked_redirect(request, listing: Listing):
    messages.error(request, ListingLocked.default_message)
    return redirect("listings:edit_review", pk=listing.pk)


def _next_or_dashboard(request, listing: Listing, next_step: str):
    if request.POST.get("action") == "save":
        messages.success(request, _("Draft saved."))
        return redirect("listings:sell")
    return redirect(f"listings:edit_{next_step}", pk=listing.pk)


def _sent_back_message(request):
    messages.warning(
        request,
        _(
            "Your changes were saved. Because the listing was published, it went back "
            "to review and is hidden from buyers until a moderator approves it again."
        ),
    )


@login_required
def sell(request):
    """``/sell/``: the seller's listings, grouped by state."""
    groups = selectors.listings_of_seller(request.user)
    order = [
        State.DRAFT,
        State.PENDING_REVIEW,
        State.REJECTED,
        State.PUBLISHED,
        State.RESERVED,
        State.SOLD,
        State.WITHDRAWN,
        State.REMOVED,
    ]
    sections = [(State(s), groups[s]) for s in order if groups[s]]
    return render(
        request,
        "listings/sell/dashboard.html",
        {
            "sections": sections,
            "can_list": can(request.user, "list"),
            "total": sum(len(v) for v in groups.values()),
        },
    )


@login_required
def create(request):
    """Step 1 of a new listing; saving it creates the DRAFT."""
    form = AccountStepForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            listing = services.create_listing(seller=request.user, data=form.cleaned_data)
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            return _next_or_dashboard(request, listing, "offer")
    return render(
        request,
        "listings/sell/step_form.html",
        _seller_context(request, None, "account", form=form),
    )


def _edit_step(request, pk: int, form_class, step: str, next_step: str):
    listing = selectors.get_listing_for_seller(request.user, pk)
    if not listing.is_editable:
        return _locked_redirect(request, listing)
    form = form_class(request.POST or None, instance=listing)
    if request.method == "POST" and form.is_valid():
        try:
            listing, sent_back = services.update_listing(
                seller=request.user, listing_id=listing.pk, data=form.cleaned_data
            )
        except ListingLocked as exc:
            messages.error(request, exc.message)
            return redirect("listings:edit_review", pk=pk)
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            if sent_back:
                _sent_back_message(request)
            if scan_text(text_of(listing)):
                messages.warning(
                    request,
                    _(
                        "Saved, but your text seems to break a rule (contact details, paying "
                        "outside the platform, bait or forbidden promises). Please check the "
                        "warning before you submit."
                    ),
                )
            return _next_or_dashboard(request, listing, next_step)
    return render(
        request,
        "listings/sell/step_form.html",
        _seller_context(request, listing, step, form=form),
    )


@login_required
def edit_account(request, pk: int):
    return _edit_step(request, pk, AccountStepForm, "account", "offer")


@login_required
def edit_offer(request, pk: int):
    return _edit_step(request, pk, OfferStepForm, "offer", "screenshots")


@login_required
def edit_screenshots(request, pk: int):
    """Step 3: upload (one at a time, up to 8) and delete screenshots."""
    listing = selectors.get_listing_for_seller(request.user, pk)
    if not listing.is_editable and request.method == "POST":
        return _locked_redirect(request, listing)
    form = ScreenshotForm(request.POST or None, request.FILES or None)
    if request.method == "POST":
        if request.POST.get("action") == "next" and not request.FILES:
            return redirect("listings:edit_review", pk=pk)
        if form.is_valid():
            was_published = listing.state == State.PUBLISHED
            try:
                services.add_screenshot(
                    seller=request.user,
                    listing_id=pk,
                    upload=form.cleaned_data["image"],
                    caption=form.cleaned_data["caption"],
                )
            except ValidationError as exc:
                form.add_error("image", exc)
            except ListingError as exc:
                form.add_error(None, exc.message)
            else:
                if was_published:
                    _sent_back_message(request)
                messages.success(request, _("Screenshot added."))
                if request.POST.get("action") == "next":
                    return redirect("listings:edit_review", pk=pk)
                return redirect("listings:edit_screenshots", pk=pk)
    shots = list(listing.screenshots.all())
    return render(
        request,
        "listings/sell/screenshots.html",
        _seller_context(
            request,
            listing,
            "screenshots",
            form=form,
            shots=shots,
            max_shots=MAX_SCREENSHOTS,
            room=MAX_SCREENSHOTS - len(shots),
        ),
    )


@login_required
@require_POST
def delete_screenshot(request, pk: int, shot_pk: int):
    selectors.get_listing_for_seller(request.user, pk)
    try:
        services.delete_screenshot(seller=request.user, listing_id=pk, screenshot_id=shot_pk)
    except ListingError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("Screenshot removed."))
    return redirect("listings:edit_screenshots", pk=pk)


@login_required
@rate_limit("listing_submit")
def edit_review(request, pk: int):
    """Step 4: everything at a glance; submit for review (or see the state)."""
    listing = selectors.get_listing_for_seller(request.user, pk)
    if request.method == "POST":
        try:
            services.submit_listing(seller=request.user, listing_id=pk)
        except NotAllowedToList as exc:
            messages.error(request, exc.message)
        except ValidationError as exc:
            for error in exc.messages:
                messages.error(request, error)
        except ListingError as exc:
            messages.error(request, exc.message)
        else:
            messages.success(
                request,
                _(
                    "Submitted for review. Put your ownership code in the account's bio so "
                    "that a moderator can check it."
                ),
            )
        return redirect("listings:edit_review", pk=pk)
    missing = [f for f in services.REQUIRED_FOR_SUBMIT if not getattr(listing, f)]
    labels = [str(Listing._meta.get_field(f).verbose_name) for f in missing]
    screenshots = list(listing.screenshots.all())
    return render(
        request,
        "listings/sell/review.html",
        _seller_context(
            request,
            listing,
            "review",
            missing=labels,
            screenshots=screenshots,
            policy=policy_for(listing.platform),
            events=list(listing.events.order_by("-created_at", "-id")[:10]),
        ),
    )


@login_required
@require_POST
def withdraw(request, pk: int):
    selectors.get_listing_for_seller(request.user, pk)
    try:
        services.withdraw_listing(seller=request.user, listing_id=pk)
    except ListingError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("The listing was withdrawn. You can edit and resubmit it."))
    return redirect("listings:sell")
