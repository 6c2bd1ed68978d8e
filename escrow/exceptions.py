"""Escrow's domain errors. Each carries a stable ``code``; views turn them into a
translated message (never a 500)."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _


class EscrowError(Exception):
    code = "escrow_error"
    default_message = _("This action is not possible right now.")

    def __init__(self, message=None, *, code: str | None = None):
        if code is not None:
            self.code = code
        self.message = message if message is not None else self.default_message
        super().__init__(str(self.message))


class IllegalTransition(EscrowError):
    code = "illegal_transition"
    default_message = _("This deal cannot make that step from its current state.")


class NotAllowed(EscrowError):
    code = "not_allowed"
    default_message = _("You are not allowed to do that.")


class CannotBuyOwnListing(EscrowError):
    code = "own_listing"
    default_message = _("You cannot buy your own listing.")


class ListingUnavailable(EscrowError):
    code = "listing_unavailable"
    default_message = _("This listing is not available for purchase any more.")


class TooManyUnpaidDeals(EscrowError):
    code = "too_many_unpaid"
    default_message = _(
        "You already have the maximum number of unpaid deals. Pay for or cancel one first."
    )


class AcknowledgementRequired(EscrowError):
    code = "acknowledgement_required"
    default_message = _("Please confirm that you have read the platform's transfer policy.")


class PaymentWindowClosed(EscrowError):
    code = "payment_window_closed"
    default_message = _("The time to pay for this deal has run out; it was cancelled.")


class PaymentDeclined(EscrowError):
    code = "card_declined"
    default_message = _("Your card was declined. No money was taken; try another card.")


class PaymentFailed(EscrowError):
    code = "payment_failed"
    default_message = _("The payment could not be completed. No money was taken.")


class AlreadyPaid(EscrowError):
    code = "already_paid"
    default_message = _("This deal is already paid.")


class InspectionAlreadyExtended(EscrowError):
    code = "already_extended"
    default_message = _("The inspection period can be extended only once.")


class LedgerImbalance(EscrowError):
    code = "ledger_imbalance"
    default_message = _("A ledger transaction must balance.")
