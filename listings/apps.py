from django.apps import AppConfig
from django.db.models.signals import post_migrate
from django.utils.translation import gettext_lazy as _

#: What the Moderators group may do with listings (granted after migrate).
MODERATOR_PERMISSIONS = [
    "view_listing",
    "review_listing",
    "remove_listing",
    "feature_listing",
    "view_pendinglisting",
    "view_listingscreenshot",
    "view_listingevent",
]


class ListingsConfig(AppConfig):
    name = "listings"
    verbose_name = _("Listings")

    def ready(self) -> None:
        from accounts.permissions import grant_moderator_permissions

        from . import receivers

        receivers.register()

        from . import fragments, watch  # noqa: F401  (watch registers its e-mail kind)

        fragments.connect()

        post_migrate.connect(
            lambda **kw: grant_moderator_permissions("listings", MODERATOR_PERMISSIONS),
            sender=self,
            weak=False,
            dispatch_uid="listings-moderator-permissions",
        )
