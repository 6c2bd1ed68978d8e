"""The moderators' admin site.

Login goes through allauth (``secure_admin_login``), so the admin gets allauth's
rate limits and MFA prompt. Only staff whose session passed the second factor
(``accounts.permissions.is_acting_staff``) get in: staff without an authenticator
are sent to set one up, staff who signed in some other way (a password only) are
asked for a code first.

The index opens on the queues: what waits for a moderator, counted, each linked
to its filtered changelist. A queue appears only when its model is installed and
the moderator may view it, so a missing app (or permission) never breaks the page.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from functools import wraps

from allauth.account.decorators import secure_admin_login
from allauth.mfa.utils import is_mfa_enabled
from django.apps import apps
from django.contrib import admin, messages
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.core.exceptions import ValidationError
from django.db.models import Q
from django.http import HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from accounts.permissions import is_acting_staff

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class QueueSpec:
    """One queue: a model, the rows that wait, the changelist filter that shows them."""

    key: str
    label: str
    hint: str
    model: str  # "app_label.ModelName"
    waiting: Q
    query: str = ""  # appended to the changelist URL
    urgent_after: int = 1  # counts at or above this are highlighted
    #: Fields naming users who may NOT take the row (e.g. who made the decision
    #: appealed, or the appellant): rows they cannot take are not counted for them.
    not_for: tuple[str, ...] = ()


QUEUES: tuple[QueueSpec, ...] = (
    QueueSpec(
        key="verifications",
        label=_("Identity checks to review"),
        hint=_("Compare the document with the declared name and birth date."),
        model="accounts.PendingVerification",
        waiting=Q(state="pending"),
    ),
    QueueSpec(
        key="listings",
        label=_("Listings in review"),
        hint=_("Check the ownership code in the bio, then approve or reject with a reason."),
        model="listings.PendingListing",
        waiting=Q(state="PENDING_REVIEW"),
    ),
    QueueSpec(
        key="reports",
        label=_("Open reports"),
        hint=_("Claim a case, read the evidence, confirm or dismiss."),
        model="governance.Report",
        waiting=Q(status__in=["open", "claimed"]),
        query="queue=pending",
    ),
    QueueSpec(
        key="disputes",
        label=_("Open disputes"),
        hint=_("Read both sides and the deal timeline, then decide: release, refund or split."),
        model="escrow.Dispute",
        waiting=Q(status="open"),
        query="status__exact=open",
    ),
    QueueSpec(
        key="appeals",
        label=_("Appeals to decide"),
        hint=_("Another moderator made the decision: you decide the appeal."),
        model="governance.Appeal",
        waiting=Q(status="pending"),
        query="to_decide=me",
        not_for=("violation__decided_by", "user"),
    ),
    QueueSpec(
        key="payouts",
        label=_("Payouts needing an operator"),
        hint=_("Failed transfers and manual bank transfers to record."),
        model="escrow.Payout",
        waiting=Q(status__in=["failed", "needs_attention", "manual"]),
        query="status__exact=needs_attention",
    ),
)


class HandoffAdminSite(admin.AdminSite):
    site_header = _("Handoff moderation")
    site_title = _("Handoff moderation")
    index_title = _("Queues and records")
    index_template = "admin/handoff_index.html"

    def has_permission(self, request) -> bool:
        return bool(super().has_permission(request) and is_acting_staff(request.user))

    def login(self, request, extra_context=None):
        user = request.user
        if user.is_authenticated and user.is_active and user.is_staff and not is_acting_staff(user):
            return render(
                request,
                "admin/mfa_required.html",
                {"mfa_enabled": is_mfa_enabled(user), "next": _admin_next(request)},
                status=403,
            )
        return secure_admin_login(super().login)(request, extra_context)

    def admin_view(self, view, cacheable=False):
        """Django's wrapper, plus: an action posted on ids the model's key cannot
        hold (``abc``, ``1.5``, a NUL) is sent back to the list with Django's own
        "no items selected" warning. The changelist passes them to
        ``filter(pk__in=…)``, which raised ``ValueError``: a 500 on every
        ModelAdmin with actions."""
        inner = super().admin_view(view, cacheable)
        # ModelAdmin.get_urls passes its bound views (changelist_view …).
        model_admin = getattr(view, "__self__", None)
        if not isinstance(model_admin, admin.ModelAdmin):
            return inner

        @wraps(inner)
        def checked(request, *args, **kwargs):
            if (
                request.method == "POST"
                and self.has_permission(request)
                and not _valid_ids(model_admin.model, request.POST.getlist(ACTION_CHECKBOX_NAME))
            ):
                messages.warning(
                    request,
                    gettext(
                        "Items must be selected in order to perform actions on them. No items "
                        "have been changed."
                    ),
                )
                return HttpResponseRedirect(request.get_full_path())
            return inner(request, *args, **kwargs)

        return checked

    def index(self, request, extra_context=None):
        extra_context = {**(extra_context or {}), "queues": self.queues(request)}
        return super().index(request, extra_context)

    def queues(self, request) -> list[dict]:
        """What waits, for the queues this moderator may see (one COUNT each)."""
        rows = []
        for spec in QUEUES:
            try:
                model = apps.get_model(spec.model)
            except LookupError:
                continue
            model_admin = self._registry.get(model)
            if model_admin is None or not model_admin.has_view_or_change_permission(request):
                continue
            try:
                rows_waiting = model._default_manager.filter(spec.waiting)
                for field in spec.not_for:
                    rows_waiting = rows_waiting.exclude(**{field: request.user})
                count = rows_waiting.count()
                url = reverse(
                    f"{self.name}:{model._meta.app_label}_{model._meta.model_name}_changelist"
                )
            except Exception:  # noqa: BLE001 - a queue never breaks the index
                logger.exception("admin queue %s could not be counted", spec.key)
                continue
            rows.append(
                {
                    "key": spec.key,
                    "label": spec.label,
                    "hint": spec.hint,
                    "count": count,
                    "url": f"{url}?{spec.query}" if _filterable(model_admin, spec.query) else url,
                    "urgent": count >= spec.urgent_after,
                }
            )
        return rows


def _valid_ids(model, values: list[str]) -> bool:
    """Whether every value is something ``model``'s primary key can hold."""
    field = model._meta.pk
    for value in values:
        if "\x00" in value:
            return False
        try:
            field.to_python(value)
        except ValidationError:
            return False
    return True


def _admin_next(request) -> str:
    """Where the admin wanted to go (a path on this site), else its index."""
    target = request.GET.get("next", "")
    if target.startswith("/admin/") and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return reverse("admin:index")


def _filterable(model_admin, query: str) -> bool:
    """Whether the changelist accepts ``query`` (an unknown parameter makes the
    admin answer with an error page, so a queue link only carries filters that exist)."""
    if not query:
        return False
    key = query.split("=", 1)[0]
    names = set()
    for entry in model_admin.list_filter:
        if isinstance(entry, str):
            names.add(entry)
        elif isinstance(entry, tuple | list):
            names.add(entry[0])
        else:
            names.add(getattr(entry, "parameter_name", None))
    return key in names or key.removesuffix("__exact") in names
