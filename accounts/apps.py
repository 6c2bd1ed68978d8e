from django.apps import AppConfig
from django.db.models.signals import post_migrate
from django.utils.translation import gettext_lazy as _

# What moderators need in accounts: read users, the audit log and standing; review
# identity verifications (queue, document images, approve/reject/revoke, impersonation
# flags) and lift the minor mark. Nothing that edits rows directly.
MODERATOR_PERMISSIONS = [
    "view_user",
    "view_auditentry",
    "view_standing",
    "view_identityverification",
    "view_pendingverification",
    "review_identityverification",
    "view_identity_document",
    "view_impersonationflag",
    "lift_minor_mark",
]


class AccountsConfig(AppConfig):
    name = "accounts"
    verbose_name = _("Accounts")

    def ready(self) -> None:
        from kernel import outbox

        from . import emails, receivers, signals  # noqa: F401 - e-mail kinds, receivers
        from .outbox import OUTBOX

        outbox.register(OUTBOX)
        from .permissions import grant_moderator_permissions

        post_migrate.connect(
            lambda **kw: grant_moderator_permissions("accounts", MODERATOR_PERMISSIONS),
            sender=self,
            weak=False,
            dispatch_uid="accounts-moderator-permissions",
        )
