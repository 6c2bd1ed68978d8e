"""The access matrix: every URL pattern of the site, requested as every role, with
real objects that belong to someone else. The expected outcomes live in ``MATRIX``,
one table; a URL pattern missing from it fails the test, so a new view cannot be
forgotten.

Columns (``tests.security.world.ROLES``):
    anon · buyer (Bob) · party (Alice: Bob's counterpart, owner of the listings,
    verification, appeal) · third (Carol) · seller (Dave) · mod · admin

Adding a view? Add a row: ``"app:name": [C(get="…7 outcomes…", post="…" or None,
kw={"pk": "deal_funded"})]`` — objects by their key in ``world.build_world``.
Generated ModelAdmin URLs (changelist, add, change, history, delete) are covered
by one rule (``admin_model_expectation``): nobody but staff gets in, a moderator
only where the Moderators group holds a permission, never a 500. Custom admin views
are listed explicitly.
"""

from __future__ import annotations

import os
import re

import pytest
from allauth.account.models import EmailAddress, EmailConfirmationHMAC
from django.apps import apps
from django.contrib.auth.models import Group
from django.test import Client

from accounts.permissions import MODERATORS_GROUP
from tests.totp import force_login_with_second_factor

from . import figures
from .access import (
    ALLOWED,
    MFA_LESS_STAFF,
    C,
    build_path,
    classify,
    diff,
    fingerprint,
    lit,
    resolve_kwargs,
    staff_expectation,
)
from .access import url_patterns as all_patterns
from .world import ROLES, build_world

pytestmark = pytest.mark.django_db

PUBLIC = "200 200 200 200 200 200 200"
SIGNED_IN = "login 200 200 200 200 200 200"
DEAL_GET = "login 200 200 404 404 404 404"  # both parties; 404 for everyone else
BUYER_ONLY_POST = "login . 404 404 404 404 404"  # get_deal_for_user + buyer check
SELLER_OWN = "login 404 200 404 404 404 404"  # a seller page of Alice's listing
SELLER_OWN_POST = "login 404 . 404 404 404 404"
ADMIN_CUSTOM = "alogin alogin alogin alogin alogin {mod} {admin}"


def _confirm_key(world):
    address = EmailAddress.objects.get(user=world.users["buyer"])
    return EmailConfirmationHMAC(address).key


def _reset_key(world):
    from allauth.account.forms import default_token_generator
    from allauth.account.utils import user_pk_to_url_str

    user = world.users["buyer"]
    return f"{user_pk_to_url_str(user)}-{default_token_generator.make_token(user)}"


def _ct(app_label, model):
    from django.contrib.contenttypes.models import ContentType

    return lambda world: ContentType.objects.get(app_label=app_label, model=model).pk


def _report_user(world):
    return world["ct_user"].pk


def _report_listing(world):
    return world["ct_listing"].pk


# fmt: off
MATRIX: dict[str, list[C]] = {
    # ---------------------------------------------------------------- site
    "home": [C(PUBLIC)],
    "healthz": [C(PUBLIC)],
    "robots_txt": [C(PUBLIC, post="405 405 405 405 405 405 405")],
    "sitemap": [C(PUBLIC)],
    "sitemap_section": [C(PUBLIC, kw={"section": lit("listings")}), C(PUBLIC, kw={"section": lit("sellers")}), C(PUBLIC, kw={"section": lit("pages")}), C("404 404 404 404 404 404 404", kw={"section": lit("users")}, note="no such section")],
    "pages:terms": [C(PUBLIC, post="405 405 405 405 405 405 405")],
    "pages:privacy": [C(PUBLIC, post="405 405 405 405 405 405 405")],
    "pages:how_it_works": [C(PUBLIC, post="405 405 405 405 405 405 405")],
    "pages:contact": [C(PUBLIC, post="405 405 405 405 405 405 405")],
    # Only with "Authorization: Bearer $METRICS_TOKEN" (tests/deploy/test_metrics.py).
    "metrics": [C("404 404 404 404 404 404 404")],
    "set_language": [C("302 302 302 302 302 302 302", post=". . . . . . .")],
    "switch_language": [C("302 302 302 302 302 302 302", post="405 405 405 405 405 405 405")],
    "^media/(?P<path>.*)$": [
        # Public media only: a PUBLISHED listing's screenshot under its random name.
        C(PUBLIC, kw={"path": lambda w: w["screenshot_published"].image.name}),
        C(PUBLIC, kw={"path": lambda w: w["screenshot_published"].thumbnail.name}),
        # A listing that is not public has none (its files are private).
        C("404 404 404 404 404 404 404", kw={"path": lambda w: w["screenshot"].image.name}),
        C("404 404 404 404 404 404 404", kw={"path": lambda w: w["screenshot_removed"].thumbnail.name}),
        # Private files (documents, appeal files) have no public URL at all.
        C("404 404 404 404 404 404 404", kw={"path": lambda w: w["verification"].document_image.name}),
        C("404 404 404 404 404 404 404", kw={"path": lambda w: w["appeal_file"].file.name}),
    ],
    # ------------------------------------------------------------- allauth
    "account_login": [C("200 302 302 302 302 302 302", post=". . . . . . .")],
    "account_logout": [C("302 200 200 200 200 200 200", post=". . . . . . .")],
    "account_inactive": [C(PUBLIC)],
    "account_signup": [C("200 302 302 302 302 302 302", post=". . . . . . .")],
    "account_reauthenticate": [C("login 200 200 200 200 200 200", post="login . . . . . .")],
    "account_email": [C(SIGNED_IN, post="login . . . . . .")],
    "account_email_verification_sent": [C(PUBLIC)],
    "account_change_password": [C(SIGNED_IN, post="login . . . . . .")],
    "account_set_password": [C("login 302 302 302 302 302 302", post="login . . . . . .")],
    "account_reset_password": [C(PUBLIC, post=". . . . . . .")],
    "account_confirm_login_code": [C("login 302 302 302 302 302 302")],
    "account_confirm_email": [C(PUBLIC, post=". . . . . . .", kw={"key": _confirm_key})],
    "account_reset_password_from_key_done": [C(PUBLIC)],
    "account_reset_password_from_key": [C("302 302 302 302 302 302 302", kw={"uidb36": lambda w: _reset_key(w).split("-", 1)[0], "key": lambda w: _reset_key(w).split("-", 1)[1]})],
    "account_reset_password_done": [C(PUBLIC)],
    "mfa_index": [C(SIGNED_IN)],
    "mfa_authenticate": [C("login 302 302 302 302 302 302")],
    "mfa_reauthenticate": [C("login reauth reauth reauth reauth 200 200")],
    "mfa_activate_totp": [C("login reauth reauth reauth reauth reauth reauth", post="login reauth reauth reauth reauth reauth reauth")],
    "mfa_deactivate_totp": [C("login 404 404 404 404 reauth reauth", post="login 404 404 404 404 reauth reauth")],
    "mfa_view_recovery_codes": [C("login 404 404 404 404 404 404")],
    "mfa_generate_recovery_codes": [C("login reauth reauth reauth reauth reauth reauth", post="login reauth reauth reauth reauth reauth reauth")],
    "mfa_download_recovery_codes": [C("login 404 404 404 404 404 404")],
    # ------------------------------------------------------------ accounts
    "accounts:profile": [C(SIGNED_IN, post="login . . . . . .")],
    "accounts:verify": [C(SIGNED_IN, post="login . . . . . .")],
    # own data only (no pk), behind allauth re-authentication
    "accounts:export_data": [C("login reauth reauth reauth reauth reauth reauth")],
    "accounts:close_account": [C("login reauth reauth reauth reauth reauth reauth", post="login reauth reauth reauth reauth reauth reauth")],
    "accounts:verification_image": [
        # Alice's document: Alice and moderators with MFA and the document permission.
        C("404 404 200 404 404 200 200", kw={"pk": "verification", "kind": lit("document")}),
        C("404 404 404 404 404 404 404", kw={"pk": "verification", "kind": lit("passport")}),
    ],
    "accounts:stripe_identity_webhook": [C("405 405 405 405 405 405 405", post="404 404 404 404 404 404 404")],
    # ---------------------------------------------------------- governance
    "governance:report": [
        C(PUBLIC.replace("200", "login", 1), post="login . 200 . . . .", kw={"content_type_id": _report_user, "object_id": "party"}, note="reporting oneself: a form error, nothing written"),
        C(PUBLIC.replace("200", "login", 1), post="login . 200 . . . .", kw={"content_type_id": _report_listing, "object_id": "listing_published"}),
        # A listing buyers cannot see is not reportable by them: 404, nothing written.
        C("login 404 200 404 404 200 200", post="login 404 200 404 404 . .", kw={"content_type_id": _report_listing, "object_id": "listing_draft"}),
        # A model that is not reportable (a verification) is 404 for everyone.
        C("login 404 404 404 404 404 404", post="login 404 404 404 404 404 404", kw={"content_type_id": _ct("accounts", "identityverification"), "object_id": "verification"}),
    ],
    "governance:my_reports": [C(SIGNED_IN)],
    "governance:standing": [C(SIGNED_IN)],
    "governance:statement": [C("login 404 200 404 404 404 404", kw={"pk": "statement"})],
    "governance:appeal": [C("login 404 200 404 404 404 404", post="login 404 . 404 404 404 404", kw={"violation_id": "violation"})],
    "governance:appeal_file": [C("login 404 200 404 404 200 200", kw={"pk": "appeal_file"})],
    "governance:transparency": [C(PUBLIC)],
    # ------------------------------------------------------------ listings
    "listings:catalogue": [C(PUBLIC)],
    "listings:detail": [
        C(PUBLIC, kw={"pk": "listing_published"}),
        C("404 404 200 404 404 200 200", kw={"pk": "listing_draft"}),
        C("404 404 200 404 404 200 200", kw={"pk": "listing_pending_review"}),
        C("404 404 200 404 404 200 200", kw={"pk": "listing_rejected"}),
        C("404 404 200 404 404 200 200", kw={"pk": "listing_removed"}),
        C("404 404 200 404 404 200 200", kw={"pk": "listing_reserved"}),
        C("404 404 200 404 404 200 200", kw={"pk": "listing_sold"}),
    ],
    # A listing's screenshot files: anyone while it is public, else its seller and moderators.
    "listings:screenshot_file": [
        C(PUBLIC, post="405 405 405 405 405 405 405", kw={"pk": "listing_published", "shot_pk": "screenshot_published", "kind": lit("image")}),
        C(PUBLIC, kw={"pk": "listing_published", "shot_pk": "screenshot_published", "kind": lit("thumb")}),
        C("404 404 200 404 404 200 200", post="405 405 405 405 405 405 405", kw={"pk": "listing_draft", "shot_pk": "screenshot", "kind": lit("image")}),
        C("404 404 200 404 404 200 200", kw={"pk": "listing_removed", "shot_pk": "screenshot_removed", "kind": lit("thumb")}),
        C("404 404 404 404 404 404 404", kw={"pk": "listing_published", "shot_pk": "screenshot", "kind": lit("image")}, note="another listing's screenshot"),
        C("404 404 404 404 404 404 404", kw={"pk": "listing_draft", "shot_pk": "screenshot", "kind": lit("original")}, note="no such kind"),
    ],
    # issue 22 (ux): watchlist and saved searches, each user's own.
    "listings:watch": [C("login 405 405 405 405 405 405", post="login . . . . . .", kw={"pk": "listing_published"})],
    "listings:save_search": [C("login 405 405 405 405 405 405", post="login . . . . . .")],
    "listings:saved_search_action": [C("login 405 405 405 405 405 405", post="login . . . . . .", kw={"search_id": lit(1)})],
    "listings:watchlist": [C(SIGNED_IN)],
    "listings:sell": [C(SIGNED_IN)],
    "listings:create": [C(SIGNED_IN, post="login . . . . . .")],
    "listings:edit_account": [C(SELLER_OWN, post=SELLER_OWN_POST, kw={"pk": "listing_draft"}), C(SELLER_OWN, post=SELLER_OWN_POST, kw={"pk": "listing_published"})],
    "listings:edit_offer": [C(SELLER_OWN, post=SELLER_OWN_POST, kw={"pk": "listing_draft"}), C(SELLER_OWN, post=SELLER_OWN_POST, kw={"pk": "listing_published"})],
    "listings:edit_screenshots": [C(SELLER_OWN, post=SELLER_OWN_POST, kw={"pk": "listing_draft"})],
    "listings:delete_screenshot": [C("login 405 405 405 405 405 405", post=SELLER_OWN_POST, kw={"pk": "listing_draft", "shot_pk": "screenshot"})],
    "listings:edit_review": [C(SELLER_OWN, post=SELLER_OWN_POST, kw={"pk": "listing_draft"}), C(SELLER_OWN, post=SELLER_OWN_POST, kw={"pk": "listing_reserved"})],
    "listings:withdraw": [C("login 405 405 405 405 405 405", post=SELLER_OWN_POST, kw={"pk": "listing_published"})],
    # -------------------------------------------------------------- escrow
    "escrow:buy": [
        C("login 405 405 405 405 405 405", post="login . 302 . . . .", kw={"listing_id": "listing_published"}),
        # Not on sale: refused with a message, nothing written.
        C("login 405 405 405 405 405 405", post="login 302 302 302 302 302 302", kw={"listing_id": "listing_draft"}),
    ],
    "escrow:my_deals": [C(SIGNED_IN)],
    "escrow:detail": [C(DEAL_GET, kw={"pk": k}) for k in ("deal_pending", "deal_funded", "deal_delivered", "deal_released")],
    "escrow:pay": [C("login 200 302 404 404 404 404", post=BUYER_ONLY_POST.replace("404 404 404 404 404", "302 404 404 404 404"), kw={"pk": "deal_pending"})],
    "escrow:authenticate": [C("login 302 302 404 404 404 404", post="login . 302 404 404 404 404", kw={"pk": "deal_pending"})],
    "escrow:pay_return": [C("login 302 302 404 404 404 404", kw={"pk": "deal_pending"})],
    "escrow:cancel": [C("login 405 405 405 405 405 405", post="login . 302 404 404 404 404", kw={"pk": "deal_pending"})],
    "escrow:handover": [C("login 302 200 404 404 404 404", post="login 302 . 404 404 404 404", kw={"pk": "deal_funded"})],
    "escrow:credentials": [C("login reauth reauth 404 404 404 404", kw={"pk": "deal_delivered"})],
    "escrow:accept": [C("login 405 405 405 405 405 405", post="login . 302 404 404 404 404", kw={"pk": "deal_delivered"})],
    "escrow:extend": [C("login 405 405 405 405 405 405", post="login . 302 404 404 404 404", kw={"pk": "deal_delivered"})],
    "escrow:payouts": [C(SIGNED_IN)],
    "escrow:payouts_connect": [C("login 405 405 405 405 405 405", post="login reauth reauth reauth reauth reauth reauth")],
    "escrow:payouts_manual": [C("login 405 405 405 405 405 405", post="login reauth reauth reauth reauth reauth reauth")],
    "escrow:stripe_webhook": [C("405 405 405 405 405 405 405", post="400 400 400 400 400 400 400")],
    "escrow:chat": [C(DEAL_GET, post="login . . 404 404 404 404", kw={"pk": "deal_funded"})],
    "escrow:message_attachment": [C("login 200 200 404 404 200 200", kw={"pk": "deal_funded", "message_id": "message"})],
    "escrow:open_dispute": [C(DEAL_GET, post="login . . 404 404 404 404", kw={"pk": "deal_delivered"})],
    "escrow:open_recovery": [C(DEAL_GET, post="login . . 404 404 404 404", kw={"pk": "deal_delivered"})],
    "escrow:answer_case": [C(DEAL_GET, post="login . . 404 404 404 404", kw={"pk": "deal_disputed"})],
    "escrow:evidence_file": [
        C("login 200 200 404 404 200 200", kw={"pk": "deal_disputed", "evidence_id": "evidence"}),
        C("login 200 200 404 404 200 200", kw={"pk": "deal_disputed", "evidence_id": "evidence_pdf"}),
        # An evidence id under another deal's URL: 404 even for its parties.
        C("login 404 404 404 404 404 404", kw={"pk": "deal_funded", "evidence_id": "evidence_pdf"}),
    ],
    "escrow:request_refund": [C("login 405 405 405 405 405 405", post="login . 302 404 404 404 404", kw={"pk": "deal_funded"})],
    "escrow:review": [C("login 405 405 405 405 405 405", post="login . 302 404 404 404 404", kw={"pk": "deal_released"})],
    "escrow:review_reply": [C("login 405 405 405 405 405 405", post="login 302 . 404 404 404 404", kw={"pk": "deal_released"})],
    "escrow:seller_profile": [
        # Only sellers (a listing ever published) have a public page; any other
        # account answers as an id that does not exist, so users cannot be enumerated.
        C(PUBLIC, kw={"user_id": "party"}),
        C(PUBLIC, kw={"user_id": "seller"}),
        C("404 404 404 404 404 404 404", kw={"user_id": "buyer"}),
        C("404 404 404 404 404 404 404", kw={"user_id": "third"}),
        C("404 404 404 404 404 404 404", kw={"user_id": "mod"}),
        C("404 404 404 404 404 404 404", kw={"user_id": "admin"}),
        C("404 404 404 404 404 404 404", kw={"user_id": "unverified"}),
        C("404 404 404 404 404 404 404", kw={"user_id": lit(999999)}),
    ],
    # --------------------------------------------------------------- admin
    "admin:index": [C(ADMIN_CUSTOM.format(mod="200", admin="200"))],
    "admin:login": [C("login 403 403 403 403 302 302", post=". . . . . . .")],
    "admin:logout": [C("302 302 302 302 302 405 405", post=". . . . . . .")],
    "admin:password_change": [C(ADMIN_CUSTOM.format(mod="200", admin="200"), post="alogin alogin alogin alogin alogin . .")],
    "admin:password_change_done": [C(ADMIN_CUSTOM.format(mod="200", admin="200"))],
    "admin:autocomplete": [C(ADMIN_CUSTOM.format(mod="403", admin="403"))],
    "admin:jsi18n": [C(ADMIN_CUSTOM.format(mod="200", admin="200"))],
    "admin:view_on_site": [C(ADMIN_CUSTOM.format(mod="404", admin="404"), kw={"content_type_id": _report_user, "object_id": "party"})],
    "admin:app_list": [C(ADMIN_CUSTOM.format(mod="200", admin="200"), kw={"app_label": lit("governance")}), C(ADMIN_CUSTOM.format(mod="404", admin="200"), kw={"app_label": lit("auth")})],
    "admin/(?P<url>.*)$": [C(ADMIN_CUSTOM.format(mod="404", admin="404"), kw={"url": lit("no-such-page/")})],
    "admin:accounts_user_lift_minor": [C(ADMIN_CUSTOM.format(mod="405", admin="405"), post="alogin alogin alogin alogin alogin . .", kw={"user_id": "party"})],
    "admin:auth_user_password_change": [C(ADMIN_CUSTOM.format(mod="403", admin="200"), post="alogin alogin alogin alogin alogin 403 .", kw={"id": "party"})],
    "admin:accounts_pendingverification_decide": [C(ADMIN_CUSTOM.format(mod="405", admin="405"), post="alogin alogin alogin alogin alogin . .", kw={"object_id": "verification"})],
    "admin:accounts_identityverification_decide": [C(ADMIN_CUSTOM.format(mod="405", admin="405"), post="alogin alogin alogin alogin alogin . .", kw={"object_id": "verification"})],
    "admin:accounts_impersonationflag_review": [C(ADMIN_CUSTOM.format(mod="405", admin="405"), post="alogin alogin alogin alogin alogin . .", kw={"object_id": lit(999999)})],
    "admin:governance_report_decide": [C(ADMIN_CUSTOM.format(mod="200", admin="200"), post="alogin alogin alogin alogin alogin . .", kw={"report_id": "report", "decision": lit("confirm")})],
    "admin:governance_report_claim": [C(ADMIN_CUSTOM.format(mod="302", admin="302"), post="alogin alogin alogin alogin alogin . .", kw={"report_id": "report"})],
    "admin:escrow_deal_watch": [C(ADMIN_CUSTOM.format(mod="200", admin="200"), post="alogin alogin alogin alogin alogin . .", kw={"deal_id": "deal_funded", "action": lit("end")})],
    "admin:escrow_operations": [C(ADMIN_CUSTOM.format(mod="302", admin="200"))],
    "admin:escrow_dispute_decide": [C(ADMIN_CUSTOM.format(mod="302", admin="302"), post="alogin alogin alogin alogin alogin . .", kw={"dispute_id": "dispute"})],
    "admin:escrow_dispute_message": [C(ADMIN_CUSTOM.format(mod="302", admin="302"), post="alogin alogin alogin alogin alogin . .", kw={"dispute_id": "dispute"})],
    # The world's moderator made the decision appealed: sent back before the form (issue 22).
    "admin:governance_appeal_decide": [C(ADMIN_CUSTOM.format(mod="302", admin="200"), post="alogin alogin alogin alogin alogin . .", kw={"appeal_id": "appeal"})],
    **{
        f"admin:listings_{model}_{action}": [C(ADMIN_CUSTOM.format(mod="405", admin="405"), post="alogin alogin alogin alogin alogin . .", kw={"pk": "listing_pending_review"})]
        for model in ("pendinglisting", "listing")
        for action in ("prove", "approve", "reject", "remove", "restore", "feature")
    },
}
# fmt: on

_ADMIN_MODEL_ROUTE = re.compile(r"^admin/(?P<app>\w+)/(?P<model>\w+)/(?P<rest>.*)$")
_GENERATED_ACTIONS = {
    "": "changelist",
    "add/": "add",
    "<path:object_id>/history/": "history",
    "<path:object_id>/delete/": "delete",
    "<path:object_id>/change/": "change",
    "<path:object_id>/": "redirect",
}


def admin_model_target(pattern):
    """(model, action) for a URL the admin generates for a ModelAdmin, else None."""
    m = _ADMIN_MODEL_ROUTE.match(pattern.route)
    if m is None or m["rest"] not in _GENERATED_ACTIONS:
        return None
    try:
        model = apps.get_model(m["app"], m["model"])
    except LookupError:
        return None
    return model, _GENERATED_ACTIONS[m["rest"]]


def admin_model_expectation(model, action: str) -> dict[str, str]:
    """Non-staff: the admin's login. Moderators: in only where their group holds a
    permission on the model (403 otherwise). Superusers: in (or a ModelAdmin's own
    refusal). The actual code is checked against these sets."""
    perms = set(
        Group.objects.get(name=MODERATORS_GROUP)
        .permissions.filter(content_type__app_label=model._meta.app_label)
        .values_list("codename", flat=True)
    )
    name = model._meta.model_name
    needed = {
        "changelist": {f"view_{name}", f"change_{name}"},
        "change": {f"view_{name}", f"change_{name}"},
        "history": {f"view_{name}", f"change_{name}"},
        "redirect": {f"view_{name}", f"change_{name}"},
        "add": {f"add_{name}"},
        "delete": {f"delete_{name}"},
    }[action]
    may = bool(perms & needed)
    out = {role: "alogin" for role in ("anon", "buyer", "party", "third", "seller")}
    out["mod"] = "in" if may else ("302" if action == "redirect" else "403")
    out["admin"] = "in"
    return out


def _matches(expected: str, actual: str) -> bool:
    if expected == "in":  # staff allowed: a page, a redirect inside the admin, or the
        return actual in {"200", "302", "403"}  # ModelAdmin's own refusal (add/delete)
    return expected == actual


def _clients(world) -> dict[str, Client]:
    clients = {}
    for role in ROLES:
        client = Client()
        user = world.users[role]
        if user is not None:
            _login(client, role, user)
        clients[role] = client
    return clients


def _object_for_admin(model):
    row = model._default_manager.order_by("pk").first()
    return row.pk if row is not None else 999999


@pytest.fixture
def world(db):
    return build_world()


def test_every_url_pattern_is_in_the_matrix():
    missing = []
    for pattern in all_patterns():
        if pattern.key in MATRIX:
            continue
        if admin_model_target(pattern) is not None:
            continue
        missing.append(f"{pattern.key!r} ({pattern.route})")
    assert not missing, "URL patterns missing from the access matrix:\n  " + "\n  ".join(missing)
    known = {p.key for p in all_patterns()}
    stale = sorted(set(MATRIX) - known)
    assert not stale, f"rows for URL patterns that no longer exist: {stale}"


def _cases(world):
    """Every case of the table, with the generated admin URLs: (pattern, kwargs,
    expected GET outcome per role, expected POST outcome per role or None). A
    pattern that is neither in ``MATRIX`` nor a generated admin URL comes back with
    ``None`` expectations."""
    for pattern in all_patterns():
        target = admin_model_target(pattern)
        if pattern.key in MATRIX:
            for case in MATRIX[pattern.key]:
                kwargs = resolve_kwargs(case, world, pattern.route)
                post = case.expected("post") if case.post else None
                yield pattern, kwargs, case.expected("get"), post
        elif target is not None:
            model, action = target
            kwargs = {}
            if "object_id" in pattern.route:
                kwargs["object_id"] = _object_for_admin(model)
            expected = admin_model_expectation(model, action)
            post = None
            if action in ("delete", "change"):
                post = {r: ("alogin" if v == "alogin" else ALLOWED) for r, v in expected.items()}
                if expected["mod"] == "403":
                    post["mod"] = "403"
            yield pattern, kwargs, expected, post
        else:
            yield pattern, {}, None, None


def test_access_matrix(world, settings):
    settings.ACCOUNT_RATE_LIMITS_ENABLED = False  # hundreds of requests per role
    discover = os.environ.get("SECURITY_MATRIX_DISCOVER") == "1"
    clients = _clients(world)
    failures: list[str] = []
    checked = 0
    for pattern, kwargs, get_expected, post_expected in _cases(world):
        if get_expected is None:
            failures.append(f"{pattern.key}: not in the matrix")
            continue
        path = build_path(pattern.route, kwargs)
        for role in ROLES:
            client = clients[role] if "logout" not in pattern.route else _fresh(world, role)
            response = client.get(path)
            actual = classify(response)
            checked += 1
            if response.status_code >= 500 or not _matches(get_expected[role], actual):
                failures.append(
                    f"GET  {path} as {role}: expected {get_expected[role]}, got {actual}"
                )
            if post_expected is None or post_expected[role] == ALLOWED:
                continue
            before = fingerprint()
            response = _fresh(world, role).post(path, {"reason": "x", "confirm": "yes"})
            actual = classify(response)
            checked += 1
            changed = diff(before, fingerprint())
            if response.status_code >= 500 or not _matches(post_expected[role], actual):
                failures.append(
                    f"POST {path} as {role}: expected {post_expected[role]}, got {actual}"
                )
            if changed:
                failures.append(f"POST {path} as {role}: refused but wrote {changed}")
    figures.record("access", checked=checked, failed=len(failures))
    if discover:
        with open("/tmp/security-matrix-discovery.txt", "w") as out:
            out.write("\n".join(failures))
    assert not failures, f"{len(failures)} of {checked} URL×role cases failed:\n  " + "\n  ".join(
        failures
    )


# ------------------------------------------------- staff without a second factor
#
# Staff whose session did not pass the second factor (a moderator or a superuser
# who signed in with a password only, with or without an authenticator set up)
# get what an ordinary user gets: every URL of the table answers them as it
# answers Carol ("third": a verified user related to nothing), so 404 for other
# people's files, deals and unpublished listings, and the admin's login for the
# admin; a refused POST writes nothing. Only allauth's own MFA pages differ for an
# account that has an authenticator: they answer as they answer the moderator.


def _mfa_less_staff():
    from allauth.mfa.models import Authenticator

    from tests.factories import VerifiedUserFactory

    from .world import TOTP_SECRET

    users = {}
    for role, (superuser, with_totp) in MFA_LESS_STAFF.items():
        user = VerifiedUserFactory(is_staff=True, is_superuser=superuser, display_name=role)
        if not superuser:
            user.groups.add(Group.objects.get(name=MODERATORS_GROUP))
        if with_totp:
            from allauth.mfa.totp.internal.auth import TOTP

            TOTP.activate(user, TOTP_SECRET)
        assert Authenticator.objects.filter(user=user).exists() == with_totp
        users[role] = user
    return users


def test_staff_without_a_second_factor_get_what_an_ordinary_user_gets(world, settings):
    settings.ACCOUNT_RATE_LIMITS_ENABLED = False
    users = _mfa_less_staff()
    clients = {}
    for role, user in users.items():
        clients[role] = Client()
        clients[role].force_login(user)  # a password-only session: no MFA record
    failures: list[str] = []
    checked = 0
    # Expectations first: a write that gets through must not change them mid-run.
    for pattern, kwargs, get_expected, post_expected in list(_cases(world)):
        if get_expected is None:
            continue  # reported by test_access_matrix
        path = build_path(pattern.route, kwargs)
        for role, user in users.items():
            expected = staff_expectation(pattern, get_expected, role)
            if "logout" in pattern.route:
                clients[role] = Client()
                clients[role].force_login(user)
            response = clients[role].get(path)
            actual = classify(response)
            checked += 1
            if response.status_code >= 500 or not _matches(expected, actual):
                failures.append(f"GET  {path} as {role}: expected {expected}, got {actual}")
            if post_expected is None or post_expected["third"] == ALLOWED:
                continue
            expected = staff_expectation(pattern, post_expected, role)
            poster = Client()
            poster.force_login(user)
            before = fingerprint()
            response = poster.post(path, {"reason": "x", "confirm": "yes"})
            actual = classify(response)
            checked += 1
            changed = diff(before, fingerprint())
            if response.status_code >= 500 or not _matches(expected, actual):
                failures.append(f"POST {path} as {role}: expected {expected}, got {actual}")
            if changed:
                failures.append(f"POST {path} as {role}: refused but wrote {changed}")
    figures.record("mfa_less_staff", checked=checked, failed=len(failures))
    assert not failures, f"{len(failures)} of {checked} URL×staff cases failed:\n  " + "\n  ".join(
        failures
    )


def _fresh(world, role) -> Client:
    client = Client()
    user = world.users[role]
    if user is not None:
        _login(client, role, user)
    return client


def _login(client, role, user) -> None:
    if role in ("mod", "admin"):
        # allauth's MFA login stage already passed: mark the session as such.
        force_login_with_second_factor(client, user)
    else:
        client.force_login(user)
