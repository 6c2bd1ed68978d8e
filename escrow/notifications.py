"""In-app and e-mail notifications for every deal step and before every deadline.

``notify`` is called inside the service's transaction: the in-app row commits with
the step, the e-mail is sent only after commit (``transaction.on_commit``).
"""

from __future__ import annotations

import logging
from datetime import datetime

from django.conf import settings
from django.core.mail import send_mail
from django.db import transaction
from django.template.loader import render_to_string
from django.utils import translation
from django.utils.translation import gettext_lazy as _

from .models import Deal, Notification

logger = logging.getLogger(__name__)

#: kind → text. ``%(deal)s`` is the deal number, ``%(title)s`` the listing title.
MESSAGES = {
    "opened_buyer": _("Deal %(deal)s opened for “%(title)s”. Pay within the payment window."),
    "opened_seller": _("A buyer opened deal %(deal)s for “%(title)s” and is paying."),
    "paid_buyer": _(
        "Payment received for deal %(deal)s; it is held in escrow. Your receipt is attached."
    ),
    "paid_seller": _(
        "Deal %(deal)s is paid and held in escrow. Hand the account over before the deadline."
    ),
    "payment_failed_buyer": _("The payment for deal %(deal)s was declined. No money was taken."),
    "delivered_buyer": _(
        "The seller handed over the account of deal %(deal)s. Inspect it and accept."
    ),
    "delivered_seller": _("You handed over deal %(deal)s. The buyer is inspecting."),
    "extended_seller": _("The buyer of deal %(deal)s extended the inspection period once."),
    "extended_buyer": _("You extended the inspection of deal %(deal)s."),
    "accepted_buyer": _("You accepted deal %(deal)s. The protection window has started."),
    "accepted_seller": _(
        "The buyer accepted deal %(deal)s. Your payout follows the protection window."
    ),
    "auto_accepted_buyer": _(
        "The inspection of deal %(deal)s ended without objection: it counts as accepted."
    ),
    "auto_accepted_seller": _("The inspection of deal %(deal)s ended: the deal is accepted."),
    "released_buyer": _("Deal %(deal)s is complete. Thank you for buying with escrow."),
    "released_seller": _("Deal %(deal)s is released; your payout is on its way."),
    "payout_paid_seller": _("Your payout for deal %(deal)s was sent."),
    "payout_on_hold_seller": _("Add your payout details so we can pay you for deal %(deal)s."),
    "cancelled_buyer": _("Deal %(deal)s was cancelled. No money was taken."),
    "cancelled_seller": _(
        "Deal %(deal)s was cancelled before payment; your listing is back on sale."
    ),
    "expired_buyer": _("The payment window of deal %(deal)s ran out; the deal was cancelled."),
    "expired_seller": _(
        "Deal %(deal)s was not paid in time and was cancelled; your listing is back on sale."
    ),
    "listing_removed_buyer": _(
        "The listing of deal %(deal)s was taken down by a moderator; the unpaid deal was cancelled."
    ),
    "listing_removed_seller": _(
        "Your listing was taken down by a moderator; the unpaid deal %(deal)s was cancelled."
    ),
    "refunded_buyer": _(
        "The seller did not hand over deal %(deal)s in time: your money is being refunded."
    ),
    "refunded_seller": _(
        "You did not hand over deal %(deal)s in time: the buyer is refunded and this counts against your standing."
    ),
    "refund_paid_buyer": _("Your refund for deal %(deal)s was sent to your card."),
    "late_payment_buyer": _(
        "Your payment for deal %(deal)s arrived after the deal was cancelled; it is being refunded in full."
    ),
    "reminder_PENDING_PAYMENT_buyer": _(
        "Reminder: deal %(deal)s is not paid yet and will be cancelled soon."
    ),
    "reminder_FUNDED_seller": _(
        "Reminder: hand over deal %(deal)s before the deadline or the buyer is refunded."
    ),
    "reminder_DELIVERED_buyer": _(
        "Reminder: the inspection of deal %(deal)s ends soon; silence counts as acceptance."
    ),
    "reminder_ACCEPTED_seller": _(
        "Reminder: the protection window of deal %(deal)s ends soon; then you are paid."
    ),
}


def message_for(notification_or_kind, deal: Deal) -> str:
    kind = getattr(notification_or_kind, "kind", notification_or_kind)
    text = MESSAGES.get(kind)
    if text is None:
        return str(kind)
    return str(text) % {"deal": f"#{deal.pk}", "title": deal.listing.title}


def notify(*, deal: Deal, user, kind: str, now: datetime, receipt: bool = False) -> Notification:
    """Record an in-app notification and send the e-mail after commit."""
    note = Notification.objects.create(user=user, deal=deal, kind=kind, created_at=now)
    transaction.on_commit(lambda: _send_email(note.pk, receipt=receipt))
    return note


def _send_email(notification_id: int, *, receipt: bool) -> None:
    note = (
        Notification.objects.select_related("deal__listing", "user")
        .filter(pk=notification_id)
        .first()
    )
    if note is None:
        return
    deal = note.deal
    with translation.override(settings.LANGUAGE_CODE):
        text = message_for(note, deal)
        context = {
            "deal": deal,
            "text": text,
            "receipt": receipt,
            "url": f"{settings.SITE_URL}/deals/{deal.pk}/",
            "user": note.user,
        }
        subject = f"{settings.ACCOUNT_EMAIL_SUBJECT_PREFIX}{text[:70]}"
        body = render_to_string("escrow/email/notification.txt", context)
    try:
        send_mail(subject, body, settings.DEFAULT_FROM_EMAIL, [note.user.email])
    except Exception:  # an e-mail outage must not undo a money step
        logger.exception("could not e-mail notification %s", notification_id)


def alert_operators(subject: str, body: str) -> None:
    """Failed payouts and reconciliation differences (after commit)."""

    def send():
        try:
            send_mail(
                f"{settings.ACCOUNT_EMAIL_SUBJECT_PREFIX}[operators] {subject}",
                body,
                settings.DEFAULT_FROM_EMAIL,
                settings.OPERATOR_EMAILS,
            )
        except Exception:
            logger.exception("could not alert operators: %s", subject)

    transaction.on_commit(send)
