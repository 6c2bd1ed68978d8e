from django.apps import AppConfig
from django.apps import apps as django_apps
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

        from .field_labels import (
            translate_boolean_icons,
            translate_field_labels,
            translate_model_names,
        )

        translate_field_labels()
        translate_model_names()
        translate_boolean_icons()

        from django.db.models.signals import post_migrate

        from .sites import sync_site

        # On the sites app's post_migrate, after its own receiver (connected first,
        # it creates "example.com" when the table is empty); this one then corrects it.
        post_migrate.connect(
            sync_site,
            sender=django_apps.get_app_config("sites"),
            dispatch_uid="marketplace.sync_site",
        )


class HandoffAdminConfig(admin_apps.AdminConfig):
    default = False
    default_site = "marketplace.admin_site.HandoffAdminSite"
