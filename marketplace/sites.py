"""The Sites framework's one row follows the settings (SITE_NAME, SITE_DOMAIN).

allauth puts ``Site.name`` and ``Site.domain`` in every e-mail ("Hello from …",
the subject prefix, the signature); Django's default row says "example.com". This
rewrites it after each ``migrate`` (which ``make run`` and every deploy run), so a
changed setting reaches the e-mails without a data migration of its own.
"""

from __future__ import annotations

from django.conf import settings


def sync_site(using: str = "default", apps=None, **kwargs) -> None:
    """post_migrate receiver: the row ``SITE_ID`` gets the configured name and domain."""
    Site = (apps or _global_apps()).get_model("sites", "Site")  # noqa: N806 - a model class
    Site.objects.using(using).update_or_create(
        pk=settings.SITE_ID,
        defaults={"domain": settings.SITE_DOMAIN[:100], "name": settings.SITE_NAME[:50]},
    )
    from django.contrib.sites.models import SITE_CACHE

    SITE_CACHE.clear()


def _global_apps():
    from django.apps import apps

    return apps
