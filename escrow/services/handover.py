"""Handover: the seller hands the credentials over, the buyer reveals and accepts
them (or extends the inspection); auto-acceptance after the inspection window."""

from __future__ import annotations

import json
import logging
from datetime import datetime

from django.conf import settings
from django.db import transaction

from accounts.models import User
from accounts.services import record_audit
from escrow.checklists import checklist_for
from escrow.exceptions import (
    EscrowError,
    IllegalTransition,
    InspectionAlreadyExtended,
    NotAllowed,
)
from escrow.models import (
    CredentialView,
    Deal,
    Handover,
)
from escrow.notifications import notify
from escrow.services.transitions import lock_deal, note, transition_deal

logger = logging.getLogger(__name__)
State = Deal.State

# ------------------------------------------------------------------- handover


def hand_over(
    *,
    deal_id: int,
    seller: User,
    login: str,
    password: str,
    recovery: str = "",
    notes: str = "",
    checklist: list[str],
    now: datetime,
) -> Deal:
    """The seller hands over the credentials and confirms every checklist item.

    FUNDED → DELIVERED; the inspection period starts. Secrets are encrypted at rest.
    """
    with transaction.atomic():
        deal = lock_deal(deal_id)
        if deal is None or deal.seller_id != seller.pk:
            raise NotAllowed()
        required = {key for key, _label in checklist_for(deal.listing.platform)}
        if not required.issubset(set(checklist)) or not login or not password:
            raise EscrowError(code="checklist_incomplete")
        if deal.state != State.FUNDED:
            raise IllegalTransition()
        Handover.objects.create(
            deal=deal,
            login=login,
            password=password,
            recovery=recovery,
            notes=notes,
            checklist=json.dumps(sorted(required)),
            created_at=now,
        )
        deal.delivered_at = now
        transition_deal(
            deal=deal,
            to=State.DELIVERED,
            kind="handed_over",
            now=now,
            actor=seller,
            due_at=now + settings.INSPECTION_PERIOD,
            update_fields=("delivered_at",),
        )
        notify(deal=deal, user=deal.buyer, kind="delivered_buyer", now=now)
        notify(deal=deal, user=deal.seller, kind="delivered_seller", now=now)
    return deal


CREDENTIAL_STATES = frozenset({State.DELIVERED, State.ACCEPTED})


def reveal_credentials(*, deal_id: int, buyer: User, now: datetime, ip: str | None = None):
    """The handover for the buyer of a delivered (still funded) deal; each view is
    logged (``CredentialView`` and the audit log). The caller has re-authenticated
    the buyer (allauth)."""
    with transaction.atomic():
        deal = lock_deal(deal_id)
        if deal is None or deal.buyer_id != buyer.pk or deal.state not in CREDENTIAL_STATES:
            raise NotAllowed()
        CredentialView.objects.create(deal=deal, user=buyer, viewed_at=now, ip_address=ip)
        if deal.credentials_first_viewed_at is None:
            deal.credentials_first_viewed_at = now
            deal.save(update_fields=["credentials_first_viewed_at", "updated_at"])
        record_audit(actor=buyer, action="escrow.credentials_viewed", target=deal)
        return deal.handover


def accept_deal(*, deal_id: int, buyer: User, now: datetime) -> Deal:
    """The buyer accepts: DELIVERED → ACCEPTED; the protection window starts."""
    with transaction.atomic():
        deal = lock_deal(deal_id)
        if deal is None or deal.buyer_id != buyer.pk:
            raise NotAllowed()
        _accept(deal, now=now, actor=buyer, kind="accepted")
    return deal


def _accept(deal: Deal, *, now: datetime, actor, kind: str) -> None:
    deal.accepted_at = now
    transition_deal(
        deal=deal,
        to=State.ACCEPTED,
        kind=kind,
        now=now,
        actor=actor,
        due_at=now + settings.PROTECTION_WINDOW,
        update_fields=("accepted_at",),
    )
    notify(deal=deal, user=deal.buyer, kind=f"{kind}_buyer", now=now)
    notify(deal=deal, user=deal.seller, kind=f"{kind}_seller", now=now)


def extend_inspection(*, deal_id: int, buyer: User, now: datetime) -> Deal:
    """The buyer extends the inspection period, once, by ``INSPECTION_PERIOD``."""
    with transaction.atomic():
        deal = lock_deal(deal_id)
        if deal is None or deal.buyer_id != buyer.pk:
            raise NotAllowed()
        if deal.state != State.DELIVERED:
            raise IllegalTransition()
        if deal.inspection_extended:
            raise InspectionAlreadyExtended()
        deal.inspection_extended = True
        deal.due_at = deal.due_at + settings.INSPECTION_PERIOD
        deal.save(update_fields=["inspection_extended", "due_at", "updated_at"])
        note(deal=deal, kind="extended", now=now, actor=buyer)
        notify(deal=deal, user=deal.buyer, kind="extended_buyer", now=now)
        notify(deal=deal, user=deal.seller, kind="extended_seller", now=now)
    return deal


# -------------------------------------------------------- deadlines (job steps)


def accept_after_inspection(*, deal_id: int, now: datetime) -> Deal | None:
    """Silence is acceptance: a DELIVERED deal whose inspection ended is accepted.
    Returns the deal when this call accepted it, else None (see ``expire_deal``)."""
    with transaction.atomic():
        deal = lock_deal(deal_id, skip_locked=True)
        if deal is None or deal.state != State.DELIVERED or deal.due_at > now:
            return None
        _accept(deal, now=now, actor=None, kind="auto_accepted")
    return deal
