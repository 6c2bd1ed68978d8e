"""Identity verification: the review queue, every submission, impersonation flags."""

from __future__ import annotations

import copy

from django.contrib import admin, messages
from django.contrib.admin.views.main import SEARCH_VAR
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponseNotAllowed
from django.shortcuts import redirect
from django.urls import path, reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.html import format_html, format_html_join
from django.utils.timesince import timesince
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from kernel import punctuation

from .. import documents, selectors, services
from ..countries import COUNTRY_NAMES
from ..exceptions import AccountsError
from ..forms import ModeratorDecisionForm, ReasonForm
from ..models import (
    IdentityVerification,
    ImpersonationFlag,
    PendingVerification,
)
from .common import REVIEW_PERMISSION, ReadOnlyAdmin, reason_action


def _country_label(code: str) -> str:
    """ "英国（GB）" / "United Kingdom (GB)": brackets of the reader's language."""
    name = COUNTRY_NAMES.get(code, code)
    return punctuation.bracketed(name, code)


class CountryFilter(admin.SimpleListFilter):
    """The issuing countries submitted so far, by name (the rows keep ISO codes)."""

    title = _("issuing country")
    parameter_name = "country"

    def lookups(self, request, model_admin):
        codes = model_admin.get_queryset(request).order_by().values_list("country", flat=True)
        return sorted(((c, _country_label(c)) for c in set(codes)), key=lambda c: c[1])

    def queryset(self, request, queryset):
        return queryset.filter(country=self.value()) if self.value() else queryset


# ------------------------------------------------------------- identity verification


class DocumentNumberFilter(admin.SimpleListFilter):
    """Filters by the keyed hash of a document number (set by the search box)."""

    title = _("document number")
    parameter_name = "document"

    def lookups(self, request, model_admin):
        return ()

    def has_output(self):
        return False

    def queryset(self, request, queryset):
        if self.value():
            return queryset.filter(document_number_hash=self.value())
        return queryset


def _warning_list(verifications, *columns):
    """Other verifications a moderator should see beside this one, each linked, by
    its owner's e-mail and ``columns`` (verification → text); "None" when none."""
    verifications = list(verifications)
    if not verifications:
        return gettext("None")
    return format_html(
        '<ul class="identity-warning">{}</ul>',
        format_html_join(
            "",
            '<li><a href="{}">{}</a>' + " — {}" * len(columns) + "</li>",
            (
                (
                    reverse("admin:accounts_identityverification_change", args=[o.pk]),
                    o.user.email,
                    *(column(o) for column in columns),
                )
                for o in verifications
            ),
        ),
    )


class VerificationAdminBase(ReadOnlyAdmin):
    """Read-only detail with the document images (permission-checked view) and, for
    reviewers, the approve / reject / revoke form."""

    change_form_template = "admin/accounts/identityverification/change_form.html"
    list_select_related = ["user", "decided_by"]
    system_text_fields = ("decision_reason",)  # "Validity period ended." by the job
    search_fields = ["user__email", "user__display_name", "legal_name", "document_last4"]
    fields = [
        "user_link",
        "state",
        "provider",
        "provider_reference",
        "legal_name",
        "document_type",
        "document_masked",
        "date_of_birth",
        "age_today",
        "country_name",
        "submitted_at",
        "decided_at",
        "decided_by",
        "decision_reason",
        "expires_at",
        "reminder_sent_at",
        "ended_at",
        "same_document_elsewhere",
        "other_birth_dates",
        "document_preview",
    ]
    readonly_fields = fields

    class Media:
        css = {"all": ["accounts/admin-verification.css"]}

    def changelist_view(self, request, extra_context=None):
        """A full document number typed into the search box is swapped for its keyed
        hash before anything renders, so moderators can look a number up without it
        being echoed in the page or its links."""
        normalised = documents.normalise_document_number(request.GET.get(SEARCH_VAR, ""))
        if normalised.isalnum() and len(normalised) >= 6 and sum(map(str.isdigit, normalised)) >= 5:
            params = request.GET.copy()
            del params[SEARCH_VAR]
            params[DocumentNumberFilter.parameter_name] = services.documents_hash(normalised)
            return redirect(f"{request.path}?{params.urlencode()}")
        return super().changelist_view(request, extra_context)

    @admin.display(description=_("user"), ordering="user__email")
    def user_link(self, obj):
        url = reverse("admin:accounts_user_change", args=[obj.user_id])
        return format_html('<a href="{}">{}</a>', url, obj.user.email)

    @admin.display(description=_("document number"), ordering="document_last4")
    def document_masked(self, obj):
        return obj.masked_number

    @admin.display(description=_("age today"))
    def age_today(self, obj):
        return documents.age_on(obj.date_of_birth, documents.platform_today())

    @admin.display(description=_("issuing country"), ordering="country")
    def country_name(self, obj):
        return _country_label(obj.country)

    @admin.display(description=_("same document on other accounts"))
    def same_document_elsewhere(self, obj):
        return _warning_list(
            selectors.same_document_elsewhere(obj), lambda o: o.get_state_display()
        )

    @admin.display(description=_("other dates of birth declared for this document"))
    def other_birth_dates(self, obj):
        return _warning_list(
            selectors.other_birth_dates_declared(obj),
            lambda o: date_format(o.date_of_birth),
            lambda o: o.get_state_display(),
        )

    @admin.display(description=_("images"))
    def document_preview(self, obj):
        parts = []
        for kind, label, field in (
            ("document", gettext("Document"), obj.document_image),
            ("selfie", gettext("Selfie"), obj.selfie_image),
        ):
            if field:
                url = reverse("accounts:verification_image", args=[obj.pk, kind])
                parts.append(
                    format_html(
                        '<figure class="identity-image"><a href="{0}" target="_blank" '
                        'rel="noopener"><img src="{0}" alt="{1}"></a><figcaption>{1}'
                        "</figcaption></figure>",
                        url,
                        label,
                    )
                )
        if not parts:
            return gettext("No image (collected by the identity provider)")
        return format_html_join("", "{}", ((p,) for p in parts))

    @admin.display(description=_("state"), ordering="state")
    def state_badge(self, obj):
        return obj.get_state_display()

    def get_urls(self):
        info = self.opts.app_label, self.opts.model_name
        return [
            path(
                "<int:object_id>/decide/",
                self.admin_site.admin_view(self.decide_view),
                name=f"{info[0]}_{info[1]}_decide",
            ),
            *super().get_urls(),
        ]

    def render_change_form(self, request, context, *args, obj=None, **kwargs):
        context["can_review"] = request.user.has_perm(REVIEW_PERMISSION)
        context.setdefault("decision_form", ModeratorDecisionForm())
        context["decide_url"] = (
            reverse(f"admin:accounts_{self.opts.model_name}_decide", args=[obj.pk]) if obj else ""
        )
        return super().render_change_form(request, context, *args, obj=obj, **kwargs)

    def _review_again(self, request, object_id, form):
        """The review page again with the reason as typed and its error beside it
        (the admin's change view renders only on GET)."""
        as_get = copy.copy(request)
        as_get.method = "GET"
        return self.change_view(as_get, str(object_id), extra_context={"decision_form": form})

    def decide_view(self, request, object_id: int):
        if request.method != "POST":
            return HttpResponseNotAllowed(["POST"])
        if not request.user.has_perm(REVIEW_PERMISSION):
            raise PermissionDenied
        if not IdentityVerification.objects.filter(pk=object_id).exists():
            raise Http404
        form = ModeratorDecisionForm(request.POST)
        if not form.is_valid():
            if "decision" in form.errors:
                messages.error(request, gettext("Choose a decision."))
            return self._review_again(request, object_id, form)
        decision, reason = form.cleaned_data["decision"], form.cleaned_data["reason"]
        action = {
            "approve": services.approve_verification,
            "reject": services.reject_verification,
            "revoke": services.revoke_verification,
        }[decision]
        try:
            action(verification_id=object_id, actor=request.user, reason=reason)
        except AccountsError as exc:
            # The review page again, the reason as typed and the error beside it
            # (the admin's change view renders only on GET).
            form.add_error("reason", exc.message)
            return self._review_again(request, object_id, form)
        messages.success(
            request,
            {
                "approve": gettext("Verification approved; the user has been told."),
                "reject": gettext("Verification rejected; the user has been told why."),
                "revoke": gettext("Verification revoked; the user has been told why."),
            }[decision],
        )
        return redirect("admin:accounts_pendingverification_changelist")


@admin.register(PendingVerification)
class PendingVerificationAdmin(VerificationAdminBase):
    """The review queue: oldest first."""

    list_display = [
        "user_email",
        "legal_name",
        "document_type",
        "document_masked",
        "country_name",
        "submitted_at",
        "waiting",
        "duplicate_warning",
    ]
    list_filter = [DocumentNumberFilter, "document_type", CountryFilter, "provider"]
    ordering = ["submitted_at", "id"]

    def get_queryset(self, request):
        return super().get_queryset(request).filter(state=IdentityVerification.State.PENDING)

    @admin.display(description=_("user"), ordering="user__email")
    def user_email(self, obj):
        return obj.user.email

    @admin.display(description=_("waiting"))
    def waiting(self, obj):
        return timesince(obj.submitted_at, timezone.now())

    @admin.display(description=_("same document elsewhere"), boolean=True)
    def duplicate_warning(self, obj):
        return (
            IdentityVerification.objects.filter(
                document_number_hash=obj.document_number_hash,
                document_scope=obj.document_scope,
            )
            .exclude(user_id=obj.user_id)
            .exists()
        )


@admin.register(IdentityVerification)
class IdentityVerificationAdmin(VerificationAdminBase):
    """Every submission, whatever its state (revoke a verified one from here)."""

    list_display = [
        "submitted_at",
        "user",
        "state",
        "document_type",
        "document_masked",
        "country_name",
        "expires_at",
        "decided_by",
    ]
    list_filter = [DocumentNumberFilter, "state", "document_type", "provider", CountryFilter]
    date_hierarchy = "submitted_at"


@admin.register(ImpersonationFlag)
class ImpersonationFlagAdmin(ReadOnlyAdmin):
    """Possible impersonations: a document number verified for one account was
    submitted by another. Open flags first."""

    change_form_template = "admin/accounts/impersonationflag/change_form.html"
    list_display = ["created_at", "user_email", "existing_user_email", "document_masked", "is_open"]
    list_filter = [("resolved_at", admin.EmptyFieldListFilter)]
    list_select_related = ["user", "existing_user"]
    search_fields = ["user__email", "existing_user__email", "document_last4"]
    ordering = ["-created_at"]
    fields = [
        "created_at",
        "user",
        "attempt_link",
        "existing_user",
        "existing_link",
        "document_masked",
        "resolved_at",
        "resolved_by",
        "resolution",
    ]
    readonly_fields = fields

    @admin.display(description=_("document number"))
    def document_masked(self, obj):
        return f"···{obj.document_last4}"

    @admin.display(description=_("account that submitted the document"), ordering="user__email")
    def user_email(self, obj):
        return obj.user.email

    @admin.display(description=_("account already verified with it"))
    def existing_user_email(self, obj):
        return obj.existing_user.email if obj.existing_user else "—"

    @admin.display(description=_("open"), boolean=True)
    def is_open(self, obj):
        return obj.resolved_at is None

    def _verification_link(self, verification):
        if verification is None:
            return "—"
        url = reverse("admin:accounts_identityverification_change", args=[verification.pk])
        return format_html('<a href="{}">{}</a>', url, verification)

    @admin.display(description=_("refused submission"))
    def attempt_link(self, obj):
        return self._verification_link(obj.attempt)

    @admin.display(description=_("verification it collides with"))
    def existing_link(self, obj):
        return self._verification_link(obj.existing)

    def get_urls(self):
        return [
            path(
                "<int:object_id>/review/",
                self.admin_site.admin_view(self.review_view),
                name="accounts_impersonationflag_review",
            ),
            *super().get_urls(),
        ]

    def render_change_form(self, request, context, *args, **kwargs):
        context["can_review"] = request.user.has_perm(REVIEW_PERMISSION)
        context["reason_form"] = ReasonForm()
        return super().render_change_form(request, context, *args, **kwargs)

    def review_view(self, request, object_id: int):
        return reason_action(
            request,
            permission=REVIEW_PERMISSION,
            act=lambda note: services.resolve_impersonation_flag(
                flag_id=object_id, actor=request.user, note=note
            ),
            missing=ImpersonationFlag.DoesNotExist,
            no_reason=gettext("Write what you found."),
            done=gettext("Marked as reviewed."),
            back=reverse("admin:accounts_impersonationflag_change", args=[object_id]),
        )
