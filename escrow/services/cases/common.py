"""What every case (dispute, recovery claim, chargeback) shares: the parties'
roles, who moderates, the case lock."""

from __future__ import annotations

import logging
from dataclasses import dataclass

from django.core.files.base import ContentFile

from accounts.permissions import is_moderator
from escrow.exceptions import (
    NotAllowed,
)
from escrow.models import (
    Deal,
    Dispute,
)
from escrow.services.transitions import lock_listing_then_deal

logger = logging.getLogger(__name__)
State = Deal.State


@dataclass(frozen=True)
class Upload:
    """A cleaned file (``kernel.uploads.clean_document``) and the name the
    user gave it."""

    content: ContentFile
    name: str = ""


def party_role(deal: Deal, user) -> str | None:
    if user is None or not getattr(user, "is_authenticated", False):
        return None
    if user.pk == deal.buyer_id:
        return "buyer"
    if user.pk == deal.seller_id:
        return "seller"
    return None


def is_dispute_moderator(user) -> bool:
    return bool(is_moderator(user) and user.has_perm("escrow.decide_dispute"))


def open_case(deal: Deal) -> Dispute | None:
    return Dispute.objects.filter(deal=deal, status=Dispute.Status.OPEN).first()


def lock_case(dispute_id: int):
    """Lock listing → deal → dispute of ``dispute_id``; returns (listing, deal, dispute)."""
    deal_id = Dispute.objects.filter(pk=dispute_id).values_list("deal_id", flat=True).first()
    if deal_id is None:
        raise NotAllowed()
    listing, deal = lock_listing_then_deal(deal_id)
    dispute = Dispute.objects.select_for_update().get(pk=dispute_id)
    return listing, deal, dispute
