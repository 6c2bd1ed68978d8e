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
        _register_system_texts()

        post_migrate.connect(
            lambda **kw: grant_moderator_permissions("listings", MODERATOR_PERMISSIONS),
            sender=self,
            weak=False,
            dispatch_uid="listings-moderator-permissions",
        )


def _register_system_texts() -> None:
    """What listings.services records in English, said in the reader's language in
    the moderators' pages (kernel.system_text): a seller's edit names the fields."""
    from django.utils.translation import pgettext_lazy

    from kernel.system_text import register_pattern

    from .models import Listing

    def field_names(value: str) -> str:
        names = []
        for name in value.split(", "):
            try:
                names.append(str(Listing._meta.get_field(name).verbose_name))
            except Exception:  # noqa: BLE001 - a field since renamed: its name
                names.append(name)
        return "、".join(names) if _reads_chinese() else ", ".join(names)

    register_pattern(
        r"edited by the seller: (?P<fields>.*)",
        pgettext_lazy("recorded by the system", "edited by the seller: %(fields)s"),
        fields=field_names,
    )


def _reads_chinese() -> bool:
    from django.utils.translation import get_language

    return (get_language() or "").startswith("zh")
