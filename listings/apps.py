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
    """What listings.services records in English, said in the reader's language
    (kernel.system_text): in the moderators' pages a seller's edit names the
    fields; to the seller, why governance took a listing down."""
    import re

    from django.utils.translation import gettext_lazy, pgettext_lazy

    from kernel.system_text import register_pattern, register_wording

    from .models import BROKE_RULE_PREFIX, CLOSED_REASON, DECIDED_REASON, FROZEN_REASON, Listing

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
    # Why governance took a listing down, as its seller is told (Listing.moderation_reason_text).
    for pattern, message in [
        (re.escape(FROZEN_REASON), gettext_lazy("Hidden while your account is frozen.")),
        (re.escape(CLOSED_REASON), gettext_lazy("Taken down because your account was closed.")),
        (re.escape(DECIDED_REASON), gettext_lazy("Taken down after a moderator's decision.")),
        (
            re.escape(BROKE_RULE_PREFIX) + r"(?P<rule>.*)",
            gettext_lazy("Removed for breaking rule %(rule)s of the platform's rules."),
        ),
    ]:
        register_wording("owner", pattern, message)


def _reads_chinese() -> bool:
    from django.utils.translation import get_language

    return (get_language() or "").startswith("zh")
