"""Plumbing of the access matrix: enumerate URL patterns, classify responses,
fingerprint the database so that a refused write is proven to have written nothing."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from django.apps import apps
from django.urls import URLPattern, URLResolver, get_resolver

from .world import ROLES

ALLOWED = "."  # in a POST expectation: an allowed role (exercised by other suites)


@dataclass(frozen=True)
class Pattern:
    route: str
    name: str | None
    callback: object

    @property
    def key(self) -> str:
        """How the table names this pattern: the URL name, or the route when unnamed."""
        return self.name or self.route


def url_patterns() -> list[Pattern]:
    """Every URL pattern the resolver knows, with its full route and namespaced name."""

    def walk(patterns, prefix="", namespace=None):
        for p in patterns:
            if isinstance(p, URLResolver):
                ns = p.namespace
                full_ns = f"{namespace}:{ns}" if namespace and ns else (ns or namespace)
                yield from walk(p.url_patterns, prefix + str(p.pattern), full_ns)
            elif isinstance(p, URLPattern):
                name = f"{namespace}:{p.name}" if namespace and p.name else p.name
                yield Pattern(prefix + str(p.pattern), name, p.callback)

    return list(walk(get_resolver().url_patterns))


_PARAM = re.compile(r"<(?:(?P<conv>[^>:]+):)?(?P<name>[^>]+)>|\(\?P<(?P<rname>\w+)>[^)]*\)")


def build_path(route: str, kwargs: dict) -> str:
    """Fill a route (path() or re_path() syntax) with ``kwargs``."""
    route = route.replace("^", "").replace("$", "")

    def fill(match):
        name = match.group("name") or match.group("rname")
        return str(kwargs[name])

    return "/" + _PARAM.sub(fill, route)


def route_params(route: str) -> list[str]:
    return [m.group("name") or m.group("rname") for m in _PARAM.finditer(route)]


@dataclass(frozen=True)
class C:
    """One case of the table: ``get`` (and ``post``) give the expected outcome for
    each role, in ``ROLES`` order, separated by spaces. Outcomes: ``200``, ``404``,
    ``403``, ``405``, ``400``, ``login`` (redirect to the login page), ``alogin``
    (the admin's login), ``reauth`` (re-authentication first), ``302`` (any other
    redirect), ``.`` (POST only: allowed, exercised by the feature and fuzz suites).
    ``post=None``: not a state-changing endpoint. ``kw``: route parameters, each an
    object of the world (by key, its pk is used) or ``lit(value)``."""

    get: str
    post: str | None = None
    kw: dict = field(default_factory=dict)
    note: str = ""

    def expected(self, which: str) -> dict[str, str]:
        spec = self.get if which == "get" else self.post
        tokens = spec.split()
        assert len(tokens) == len(ROLES), f"{spec!r} must name {len(ROLES)} outcomes"
        return dict(zip(ROLES, tokens, strict=True))


#: Staff whose session did not pass the second factor, the extra columns of
#: ``test_staff_without_a_second_factor_get_what_an_ordinary_user_gets``:
#: role → (superuser, authenticator set up).
MFA_LESS_STAFF = {
    "mod_password_only": (False, True),
    "mod_without_mfa": (False, False),
    "admin_password_only": (True, True),
}


def staff_expectation(pattern: Pattern, expected: dict, role: str) -> str:
    """What MFA-less staff get: what Carol ("third", related to nothing) gets; only
    allauth's own MFA pages answer an account with an authenticator as they answer
    the moderator."""
    if pattern.key.startswith("mfa_") and MFA_LESS_STAFF[role][1]:
        return expected["mod"]
    return expected["third"]


@dataclass(frozen=True)
class lit:  # noqa: N801 - reads as a marker in the table
    value: object


def resolve_kwargs(case: C, world, route: str) -> dict:
    out = {}
    for name, value in case.kw.items():
        if isinstance(value, lit):
            out[name] = value.value
        elif callable(value):
            out[name] = value(world)
        else:
            out[name] = world.pk(value)
    missing = set(route_params(route)) - set(out)
    assert not missing, f"{route}: no value for {sorted(missing)}"
    return out


def classify(response) -> str:
    code = response.status_code
    if code in (301, 302, 303):
        location = response["Location"]
        if location.startswith("/admin/login/"):
            return "alogin"
        if location.startswith("/accounts/login/"):
            return "login"
        if location.startswith("/accounts/reauthenticate/"):
            return "reauth"
        return "302"
    return str(code)


# ---------------------------------------------------------------- fingerprints

#: Tables that a refused request may legitimately touch (sessions, throttles).
_IGNORED = {"sessions.session", "django_celery_beat", "account.emailconfirmation"}
_STATEFUL = {
    "escrow.deal": ("state", "due_at"),
    "escrow.payment": ("status",),
    "escrow.payout": ("status",),
    "listings.listing": ("state", "title", "price", "featured"),
    "accounts.identityverification": ("state",),
    "accounts.user": ("is_active", "verification_status", "display_name", "email"),
    "governance.report": ("status", "claimed_by_id"),
    "governance.appeal": ("status",),
    "governance.violation": ("status",),
}


def fingerprint() -> dict:
    """Row counts of every model plus the state columns of the stateful ones."""
    out: dict = {}
    for model in apps.get_models():
        label = model._meta.label_lower
        if label in _IGNORED or model._meta.proxy or not model._meta.managed:
            continue
        out[label] = model._default_manager.count()
    for label, fields in _STATEFUL.items():
        model = apps.get_model(label)
        present = [f for f in fields if _has_field(model, f)]
        out[label + ":state"] = tuple(
            model._default_manager.order_by("pk").values_list("pk", *present)
        )
    return out


def _has_field(model, name: str) -> bool:
    try:
        model._meta.get_field(name.removesuffix("_id") if name.endswith("_id") else name)
    except Exception:  # noqa: BLE001 - FieldDoesNotExist
        return False
    return True


def diff(before: dict, after: dict) -> list[str]:
    return [key for key in before if before[key] != after.get(key)]
