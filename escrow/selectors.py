"""Reads the escrow views share. Everything a user fetches goes through here."""

from __future__ import annotations

from django.db.models import Q
from django.http import Http404

from .models import Deal, Notification, Payout


def get_deal_for_user(user, deal_id: int) -> Deal:
    """The deal if ``user`` is its buyer or seller; 404 otherwise (existence never
    leaks)."""
    if not user.is_authenticated:
        raise Http404
    deal = (
        Deal.objects.select_related("listing", "buyer", "seller", "payment")
        .filter(Q(buyer=user) | Q(seller=user), pk=deal_id)
        .first()
    )
    if deal is None:
        raise Http404
    return deal


def get_public_seller(user_id: int):
    """The user behind ``/sellers/<id>/``: an active account that has ever published
    a listing. Anyone else — buyers, staff, new or closed accounts — is a 404, the
    same answer as an id that does not exist, so users cannot be enumerated."""
    from accounts.models import User
    from listings.selectors import has_ever_published

    seller = User.objects.filter(pk=user_id, is_active=True).first()
    if seller is None or not has_ever_published(seller.pk):
        raise Http404
    return seller


def deals_for_user(user):
    return (
        Deal.objects.filter(Q(buyer=user) | Q(seller=user))
        .select_related("listing", "buyer", "seller")
        .order_by("-created_at", "-id")
    )


#: Notifications that ask for an action, and the deal state in which the action is
#: still possible: once the deal has moved on ("Pay within the payment window" on
#: a cancelled deal) they are not listed as new.
CALLS_TO_ACTION = {
    "opened_buyer": Deal.State.PENDING_PAYMENT,
    "paid_seller": Deal.State.FUNDED,
    "delivered_buyer": Deal.State.DELIVERED,
}


def unread_notifications(user, limit: int = 20):
    stale = Q()
    for kind, state in CALLS_TO_ACTION.items():
        stale |= Q(kind=kind) & ~Q(deal__state=state)
    return (
        Notification.objects.filter(user=user, read_at__isnull=True)
        .exclude(stale)
        .select_related("deal__listing")
        .order_by("-created_at", "-id")[:limit]
    )


def payouts_for_seller(user):
    return (
        Payout.objects.filter(seller=user).select_related("deal__listing").order_by("-created_at")
    )


def get_deal_for_evidence(user, deal_id: int, *, permission: str) -> Deal:
    """The deal for its parties, or for an acting moderator (second factor passed in
    this session) holding ``permission`` (files kept as evidence are shown on the
    moderator's dispute screen); 404 otherwise."""
    from accounts.permissions import is_acting_moderator

    if user.is_authenticated and is_acting_moderator(user) and user.has_perm(permission):
        deal = Deal.objects.filter(pk=deal_id).first()
        if deal is None:
            raise Http404
        return deal
    return get_deal_for_user(user, deal_id)


def messages_for_deal(deal, *, after_id: int | None = None):
    from .models import DealMessage

    qs = DealMessage.objects.filter(deal=deal).select_related("author").order_by("created_at", "id")
    if after_id:
        qs = qs.filter(pk__gt=after_id)
    return qs


def cases_for_deal(deal):
    from .models import Dispute

    return list(
        Dispute.objects.filter(deal=deal)
        .select_related("opened_by", "responded_by", "decided_by")
        .prefetch_related("evidence")
        .order_by("created_at", "id")
    )


def reviews_of_seller(seller_id: int, limit: int = 20, *, with_deal: bool = True):
    """The seller's latest reviews; ``with_deal=False`` (the listing page's box)
    reads the review columns only — no buyer, deal or listing rows."""
    from .models import Review

    reviews = Review.objects.filter(seller_id=seller_id)
    if with_deal:
        reviews = reviews.select_related("buyer", "deal__listing")
    else:
        reviews = reviews.only(
            "seller_id", "rating", "text", "reply", "created_at", "text_removed_at"
        )
    return reviews.order_by("-created_at", "-id")[:limit]
