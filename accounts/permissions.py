"""Who may act as staff: the "Moderators" group, and the one notion of an *acting*
moderator that every private view asks about.

A moderator role is not enough to read other people's files: the session must also
have passed the second factor (allauth's TOTP step at sign-in, or its MFA
re-authentication). A staff account that signed in with a password only — because
it has no authenticator yet, or the session was opened some other way — gets what
an ordinary user gets: its own things, and 404 for everyone else's.

``SecondFactorMiddleware`` marks ``request.user`` with what the session proved;
``is_acting_moderator(user)`` reads that mark, so a user object loaded anywhere else
(a task, a shell) is never an acting moderator. Services that record a moderator's
decision keep asking ``is_moderator`` (the role); the views that lead to them sit
behind the admin, which asks ``is_acting_staff``.
"""

from __future__ import annotations

from allauth.account.authentication import get_authentication_records
from allauth.mfa.utils import is_mfa_enabled
from django.contrib.auth.middleware import get_user
from django.contrib.auth.models import Group, Permission
from django.utils.functional import SimpleLazyObject

MODERATORS_GROUP = "Moderators"
#: Set on ``request.user`` by ``SecondFactorMiddleware``.
SECOND_FACTOR_ATTR = "second_factor_verified"


def grant_moderator_permissions(app_label: str, codenames: list[str]) -> None:
    """Add ``app_label.codename`` permissions to the Moderators group (idempotent).

    Called from each app's post_migrate handler, so the group grows with the apps
    and holds nothing it was not explicitly given.
    """
    group, _ = Group.objects.get_or_create(name=MODERATORS_GROUP)
    permissions = Permission.objects.filter(
        content_type__app_label=app_label, codename__in=codenames
    )
    missing = set(codenames) - {p.codename for p in permissions}
    if missing:
        raise LookupError(f"Unknown permissions for {app_label}: {sorted(missing)}")
    group.permissions.add(*permissions)


def is_moderator(user) -> bool:
    """The role: active staff in the Moderators group, or a superuser. Services use
    it to check who decides; views use ``is_acting_moderator``."""
    return bool(
        user.is_authenticated
        and user.is_active
        and user.is_staff
        and (user.is_superuser or user.groups.filter(name=MODERATORS_GROUP).exists())
    )


def session_passed_second_factor(request, user) -> bool:
    """Whether this session recorded allauth's MFA step for ``user`` (at sign-in or
    a re-authentication with a code)."""
    if not (user.is_authenticated and user.is_staff):
        return False  # only staff are ever asked; spares the session lookup
    records = get_authentication_records(request, user)
    return any(isinstance(r, dict) and r.get("method") == "mfa" for r in records)


def second_factor_verified(user) -> bool:
    """The mark of this request's session, and MFA still enabled on the account
    (turning the authenticator off ends the acting role at once)."""
    return bool(getattr(user, SECOND_FACTOR_ATTR, False) and is_mfa_enabled(user))


def is_acting_staff(user) -> bool:
    """Active staff whose session passed the second factor: who may open the admin."""
    return bool(
        user.is_authenticated and user.is_active and user.is_staff and second_factor_verified(user)
    )


def is_acting_moderator(user) -> bool:
    """A moderator (``is_moderator``) whose session passed the second factor: the
    only kind of staff that any view shows another person's private data to."""
    return bool(is_moderator(user) and second_factor_verified(user))


class SecondFactorMiddleware:
    """Marks ``request.user`` with ``second_factor_verified`` (lazily: the user is
    loaded only when a view asks for it, as Django's own middleware does).

    Placed right after ``AuthenticationMiddleware``."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        request.user = SimpleLazyObject(lambda: _marked_user(request))
        return self.get_response(request)


def _marked_user(request):
    user = get_user(request)  # the same cached object AuthenticationMiddleware returns
    setattr(user, SECOND_FACTOR_ATTR, session_passed_second_factor(request, user))
    return user
