"""In-app and e-mail notifications for every deal step and before every deadline.

``notify`` is called inside the service's transaction: the in-app row commits with
the step, and the same row is the e-mail's place in the one outbox
(``kernel.outbox``, ``PENDING``). The outbox job
(``marketplace.send_due_emails``, every ``EMAIL_OUTBOX_SECONDS``) renders what is
due in the recipient's language and sends it, so no request or job waits for
rendering, SMTP or the broker, and no e-mail is lost between a commit and a task
message.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from django.conf import settings
from django.template.loader import render_to_string
from django.utils import translation
from django.utils.translation import gettext_lazy as _

from accounts.outbox import language_for, queue_email
from kernel import outbox

from .models import Deal, Notification

logger = logging.getLogger(__name__)
EmailState = Notification.EmailState

#: kind → text. ``%(deal)s`` is the deal number, ``%(title)s`` the listing title.
MESSAGES = {
    "opened_buyer": _("Deal %(deal)s opened for “%(title)s”. Pay within the payment window."),
    "opened_seller": _("A buyer opened deal %(deal)s for “%(title)s” and is paying."),
    "paid_buyer": _(
        "Payment received for deal %(deal)s; it is held in escrow. The deal page keeps your receipt."
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


def _outbox_fields(*, receipt: bool = False) -> dict:
    """A new notification's place in the e-mail outbox (``outbox.due_fields``:
    due at once; skipped for ``seed_demo``'s demo users)."""
    fields = outbox.due_fields()
    if fields["email_state"] == EmailState.PENDING:
        fields["email_receipt"] = receipt
    return fields


def notify(*, deal: Deal, user, kind: str, now: datetime, receipt: bool = False) -> Notification:
    """Record an in-app notification, in the caller's transaction; its e-mail waits
    in the outbox (the same row) for ``send_due_emails``, off the request."""
    return Notification.objects.create(
        user=user, deal=deal, kind=kind, created_at=now, **_outbox_fields(receipt=receipt)
    )


def notify_many(pairs: list[tuple[Deal, int, str]], *, now: datetime) -> None:
    """``notify`` for many ``(deal, user_id, kind)`` at once (a checkout, the
    release job's batch): one INSERT."""
    fields = _outbox_fields()
    Notification.objects.bulk_create(
        Notification(user_id=user_id, deal=deal, kind=kind, created_at=now, **fields)
        for deal, user_id, kind in pairs
    )


def retry_delay(attempts: int) -> timedelta:
    """The wait after the ``attempts``-th refused try (``outbox.retry_delay``)."""
    return outbox.retry_delay(attempts)


def subject_line(text: str, limit: int = 70) -> str:
    """``text`` as a subject of at most ``limit`` characters: whole, or cut at the
    end of a word (where the text has spaces) and closed with "…"."""
    if len(text) <= limit:
        return text
    kept = text[: limit - 1]
    space = kept.rfind(" ")
    if space > limit // 2 and text[limit - 1] != " ":
        kept = kept[:space]
    return kept.rstrip(" ,;:—-") + "…"


def render_email(note: Notification) -> outbox.Message:
    """A deal notification's e-mail, in the recipient's language."""
    deal = note.deal
    with translation.override(language_for(note.user)):
        text = message_for(note, deal)
        context = {
            "deal": deal,
            "text": text,
            "receipt": note.email_receipt,
            "url": f"{settings.SITE_URL}/deals/{deal.pk}/",
            "user": note.user,
        }
        subject = f"{settings.ACCOUNT_EMAIL_SUBJECT_PREFIX}{subject_line(text)}"
        body = render_to_string("escrow/email/notification.txt", context)
    return outbox.Message(subject, body, [note.user.email])


OUTBOX = outbox.Outbox(
    label="deal notification",
    model=Notification,
    render=render_email,
    select_related=("deal__listing", "user"),
)


def send_due_emails(
    *, now: datetime | None = None, limit: int = 200, deadline: float | None = None
) -> tuple[int, int]:
    """Send up to ``limit`` deal e-mails that are due; returns (sent, failed)
    (``outbox.sweep``: claimed with SKIP LOCKED, retried with backoff, given up
    after ``EMAIL_RETRIES``)."""
    return outbox.sweep(OUTBOX, now=now, limit=limit, deadline=deadline)


def alert_operators(subject: str, body: str) -> None:
    """Failed payouts and reconciliation differences: one e-mail per operator
    address, in the outbox with the caller's transaction (none for a step that
    rolled back; a mail server that is down delays it)."""
    for address in settings.OPERATOR_EMAILS:
        queue_email(
            to=address,
            subject=f"{settings.ACCOUNT_EMAIL_SUBJECT_PREFIX}[operators] {subject}",
            body=body,
        )
