from django.apps import AppConfig
from django.db.models.signals import post_migrate
from django.utils.translation import gettext_lazy as _

MODERATOR_PERMISSIONS = [
    "view_rule",
    "view_ruleversion",
    "view_report",
    "decide_report",
    "freeze_user",
    "view_violation",
    "view_sanction",
    "view_statementofreasons",
    "view_appeal",
    "decide_appeal",
    "view_appealfile",
    "view_transparencysnapshot",
]


class GovernanceConfig(AppConfig):
    name = "governance"
    verbose_name = _("Governance")

    def ready(self) -> None:
        from accounts.permissions import grant_moderator_permissions

        from .registry import _register_users

        _register_users()
        post_migrate.connect(
            lambda **kw: grant_moderator_permissions("governance", MODERATOR_PERMISSIONS),
            sender=self,
            weak=False,
            dispatch_uid="governance-moderator-permissions",
        )
