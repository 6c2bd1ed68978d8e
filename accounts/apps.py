from django.apps import AppConfig
from django.db.models.signals import post_migrate
from django.utils.translation import gettext_lazy as _


class AccountsConfig(AppConfig):
    name = "accounts"
    verbose_name = _("Accounts")

    def ready(self) -> None:
        from . import signals  # noqa: F401
        from .permissions import grant_moderator_permissions

        post_migrate.connect(
            lambda **kw: grant_moderator_permissions(
                "accounts", ["view_user", "view_auditentry", "view_standing"]
            ),
            sender=self,
            weak=False,
            dispatch_uid="accounts-moderator-permissions",
        )
