from django.apps import AppConfig
from django.db.models.signals import post_migrate
from django.utils.translation import gettext_lazy as _


class EscrowConfig(AppConfig):
    name = "escrow"
    verbose_name = _("Escrow")

    def ready(self) -> None:
        from accounts.permissions import grant_moderator_permissions
        from listings.signals import listing_removed

        from .receivers import on_listing_removed

        listing_removed.connect(on_listing_removed, dispatch_uid="escrow-listing-removed")

        # Moderators watch deals; recording payouts stays with operators.
        post_migrate.connect(
            lambda **kw: grant_moderator_permissions(
                "escrow", ["view_deal", "view_dealevent", "view_payment", "view_refund"]
            ),
            sender=self,
            weak=False,
            dispatch_uid="escrow-moderator-permissions",
        )
