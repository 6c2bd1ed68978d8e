"""Escrow's subscriptions to other apps' signals and its reportable models
(dependency direction: escrow listens to listings and governance, never the other
way).

Governance sends its signals inside its own transaction; the work here that may
call the payment provider (cancelling an unpaid deal's payment intent) is deferred
to after that commit, so no provider call ever happens while governance holds its
locks.
"""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from . import services


def register() -> None:
    from governance.registry import register_reportable, register_user_visibility

    from .models import Deal, DealMessage, Review

    # A deal's parties see each other's names.
    register_user_visibility(_counterpart)

    register_reportable(
        DealMessage,
        owner="author",
        label=_("deal message"),
        categories=["behaviour", "transaction"],
        text=lambda message: message.body,
        queryset=lambda: DealMessage.objects.filter(removed_at__isnull=True).exclude(
            author_role="moderator"
        ),
        visible_to=lambda user, message: user.pk in (message.deal.buyer_id, message.deal.seller_id),
    )
    register_reportable(
        Review,
        owner="buyer",
        label=_("review"),
        categories=["behaviour"],
        text=lambda review: review.text,
        queryset=lambda: Review.objects.filter(text_removed_at__isnull=True).exclude(text=""),
        # Public on the seller's page; nothing left to report once the text is gone.
        visible_to=lambda user, review: bool(review.text) and review.text_removed_at is None,
    )
    register_reportable(
        Deal,
        owner="seller",
        label=_("deal"),
        categories=["transaction"],
        visible_to=lambda user, deal: user.pk in (deal.buyer_id, deal.seller_id),
    )


def _counterpart(viewer, member) -> bool:
    from django.db.models import Q

    from .models import Deal

    return Deal.objects.filter(
        Q(buyer_id=viewer.pk, seller_id=member.pk) | Q(seller_id=viewer.pk, buyer_id=member.pk)
    ).exists()


def on_listing_removed(sender, *, listing_id: int, reason: str = "", **kwargs) -> None:
    """Governance took a listing down (sent after commit): unpaid deals on it are
    cancelled, funded ones put under moderator watch."""
    services.protect_deals(
        listing_id=listing_id,
        reason=f"listing removed: {reason}"[:200] if reason else "listing removed",
        now=timezone.now(),
    )


def _protect_user(user_id: int, reason: str) -> None:
    transaction.on_commit(
        lambda: services.protect_deals(user_id=user_id, reason=reason, now=timezone.now())
    )


def on_user_banned(sender, *, user, sanction=None, **kwargs) -> None:
    _protect_user(user.pk, "the seller's account was closed (governance)")


def on_user_frozen(sender, *, user, sanction=None, **kwargs) -> None:
    _protect_user(user.pk, "the seller's account is frozen pending a decision (governance)")


def on_content_removal_requested(sender, *, subject, violation=None, **kwargs) -> None:
    from .models import DealMessage, Review

    rule = getattr(getattr(violation, "rule", None), "code", "")
    reason = f"removed for breaking rule {rule}" if rule else "removed (governance)"
    if isinstance(subject, DealMessage):
        services.remove_message(message_id=subject.pk, reason=reason, now=timezone.now())
    elif isinstance(subject, Review):
        services.remove_review_text(review_id=subject.pk, reason=reason, now=timezone.now())


def on_content_reinstated(sender, *, subject, violation=None, **kwargs) -> None:
    from .models import DealMessage, Review

    if isinstance(subject, DealMessage):
        services.restore_message(message_id=subject.pk)
    elif isinstance(subject, Review):
        services.restore_review_text(review_id=subject.pk)


def connect() -> None:
    from governance import signals as gov
    from listings import fragments
    from listings.signals import listing_removed

    from .models import Review

    # The listing page caches the seller's latest reviews with its shared parts.
    fragments.watch(Review, seller=lambda review: review.seller_id)

    listing_removed.connect(on_listing_removed, dispatch_uid="escrow-listing-removed")
    gov.user_banned.connect(on_user_banned, dispatch_uid="escrow-user-banned")
    gov.user_frozen.connect(on_user_frozen, dispatch_uid="escrow-user-frozen")
    gov.content_removal_requested.connect(
        on_content_removal_requested, dispatch_uid="escrow-content-removal"
    )
    gov.content_reinstated.connect(on_content_reinstated, dispatch_uid="escrow-content-reinstated")
