"""Reviews of released deals and the seller's replies."""

from __future__ import annotations

import logging
from datetime import datetime

from django.db import IntegrityError, transaction

from accounts.models import User
from escrow.exceptions import (
    AlreadyReviewed,
    EmptyMessage,
    InvalidRating,
    ReplyNotAllowed,
    ReviewNotAllowed,
)
from escrow.models import (
    Deal,
    Review,
)
from escrow.notifications import notify
from escrow.services.text import clean_text

logger = logging.getLogger(__name__)
State = Deal.State


def remove_review_text(*, review_id: int, reason: str, now: datetime) -> Review | None:
    """Hide a review's text governance decided to remove (kept as evidence; the
    rating stays). Saved, not updated, so the cached listing pages invalidate."""
    with transaction.atomic():
        review = Review.objects.select_for_update().filter(pk=review_id).first()
        if review is None or review.text_removed_at is not None:
            return review
        review.text_removed_at = now
        review.text_removed_reason = reason[:200]
        review.save(update_fields=["text_removed_at", "text_removed_reason"])
    return review


def restore_review_text(*, review_id: int) -> None:
    """The removal was overruled on appeal."""
    with transaction.atomic():
        review = Review.objects.select_for_update().filter(pk=review_id).first()
        if review is None or review.text_removed_at is None:
            return
        review.text_removed_at = None
        review.text_removed_reason = ""
        review.save(update_fields=["text_removed_at", "text_removed_reason"])


# ---------------------------------------------------------------------- reviews


def record_text_findings(subject, text: str, now: datetime) -> None:
    """The detectors read what was written (the public copy is masked); findings
    become automatic reports on ``subject`` for moderators."""
    from governance.services import record_automatic_findings

    if text:
        record_automatic_findings(subject=subject, text=text, now=now)


def leave_review(*, deal_id: int, buyer: User, rating, text: str, now: datetime) -> Review:
    """The buyer of a released deal rates the seller 1–5 with a text, once.
    Contact details in the text are masked (it is public)."""
    from accounts.services import record_review
    from governance.detectors import mask_contact_details

    try:
        rating = int(rating)
    except (TypeError, ValueError):
        raise InvalidRating()
    if not 1 <= rating <= 5:
        raise InvalidRating()
    with transaction.atomic():
        deal = Deal.objects.select_for_update().filter(pk=deal_id).first()
        if deal is None or deal.buyer_id != buyer.pk or deal.state != State.RELEASED:
            raise ReviewNotAllowed()
        if Review.objects.filter(deal=deal).exists():
            raise AlreadyReviewed()
        try:
            with transaction.atomic():
                review = Review.objects.create(
                    deal=deal,
                    buyer=buyer,
                    seller_id=deal.seller_id,
                    rating=rating,
                    text=mask_contact_details(clean_text(text, 2000)),
                    created_at=now,
                )
        except IntegrityError:
            raise AlreadyReviewed()
        record_text_findings(review, clean_text(text, 2000), now)
        record_review(seller_id=deal.seller_id, rating=rating)
        notify(deal=deal, user=deal.seller, kind="reviewed_seller", now=now)
    return review


def reply_to_review(*, review_id: int, seller: User, text: str, now: datetime) -> Review:
    """The seller answers a review of theirs, once."""
    from governance.detectors import mask_contact_details

    text = clean_text(text, 2000)
    with transaction.atomic():
        review = Review.objects.select_for_update().filter(pk=review_id).first()
        if review is None or review.seller_id != seller.pk or review.replied_at is not None:
            raise ReplyNotAllowed()
        if not text:
            raise EmptyMessage()
        review.reply = mask_contact_details(text)
        review.replied_at = now
        review.save(update_fields=["reply", "replied_at"])
        # the reply is the seller's: findings accuse the seller, not the reviewer
        record_text_findings(seller, text, now)
    return review
