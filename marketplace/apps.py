from django.apps import AppConfig
from django.contrib.admin import apps as admin_apps


class MarketplaceConfig(AppConfig):
    default = True
    name = "marketplace"
    verbose_name = "Handoff"

    def ready(self) -> None:
        from . import (
            checks,  # noqa: F401  (registers system checks)
            privacy,
        )

        privacy.register()  # data export and account closure parts of each app


class HandoffAdminConfig(admin_apps.AdminConfig):
    default = False
    default_site = "marketplace.admin_site.HandoffAdminSite"
