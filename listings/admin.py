"""Moderators' screens: the review queue and every listing.

Nothing is edited field by field here: a listing's content belongs to its seller,
and every moderator decision (prove ownership, approve, reject with a reason,
remove, restore, feature) goes through ``listings.services``, which audits it.
The review page shows the screenshots and the seller's text side by side.
"""

from __future__ import annotations

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.db.models import OuterRef, Subquery
from django.http import HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_POST

from kernel.admin_display import ReadOnlyAdmin
from kernel.admin_filters import AgeFilter
from kernel.http import get_by_pk_or_404
from kernel.money import format_money

from . import services
from .exceptions import ListingError
from .forms import RejectForm
from .models import Listing, ListingEvent, ListingScreenshot, PendingListing
from .policies import policy_for
from .selectors import COVER_SHOT
from .templatetags.listings_tags import cover_url

State = Listing.State


class QueueAgeFilter(AgeFilter):
    title = _("time in queue")
    field = "submitted_at"


class ListingAdminBase(admin.ModelAdmin):
    list_display = [
        "id",
        "cover",
        "title",
        "platform",
        "state",
        "seller_name",
        "followers",
        "price_display",
        "ownership_proven",
        "submitted_at",
    ]
    list_display_links = ["id", "title"]
    list_filter = ["platform", "state", "ownership_proven", "featured"]
    search_fields = ["title", "niche"]
    list_per_page = 50
    show_full_result_count = False
    change_form_template = "admin/listings/listing/review.html"
    actions = ["action_prove_ownership", "action_approve"]

    # ---- the list

    def get_queryset(self, request):
        cover = ListingScreenshot.objects.filter(listing=OuterRef("pk")).order_by("position", "id")
        return (
            super()
            .get_queryset(request)
            .select_related("seller")
            .defer("search_vector", "handle", "description")
            .annotate(cover_shot=Subquery(cover.values(shot=COVER_SHOT)[:1]))
        )

    @admin.display(description=_("screenshot"))
    def cover(self, obj):
        url = cover_url(obj)  # the permission-checked view while not public
        if not url:
            return "—"
        return format_html('<img src="{}" alt="" class="admin-thumb" width="96">', url)

    @admin.display(description=_("seller"), ordering="seller__display_name")
    def seller_name(self, obj):
        return obj.seller.public_name

    @admin.display(description=_("followers"), ordering="follower_count")
    def followers(self, obj):
        return f"{obj.follower_count:,}"

    @admin.display(description=_("price"), ordering="price")
    def price_display(self, obj):
        return format_money(obj.price, obj.currency) if obj.price else "—"

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        # The "change" page is the read-only review page; decisions need their own
        # permissions (checked per action).
        return self.has_view_permission(request, obj)

    # ---- the review page (replaces the change form)

    def _can(self, request, codename: str) -> bool:
        return request.user.has_perm(f"listings.{codename}")

    def change_view(self, request, object_id, form_url="", extra_context=None):
        listing = get_by_pk_or_404(
            Listing.objects.select_related("seller", "seller__standing"), object_id
        )
        if not self.has_view_permission(request, listing):
            raise PermissionDenied
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "title": gettext("Review listing #%(id)s") % {"id": listing.pk},
            "listing": listing,
            "screenshots": list(listing.screenshots.all()),
            "events": list(listing.events.select_related("actor").order_by("-created_at")[:20]),
            "policy": policy_for(listing.platform),
            "reject_form": RejectForm(),
            "can_review": self._can(request, "review_listing"),
            "can_remove": self._can(request, "remove_listing"),
            "can_feature": self._can(request, "feature_listing"),
            "price": format_money(listing.price, listing.currency) if listing.price else "—",
            "monthly_revenue": format_money(listing.monthly_revenue, listing.currency),
            "urls": {
                name: reverse(
                    f"admin:listings_{self.model._meta.model_name}_{name}", args=[listing.pk]
                )
                for name in ("prove", "approve", "reject", "remove", "restore", "feature")
            },
            "has_view_permission": True,
        }
        return TemplateResponse(request, self.change_form_template, context)

    def get_urls(self):
        prefix = f"{self.model._meta.app_label}_{self.model._meta.model_name}"

        def wrap(view):
            return self.admin_site.admin_view(require_POST(view))

        return [
            path("<int:pk>/prove/", wrap(self.prove_view), name=f"{prefix}_prove"),
            path("<int:pk>/approve/", wrap(self.approve_view), name=f"{prefix}_approve"),
            path("<int:pk>/reject/", wrap(self.reject_view), name=f"{prefix}_reject"),
            path("<int:pk>/remove/", wrap(self.remove_view), name=f"{prefix}_remove"),
            path("<int:pk>/restore/", wrap(self.restore_view), name=f"{prefix}_restore"),
            path("<int:pk>/feature/", wrap(self.feature_view), name=f"{prefix}_feature"),
            *super().get_urls(),
        ]

    def _decide(self, request, pk: int, codename: str, call, done: str):
        if not self._can(request, codename):
            raise PermissionDenied
        try:
            call()
        except ListingError as exc:
            self.message_user(request, exc.message, messages.ERROR)
        else:
            self.message_user(request, done, messages.SUCCESS)
        return HttpResponseRedirect(
            reverse(f"admin:listings_{self.model._meta.model_name}_change", args=[pk])
        )

    def prove_view(self, request, pk: int):
        return self._decide(
            request,
            pk,
            "review_listing",
            lambda: services.mark_ownership_proven(moderator=request.user, listing_id=pk),
            gettext("Ownership marked as proven."),
        )

    def approve_view(self, request, pk: int):
        response = self._decide(
            request,
            pk,
            "review_listing",
            lambda: services.approve_listing(moderator=request.user, listing_id=pk),
            gettext("Listing approved and published."),
        )
        return response

    def reject_view(self, request, pk: int):
        form = RejectForm(request.POST)
        reason = form.data.get("reason", "")
        return self._decide(
            request,
            pk,
            "review_listing",
            lambda: services.reject_listing(moderator=request.user, listing_id=pk, reason=reason),
            gettext("Listing rejected; the seller sees your reason."),
        )

    def remove_view(self, request, pk: int):
        reason = request.POST.get("reason", "")
        return self._decide(
            request,
            pk,
            "remove_listing",
            lambda: services.remove_listing(actor=request.user, listing_id=pk, reason=reason),
            gettext("Listing removed."),
        )

    def restore_view(self, request, pk: int):
        reason = request.POST.get("reason", "")
        return self._decide(
            request,
            pk,
            "remove_listing",
            lambda: services.restore_listing(moderator=request.user, listing_id=pk, reason=reason),
            gettext("Listing restored."),
        )

    def feature_view(self, request, pk: int):
        featured = request.POST.get("featured") == "1"
        return self._decide(
            request,
            pk,
            "feature_listing",
            lambda: services.set_listing_featured(
                moderator=request.user, listing_id=pk, featured=featured
            ),
            gettext("Saved."),
        )

    # ---- bulk actions (each row through the service; failures reported)

    def _bulk(self, request, queryset, call, done: str, codename: str = "review_listing"):
        if not self._can(request, codename):
            raise PermissionDenied
        ok, failed = 0, []
        for pk in queryset.order_by("pk").values_list("pk", flat=True):
            try:
                call(pk)
                ok += 1
            except ListingError as exc:
                failed.append(f"#{pk}: {exc.message}")
        if ok:
            self.message_user(request, done % {"n": ok}, messages.SUCCESS)
        for line in failed:
            self.message_user(request, line, messages.ERROR)

    @admin.action(description=_("Mark ownership proven (code seen in the bio)"))
    def action_prove_ownership(self, request, queryset):
        self._bulk(
            request,
            queryset,
            lambda pk: services.mark_ownership_proven(moderator=request.user, listing_id=pk),
            gettext("Ownership proven for %(n)s listing(s)."),
        )

    @admin.action(description=_("Approve and publish (ownership must be proven)"))
    def action_approve(self, request, queryset):
        self._bulk(
            request,
            queryset,
            lambda pk: services.approve_listing(moderator=request.user, listing_id=pk),
            gettext("%(n)s listing(s) published."),
        )


@admin.register(PendingListing)
class ReviewQueueAdmin(ListingAdminBase):
    """PENDING_REVIEW listings, oldest first, filterable by platform and age."""

    list_filter = ["platform", QueueAgeFilter, "ownership_proven"]
    ordering = ["submitted_at", "id"]

    def get_queryset(self, request):
        return super().get_queryset(request).filter(state=State.PENDING_REVIEW)

    def has_view_permission(self, request, obj=None):
        return request.user.has_perm("listings.view_listing") or super().has_view_permission(
            request, obj
        )


@admin.register(Listing)
class ListingAdmin(ListingAdminBase):
    list_filter = ["state", "platform", "ownership_proven", "featured"]
    ordering = ["-id"]


@admin.register(ListingEvent)
class ListingEventAdmin(ReadOnlyAdmin):
    system_text_fields = ("reason",)

    list_display = ["created_at", "listing", "from_state", "to_state", "actor", "reason"]
    list_filter = ["to_state"]
    list_select_related = ["listing", "actor"]
    search_fields = ["=listing__id"]
    show_full_result_count = False
