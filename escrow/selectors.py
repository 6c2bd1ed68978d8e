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


def deals_for_user(user):
    return (
        Deal.objects.filter(Q(buyer=user) | Q(seller=user))
        .select_related("listing", "buyer", "seller")
        .order_by("-created_at", "-id")
    )


def unread_notifications(user, limit: int = 20):
    return (
        Notification.objects.filter(user=user, read_at__isnull=True)
        .select_related("deal__listing")
        .order_by("-created_at", "-id")[:limit]
    )


def payouts_for_seller(user):
    return (
        Payout.objects.filter(seller=user).select_related("deal__listing").order_by("-created_at")
    )
