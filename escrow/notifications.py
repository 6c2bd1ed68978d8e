"""In-app and e-mail notifications for every deal step and before every deadline.

``notify`` is called inside the service's transaction: the in-app row commits with
the step; the e-mail is handed to a Celery task after commit
(``escrow.send_notification_emails``), so no request or job waits for rendering
or SMTP.
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
    "message": _("New message on deal %(deal)s."),
    "dispute_opened_opener": _(
        "You opened a dispute on deal %(deal)s. The other party answers, then a moderator decides."
    ),
    "dispute_opened_other": _(
        "A dispute was opened on deal %(deal)s. Answer it with your side and evidence before the deadline."
    ),
    "recovery_opened_opener": _(
        "Your recovery claim on deal %(deal)s was filed. The seller's payout is held until a moderator decides."
    ),
    "recovery_opened_other": _(
        "The buyer of deal %(deal)s reports that the account was taken back. Answer before the deadline; your payout is held until a moderator decides."
    ),
    "dispute_answered_other": _("The other party answered the case on deal %(deal)s."),
    "dispute_decided": _(
        "A moderator decided the case on deal %(deal)s. The decision and its reason are on the deal page."
    ),
    "chargeback_opened_seller": _(
        "The buyer's bank disputed the payment of deal %(deal)s (chargeback). The deal is frozen and your payout held; add your evidence on the deal page."
    ),
    "chargeback_opened_buyer": _(
        "Your bank disputed the payment of deal %(deal)s. The deal is frozen until the dispute is settled."
    ),
    "chargeback_won_seller": _(
        "The chargeback on deal %(deal)s was decided in the platform's favour; a moderator now decides the deal."
    ),
    "chargeback_lost_seller": _(
        "The chargeback on deal %(deal)s was decided for the buyer's bank; the deal is refunded."
    ),
    "watched_buyer": _(
        "Deal %(deal)s is under moderator watch (the listing or the seller's account was sanctioned). You may ask for a refund on the deal page."
    ),
    "watched_seller": _(
        "Deal %(deal)s is under moderator watch; its payout is held until a moderator ends the watch."
    ),
    "refunded_on_watch_buyer": _("Deal %(deal)s was refunded; your money is on its way back."),
    "refunded_on_watch_seller": _(
        "Deal %(deal)s, under moderator watch, was refunded to the buyer."
    ),
    "payout_held_seller": _(
        "Your payout for deal %(deal)s is held (moderator watch, chargeback or an account measure). It is paid as soon as the hold ends."
    ),
    "reviewed_seller": _("The buyer of deal %(deal)s left a review. You may reply once."),
    "account_measure_buyer": _(
        "Deal %(deal)s was cancelled before payment because of a measure on an account. No money was taken."
    ),
    "account_measure_seller": _(
        "The unpaid deal %(deal)s was cancelled because of a measure on an account."
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
    """Record an in-app notification; its e-mail is rendered and sent by a Celery
    task after commit, off the request (``escrow.send_notification_emails``)."""
    note = Notification.objects.create(user=user, deal=deal, kind=kind, created_at=now)
    transaction.on_commit(lambda: _hand_over_emails([note.pk], receipt=receipt), robust=True)
    return note


def _hand_over_emails(notification_ids: list[int], *, receipt: bool = False) -> None:
    """Enqueue the e-mails; with the broker down, send them here instead (the
    in-app notifications are committed either way)."""
    from .tasks import send_notification_emails

    if not getattr(settings, "NOTIFICATION_EMAILS", True):
        return  # e.g. seed_demo: the demo users are not real
    try:
        send_notification_emails.delay(notification_ids, receipt=receipt)
    except Exception:
        logger.warning("broker unavailable: sending notification e-mails inline", exc_info=True)
        _sent, failed = send_emails(notification_ids, receipt=receipt)
        if failed:  # no broker to retry through
            logger.error("gave up e-mailing deal notifications %s (broker down)", failed)


def notify_many(pairs: list[tuple[Deal, int, str]], *, now: datetime) -> None:
    """``notify`` for many ``(deal, user_id, kind)`` at once (the release job's
    batch): one INSERT; the e-mails go to one Celery task after commit, so the job
    does not render and send them itself."""
    notes = Notification.objects.bulk_create(
        Notification(user_id=user_id, deal=deal, kind=kind, created_at=now)
        for deal, user_id, kind in pairs
    )
    if notes:
        ids = [note.pk for note in notes]
        transaction.on_commit(lambda: _hand_over_emails(ids), robust=True)


def send_emails(notification_ids: list[int], *, receipt: bool = False) -> tuple[int, list[int]]:
    """Send the e-mails of these notifications. Returns how many were sent and the
    ids the mail server refused (worth another try); a notification deleted since
    (its deal erased) is neither."""
    sent, failed = 0, []
    for pk in notification_ids:
        outcome = _send_email(pk, receipt=receipt)
        if outcome is True:
            sent += 1
        elif outcome is False:
            failed.append(pk)
    return sent, failed


def _send_email(notification_id: int, *, receipt: bool) -> bool | None:
    """True when sent, False when the mail server failed, None when there is no
    such notification any more."""
    note = (
        Notification.objects.select_related("deal__listing", "user")
        .filter(pk=notification_id)
        .first()
    )
    if note is None:
        return None
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
        return False
    return True


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
