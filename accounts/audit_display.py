"""The audit log in the reader's language: what each recorded action is, and the
before/after snapshots as labelled values. The rows keep the action codes and the
JSON as recorded (search and exports use them)."""

from __future__ import annotations

import functools

from django.apps import apps
from django.utils import translation
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext_lazy as _

from kernel import punctuation
from kernel.admin_display import when, yes_no

#: Every action ``record_audit`` is called with; an action not listed shows its code.
ACTIONS = {
    "accounts.data_exported": _("Personal data exported"),
    "accounts.impersonation.flagged": _("Possible impersonation flagged"),
    "accounts.impersonation.reviewed": _("Possible impersonation reviewed"),
    "accounts.user.closed": _("Account closed"),
    "accounts.user.marked_minor": _("Account marked as a minor's"),
    "accounts.user.minor_mark_lifted": _("Minor mark lifted"),
    "accounts.verification.approved": _("Identity check approved"),
    "accounts.verification.rejected": _("Identity check rejected"),
    "accounts.verification.revoked": _("Identity check revoked"),
    "accounts.verification.document_viewed": _("Identity document viewed"),
    "accounts.verification.documents_deleted": _("Identity documents deleted"),
    "accounts.verification.expired": _("Identity check expired"),
    "escrow.credentials_erased": _("Account credentials erased"),
    "escrow.credentials_viewed": _("Account credentials viewed"),
    "escrow.dispute_decided": _("Dispute decided"),
    "escrow.manual_payout_recorded": _("Manual payout recorded"),
    "escrow.payout_details_changed": _("Payout details changed"),
    "escrow.watch_ended": _("Deal watch ended"),
    "escrow.watched_deal_refunded": _("Watched deal refunded"),
    "governance.appeal_upheld": _("Appeal upheld"),
    "governance.appeal_rejected": _("Appeal rejected"),
    "governance.case_opened": _("Case opened"),
    "governance.report_claimed": _("Case claimed"),
    "governance.report_confirmed": _("Case confirmed"),
    "governance.report_dismissed": _("Case dismissed"),
    "governance.report_released": _("Case claim released"),
    "governance.rule_changed": _("Rule changed"),
    "governance.rule_created": _("Rule created"),
    "governance.user_frozen": _("User frozen"),
    "listing.approve": _("Listing approved"),
    "listing.feature": _("Listing featured"),
    "listing.unfeature": _("Listing no longer featured"),
    "listing.ownership_proven": _("Listing ownership proven"),
    "listing.reject": _("Listing rejected"),
    "listing.remove": _("Listing removed"),
    "listing.restore": _("Listing restored"),
}

#: What each kind of queued e-mail is (``accounts.outbox.email_kind`` names).
EMAIL_KINDS = {
    "accounts.verification_approved": _("Identity check approved"),
    "accounts.verification_rejected": _("Identity check rejected"),
    "accounts.verification_revoked": _("Identity check revoked"),
    "accounts.verification_reminder": _("Identity check expiring soon"),
    "accounts.verification_expired": _("Identity check expired"),
    "governance.statements": _("Statements of reasons"),
    "governance.report_outcome": _("Outcome of a report"),
    "governance.appeal_outcome": _("Outcome of an appeal"),
    "listings.saved_search_alert": _("Saved search alert"),
}

#: Snapshot keys that are no field of the target.
KEYS = {
    "document": _("document number"),
    "anonymised": _("anonymised"),
    "deleted": _("deleted"),
    "resolved": _("reviewed"),
    "points_lost_half": _("points deducted"),
    "points_half": _("points deducted (half-points)"),
    "is_minor": _("marked as a minor"),
    "is_active": _("active"),
    "version": _("version"),
    "user": _("user"),
    "sanctions": _("sanctions"),
    "sanction": _("sanction"),
    "violation": _("violation"),
    "report": _("report"),
    "rule": _("rule"),
}

APPS = ("accounts", "governance", "listings", "escrow")


def action_label(code: str) -> str:
    return str(ACTIONS.get(code, code))


def email_kind_label(code: str) -> str:
    return str(EMAIL_KINDS.get(code, code)) if code else "—"


def values_html(data):
    """A dict of values (an e-mail's parameters) as labelled lines, not JSON."""
    if not isinstance(data, dict) or not data:
        return "—" if not data else str(data)
    sep = punctuation.colon()
    return format_html_join(
        "", "<div>{}{}{}</div>", ((_key(None, k), sep, _value(None, k, v)) for k, v in data.items())
    )


@functools.cache
def _all_choices() -> dict[str, object]:
    """Every code of a fixed set in our models → its label, where the code means
    one thing only (a code two fields name differently is left as it is)."""
    seen: dict[str, set[str]] = {}
    labels: dict[str, object] = {}
    with translation.override(None):  # compare the message ids
        for model in apps.get_models():
            if model._meta.app_label not in APPS:
                continue
            for field in model._meta.concrete_fields:
                if field.is_relation:
                    continue  # a relation's "choices" are its rows
                for code, label in field.flatchoices or ():
                    if isinstance(code, str) and code:
                        seen.setdefault(code, set()).add(str(label))
                        labels[code] = label
    return {code: labels[code] for code, names in seen.items() if len(names) == 1}


def _field(model, key):
    if model is None:
        return None
    try:
        return model._meta.get_field(key)
    except Exception:  # noqa: BLE001 - a key that is no field of the model
        return None


def _value(model, key, value) -> str:
    if isinstance(value, bool) or value is None:
        return yes_no(value)
    if isinstance(value, list):
        return punctuation.list_separator().join(_value(model, key, v) for v in value) or "—"
    if isinstance(value, dict):
        sep = punctuation.colon()
        return "; ".join(f"{k}{sep}{_value(model, k, v)}" for k, v in value.items())
    field = _field(model, key)
    if field is not None and not field.is_relation and field.flatchoices:
        label = dict(field.flatchoices).get(value)
        if label is not None:
            return str(label)
    if isinstance(value, str):
        if value in _all_choices():
            return str(_all_choices()[value])
        if len(value) >= 10 and value[4:5] == "-" and value[:4].isdigit():
            return when(value)
    return str(value)


def _key(model, key) -> str:
    field = _field(model, key)
    if field is not None and hasattr(field, "verbose_name"):
        return str(field.verbose_name)
    return str(KEYS.get(key, key.replace("_", " ")))


def changes_html(entry):
    """Before → after, one line per key, labelled and in words."""
    model = entry.target_type.model_class() if entry.target_type_id else None
    before, after = entry.before or {}, entry.after or {}
    if not isinstance(before, dict) or not isinstance(after, dict):
        return format_html("{} → {}", str(before), str(after))
    keys = list(dict.fromkeys([*before, *after]))
    if not keys:
        return "—"
    rows = (
        (
            _key(model, k),
            _value(model, k, before[k]) if k in before else "—",
            _value(model, k, after[k]) if k in after else "—",
        )
        for k in keys
    )
    return format_html(
        "<table><tr><th></th><th>{}</th><th>{}</th></tr>{}</table>",
        _("before"),
        _("after"),
        format_html_join("", "<tr><td>{}</td><td>{}</td><td>{}</td></tr>", rows),
    )
