"""The one audit log's writer (``AuditEntry``), for every app.

Its own module so that the modules ``accounts.services`` builds on (retention)
can record what they do without importing the services back; apps import it as
``accounts.services.record_audit``.
"""

from __future__ import annotations

from typing import Any

from django.contrib.contenttypes.models import ContentType
from django.db import models, transaction

from .models import AuditEntry, User


def record_audit(
    *,
    actor: User | None,
    action: str,
    target: models.Model | None = None,
    reason: str = "",
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
) -> AuditEntry:
    """Append one entry to the audit log. Every moderator or staff action, in every
    app, goes through here; call it inside the transaction of the action it records
    so that the action and its record commit or roll back together.

    ``before``/``after`` must be JSON-serialisable and must never contain secrets
    (credentials, full ID numbers): pass masked values.
    """
    with transaction.atomic():
        return AuditEntry.objects.create(
            actor=actor if actor is not None and actor.is_authenticated else None,
            action=action,
            target_type=ContentType.objects.get_for_model(target) if target is not None else None,
            target_id=str(target.pk) if target is not None else "",
            target_repr=str(target)[:200] if target is not None else "",
            reason=reason,
            before=before,
            after=after,
        )
