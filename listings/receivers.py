"""listings' side of governance: reportable listings and the receivers of
governance's signals (governance never imports listings).

Receivers run inside governance's transaction and go through listings.services,
so every take-down is an event row and an audit entry like a moderator's.
"""

from __future__ import annotations

from django.db import transaction
from django.db.models.signals import post_delete, pre_save
from django.dispatch import receiver
from django.utils.translation import gettext_lazy as _

from governance import signals as gov

from . import services
from .exceptions import ListingError
from .models import (
    BROKE_RULE_PREFIX,
    CLOSED_REASON,
    DECIDED_REASON,
    FROZEN_REASON,
    Listing,
    ListingScreenshot,
)

State = Listing.State


@receiver(pre_save, sender=Listing, dispatch_uid="listings-keep-search-tier")
def keep_search_tier(sender, instance, update_fields=None, raw=False, **kwargs):
    """A full save of an existing listing (the admin's) writes every column: it takes
    ``search_tier`` from the row as it is now, so an object loaded before the tiers
    job (``services.refresh_search_tiers``) does not write its old tier back (each
    tier must stay a suffix of the table by id). Services save with
    ``update_fields`` and never touch the tier; new rows take the database default."""
    if raw or update_fields is not None or instance._state.adding or instance.pk is None:
        return
    current = Listing.objects.filter(pk=instance.pk).values_list("search_tier", flat=True).first()
    if current is not None:
        instance.search_tier = current


@receiver(post_delete, sender=ListingScreenshot, dispatch_uid="listings-delete-screenshot-files")
def delete_screenshot_files(sender, instance, **kwargs):
    """A deleted screenshot (by its seller, or with its listing) takes its files
    along, after commit, from whichever storage holds them (``listings.media``)."""
    names = [f.name for f in (instance.image, instance.thumbnail) if f.name]
    if names:
        transaction.on_commit(lambda: _delete_files(names), robust=True)


def _delete_files(names: list[str]) -> None:
    from .media import ScreenshotStorage

    for name in names:
        ScreenshotStorage.storage_for(name).delete(name)


def register() -> None:
    from governance.registry import register_reportable, register_user_visibility

    from .selectors import can_see_unpublished

    # A seller's name is public on their page (a listing was ever published).
    register_user_visibility(_seller_is_public)

    register_reportable(
        Listing,
        owner="seller",
        label=_("listing"),
        categories=["listing_content", "behaviour", "transaction"],
        text=lambda listing: f"{listing.title}\n{listing.niche}\n{listing.description}",
        queryset=lambda: Listing.objects.filter(state=State.PUBLISHED),
        visible_to=lambda user, listing: (
            listing.state == State.PUBLISHED or can_see_unpublished(user, listing)
        ),
    )


def _seller_is_public(viewer, member) -> bool:
    from .selectors import has_ever_published

    return has_ever_published(member.pk)


@receiver(gov.user_banned, dispatch_uid="listings-user-banned")
def take_down_listings_of_banned_user(sender, user, sanction=None, **kwargs):
    services.remove_listings_of_seller(seller_id=user.pk, actor=None, reason=CLOSED_REASON)


@receiver(gov.user_frozen, dispatch_uid="listings-user-frozen")
def hide_listings_of_frozen_user(sender, user, sanction=None, **kwargs):
    ids = Listing.objects.filter(seller_id=user.pk, state=State.PUBLISHED).order_by("pk")
    for pk in ids.values_list("pk", flat=True):
        services.remove_listing(actor=None, listing_id=pk, reason=FROZEN_REASON)


@receiver(gov.user_unfrozen, dispatch_uid="listings-user-unfrozen")
def show_listings_of_unfrozen_user(sender, user, sanction=None, **kwargs):
    hidden = Listing.objects.filter(
        seller_id=user.pk, state=State.REMOVED, moderation_reason=FROZEN_REASON
    ).order_by("pk")
    for pk in hidden.values_list("pk", flat=True):
        try:
            services.restore_listing(moderator=None, listing_id=pk, reason="freeze ended")
        except ListingError:
            continue


@receiver(gov.content_removal_requested, dispatch_uid="listings-content-removal")
def remove_reported_listing(sender, subject, violation=None, **kwargs):
    if not isinstance(subject, Listing):
        return
    rule = getattr(getattr(violation, "rule", None), "code", "")
    services.remove_listing(
        actor=None,
        listing_id=subject.pk,
        reason=BROKE_RULE_PREFIX + rule if rule else DECIDED_REASON,
    )


@receiver(gov.content_reinstated, dispatch_uid="listings-content-reinstated")
def reinstate_listing(sender, subject, violation=None, **kwargs):
    if not isinstance(subject, Listing):
        return
    subject.refresh_from_db(fields=["state"])
    if subject.state == State.REMOVED:
        try:
            services.restore_listing(moderator=None, listing_id=subject.pk, reason="appeal upheld")
        except ListingError:
            pass  # never published: the seller resubmits
