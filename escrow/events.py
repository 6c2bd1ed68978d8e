"""How each kind of deal event reads on the timeline."""

from django.utils.translation import gettext_lazy as _

LABELS = {
    "opened": _("Deal opened; listing reserved"),
    "paid": _("Paid; money held in escrow"),
    "cancelled": _("Cancelled by the buyer"),
    "expired": _("Payment window ran out; cancelled"),
    "listing_removed": _("Listing taken down by a moderator; cancelled"),
    "handed_over": _("Account handed over; inspection started"),
    "extended": _("Inspection extended once"),
    "accepted": _("Accepted by the buyer; protection window started"),
    "auto_accepted": _("Inspection ended without objection; accepted"),
    "released": _("Released to the seller"),
    "refunded_undelivered": _("Not handed over in time; refunded"),
    "disputed_buyer": _("Dispute opened by the buyer"),
    "disputed_seller": _("Dispute opened by the seller"),
    "recovery_claimed": _("Recovery claim: the buyer reports the account was taken back"),
    "dispute_answered": _("The other party answered"),
    "dispute_released": _("A moderator decided: released to the seller"),
    "dispute_refunded": _("A moderator decided: refunded to the buyer"),
    "dispute_split": _("A moderator decided: split between buyer and seller"),
    "chargeback": _("Chargeback by the buyer's bank; deal frozen"),
    "chargeback_won": _("Chargeback decided for the platform"),
    "chargeback_lost": _("Chargeback decided for the buyer's bank"),
    "chargeback_refunded": _("Refunded through the chargeback"),
    "watched": _("Under moderator watch; the buyer may ask for a refund"),
    "watch_ended": _("Moderator watch ended"),
    "refunded_on_watch": _("Refunded while under moderator watch"),
    "account_measure": _("Cancelled because of a measure on an account"),
}


def label_for(kind: str) -> str:
    return str(LABELS.get(kind, kind))
