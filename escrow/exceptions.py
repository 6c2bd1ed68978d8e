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
        "You already have the maximum number of unpaid deals. Pay for or cancel one of "
        "them below first."
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


# ----------------------------------------------------------------- protection


class DisputeWindowClosed(EscrowError):
    code = "dispute_window_closed"
    default_message = _(
        "A dispute can no longer be opened on this deal: its window has closed or the deal is not at a step that allows one."
    )


class RecoveryWindowClosed(EscrowError):
    code = "recovery_window_closed"
    default_message = _(
        "A recovery claim can be filed only during the protection window after you accepted the account."
    )


class DisputeAlreadyOpen(EscrowError):
    code = "dispute_open"
    default_message = _("A case is already open on this deal.")


class StatementRequired(EscrowError):
    code = "statement_required"
    default_message = _("Describe what happened.")


class AnswerNotAllowed(EscrowError):
    code = "answer_not_allowed"
    default_message = _(
        "You cannot answer this case: it is decided, already answered, past its deadline, or it is your own."
    )


class DisputeAlreadyDecided(EscrowError):
    code = "dispute_decided"
    default_message = _("This case was already decided; nothing was changed.")


class OwnDeal(EscrowError):
    code = "own_deal"
    default_message = _(
        "You are a party to this deal, so you cannot decide it. Another moderator must."
    )


class SplitDoesNotAddUp(EscrowError):
    code = "split_mismatch"
    default_message = _(
        "The buyer's and the seller's shares must be whole amounts that add up exactly to the money held."
    )


class ChargebackPending(EscrowError):
    code = "chargeback_pending"
    default_message = _(
        "The card network has not decided the chargeback yet; the money is not back in our balance."
    )


class ReasonRequired(EscrowError):
    code = "reason_required"
    default_message = _("Give a reason; both parties will see it.")


class MessageNotAllowed(EscrowError):
    code = "message_not_allowed"
    default_message = _("You cannot send messages on this deal.")


class EmptyMessage(EscrowError):
    code = "empty_message"
    default_message = _("Write a message or attach a file.")


class ReviewNotAllowed(EscrowError):
    code = "review_not_allowed"
    default_message = _("Only the buyer of a completed deal can review the seller.")


class AlreadyReviewed(EscrowError):
    code = "already_reviewed"
    default_message = _("This deal has already been reviewed; a review can be left once.")


class ReplyNotAllowed(EscrowError):
    code = "reply_not_allowed"
    default_message = _("Only the seller can reply to this review, once.")


class InvalidRating(EscrowError):
    code = "invalid_rating"
    default_message = _("Choose a rating from 1 to 5 stars.")


class NotWatched(EscrowError):
    code = "not_watched"
    default_message = _(
        "This deal is not under moderator watch; a refund on request is not available."
    )


# ------------------------------------------------------- paying and cancelling


#: Card errors as Stripe's test mode names them → (form field, message). The field
#: is where the message is shown; "" shows it above the form.
CARD_ERRORS = {
    "incorrect_number": ("number", _("Your card number is incorrect.")),
    "invalid_number": ("number", _("Your card number is incorrect.")),
    "expired_card": ("exp", _("Your card has expired.")),
    "invalid_expiry_month": ("exp", _("Your card's expiration month is invalid.")),
    "invalid_expiry_year": ("exp", _("Your card's expiration year is invalid.")),
    "invalid_cvc": ("cvc", _("Your card's security code is invalid.")),
    "incorrect_cvc": ("cvc", _("Your card's security code is incorrect.")),
    "test_mode_live_card": (
        "number",
        _(
            "Your card was declined: this is a test payment form and takes only the test "
            "cards shown below. No money was taken."
        ),
    ),
    "insufficient_funds": ("", _("Your card has insufficient funds. No money was taken.")),
    "processing_error": (
        "",
        _("An error occurred while processing your card. No money was taken; try again."),
    ),
    "authentication_failed": (
        "",
        _("The card's authentication step failed. No money was taken; try again."),
    ),
}


def card_error(code: str) -> tuple[str, str]:
    """(field, message) for a provider's card error code; a generic decline
    otherwise."""
    return CARD_ERRORS.get(code, ("", PaymentDeclined.default_message))


class CardError(PaymentDeclined):
    """A declined card with the provider's reason, shown beside its field."""

    def __init__(self, error_code: str):
        self.field, message = card_error(error_code)
        self.error_code = error_code
        super().__init__(message)


class PaymentInProgress(EscrowError):
    code = "payment_in_progress"
    default_message = _(
        "A payment for this deal is being processed, so it cannot be cancelled now. "
        "If the payment does not go through, you can cancel in a few minutes."
    )


class PaidBeforeCancel(IllegalTransition):
    """A paid deal cannot be cancelled (also when the payment won a race)."""

    code = "paid_before_cancel"
    default_message = _(
        "Your payment went through before the cancellation, so the deal is paid and was "
        "not cancelled. Your money is held in escrow."
    )


class PaymentCancelled(EscrowError):
    code = "payment_cancelled"
    default_message = _("This deal was cancelled, so the payment was not made. No money was taken.")


class LatePayment(EscrowError):
    code = "late_payment"
    default_message = _(
        "This deal was cancelled before your payment went through. The payment is being "
        "refunded to your card in full."
    )


class ProviderUnavailable(EscrowError):
    code = "provider_unavailable"
    default_message = _(
        "The payment service is not reachable, so the deal could not be cancelled safely. "
        "Try again shortly."
    )


class PaymentMismatch(EscrowError):
    code = "payment_mismatch"
    default_message = _(
        "The payment could not be matched to this deal. Nothing was recorded; our team has "
        "been told and will look into it."
    )


class PayoutCountryUnsupported(EscrowError):
    code = "payout_country_unsupported"
    default_message = _(
        "We cannot pay out to that country: choose the country of your bank account from the list."
    )


class PayoutAccountReady(EscrowError):
    code = "payout_account_ready"
    default_message = _(
        "Your connected payout account is ready to receive payouts, so it was kept. "
        "To be paid in another country, contact support: we never replace a working payout account silently."
    )
