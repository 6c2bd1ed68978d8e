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
}


def label_for(kind: str) -> str:
    return str(LABELS.get(kind, kind))
