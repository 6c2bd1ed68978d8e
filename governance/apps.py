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

        from . import notifications  # noqa: F401 - registers its e-mail kinds
        from .registry import _register_users
        from .validators import attach_validators

        _register_users()
        attach_validators()
        post_migrate.connect(
            lambda **kw: grant_moderator_permissions("governance", MODERATOR_PERMISSIONS),
            sender=self,
            weak=False,
            dispatch_uid="governance-moderator-permissions",
        )
        post_migrate.connect(
            _ensure_catalogue, sender=self, weak=False, dispatch_uid="governance-catalogue"
        )


def _ensure_catalogue(using="default", **kwargs) -> None:
    """Load the rules catalogue when its table is empty — after a flush (e.g.
    transactional tests) the data migration does not run again."""
    from django.db import connections
    from django.utils import timezone

    from .catalogue import load_catalogue, sync_catalogue
    from .models import Rule, RuleVersion

    connection = connections[using]
    if Rule._meta.db_table not in connection.introspection.table_names():
        return
    if Rule.objects.using(using).exists():
        return
    sync_catalogue(Rule=Rule, RuleVersion=RuleVersion, entries=load_catalogue(), now=timezone.now())
