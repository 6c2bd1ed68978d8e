"""Deal chat: messages between the parties (masked, screened by governance)."""

from __future__ import annotations

import logging
from datetime import datetime

from django.db import transaction

from accounts.models import User
from escrow.exceptions import (
    EmptyMessage,
    MessageNotAllowed,
)
from escrow.models import (
    Deal,
    DealMessage,
    Notification,
)
from escrow.services.cases.common import Upload, is_dispute_moderator, open_case, party_role
from escrow.services.text import clean_text
from governance.policy import can

logger = logging.getLogger(__name__)
State = Deal.State

MAX_MESSAGE_CHARS = 4000


# ------------------------------------------------------------------------- chat


def post_message(
    *, deal_id: int, author: User, body: str, now: datetime, attachment: Upload | None = None
) -> DealMessage:
    """Add a message to the deal's chat (kept as evidence, never edited).

    Who: the buyer or the seller (if ``can(author, "message")``), or a moderator
    with the dispute permission while a case is open on the deal. Contact details
    are masked (``governance.detectors.mask_contact_details``) in what the other
    party sees; the original stays for moderators. Every message is scanned and
    findings are filed as automatic reports (never a sanction by themselves).
    """
    from governance.detectors import mask_contact_details
    from governance.services import record_automatic_findings

    body = clean_text(body, MAX_MESSAGE_CHARS)
    if not body and attachment is None:
        raise EmptyMessage()
    with transaction.atomic():
        deal = Deal.objects.select_related("listing").filter(pk=deal_id).first()
        if deal is None:
            raise MessageNotAllowed()
        role = party_role(deal, author)
        if role is None:
            if not (is_dispute_moderator(author) and open_case(deal) is not None):
                raise MessageNotAllowed()
            role = "moderator"
        elif not can(author, "message"):
            raise MessageNotAllowed()
        message = DealMessage(
            deal=deal,
            author=author,
            author_role=role,
            body=body,
            body_masked=body if role == "moderator" else mask_contact_details(body),
            created_at=now,
        )
        if attachment is not None:
            message.attachment.save(attachment.content.name, attachment.content, save=False)
            message.attachment_name = (attachment.name or "")[:120]
        message.save()
        if body and role != "moderator":
            record_automatic_findings(subject=message, text=body, now=now)
        for user_id in {deal.buyer_id, deal.seller_id} - {author.pk}:
            Notification.objects.create(user_id=user_id, deal=deal, kind="message", created_at=now)
    return message


def remove_message(*, message_id: int, reason: str, now: datetime) -> DealMessage | None:
    """Hide a message governance decided to remove (it stays as evidence)."""
    with transaction.atomic():
        message = DealMessage.objects.select_for_update().filter(pk=message_id).first()
        if message is None or message.removed_at is not None:
            return message
        message.removed_at = now
        message.removed_reason = reason[:200]
        message.save(update_fields=["removed_at", "removed_reason"])
    return message


def restore_message(*, message_id: int) -> None:
    DealMessage.objects.filter(pk=message_id).update(removed_at=None, removed_reason="")
