"""The "Moderators" group: each app grants it the permissions it needs after migrate."""

from __future__ import annotations

from django.contrib.auth.models import Group, Permission

MODERATORS_GROUP = "Moderators"


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
    return bool(
        user.is_authenticated
        and user.is_active
        and user.is_staff
        and (user.is_superuser or user.groups.filter(name=MODERATORS_GROUP).exists())
    )
