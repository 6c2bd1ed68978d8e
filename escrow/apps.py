from django.apps import AppConfig
from django.db.models.signals import post_migrate
from django.utils.translation import gettext_lazy as _

MODERATOR_PERMISSIONS = [
    "view_deal",
    "view_dealevent",
    "view_payment",
    "view_refund",
    "view_dispute",
    "change_dispute",
    "decide_dispute",
    "watch_deal",
    "view_dealmessage",
    "view_chargeback",
]


class EscrowConfig(AppConfig):
    name = "escrow"
    verbose_name = _("Escrow")

    def ready(self) -> None:
        from accounts.permissions import grant_moderator_permissions
        from kernel import outbox

        from . import receivers
        from .notifications import OUTBOX

        outbox.register(OUTBOX)

        receivers.connect()
        receivers.register()

        # Moderators watch deals and decide cases; recording payouts stays with
        # operators.
        post_migrate.connect(
            lambda **kw: grant_moderator_permissions("escrow", MODERATOR_PERMISSIONS),
            sender=self,
            weak=False,
            dispatch_uid="escrow-moderator-permissions",
        )
