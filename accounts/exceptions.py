"""Errors of the accounts app. Each carries a stable ``code`` and a translated message;
views turn them into form errors or messages, never a 500."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

MESSAGES = {
    # document checks
    "number_required": _("Enter the document number."),
    "resident_id_country": _(
        "A mainland China resident ID card is issued in China: choose China as the country."
    ),
    "resident_id_format": _(
        "A resident ID number has 18 characters: 17 digits, then a digit or X."
    ),
    "resident_id_checksum": _(
        "This resident ID number is not valid (its check digit does not match). "
        "Check it against your card."
    ),
    "resident_id_invalid": _("This resident ID number is not valid. Check it against your card."),
    "resident_id_birth_date": _(
        "This date of birth does not match the one in your resident ID number."
    ),
    "passport_format": _(
        "This does not look like a passport number. Enter it exactly as printed, "
        "letters and digits only."
    ),
    "other_id_format": _("Enter the document number: 4 to 30 letters and digits."),
    "document_type": _("Choose a document type."),
    "document_image_required": _("Upload a photo of your document."),
    "birth_date_future": _("The date of birth cannot be in the future."),
    "birth_date_too_old": _("Enter a real date of birth (after 1 January 1900)."),
    # submission rules
    "minor": _(
        "You must be at least 18 years old to buy or sell on Handoff. Your account has been "
        "marked as belonging to a minor, so you cannot buy or sell. If this is a mistake, "
        "contact our moderators: only they can lift the mark."
    ),
    "minor_marked": _(
        "Your account is marked as belonging to a minor, so it cannot be verified. If this "
        "is a mistake, contact our moderators: only they can lift the mark."
    ),
    "duplicate_document": _(
        "This document is already verified for another account, so we cannot accept it. "
        "Our moderators have been told. If it is yours, contact them."
    ),
    "already_pending": _("Your previous submission is still being reviewed."),
    "already_verified": _(
        "Your account is already verified. You can renew your verification in the 30 days "
        "before it expires."
    ),
    "illegal_transition": _("This verification can no longer be changed that way."),
    "reason_required": _("Give the user a reason."),
    "not_minor": _("This account is not marked as a minor."),
    "already_resolved": _("This flag has already been reviewed."),
    "provider_error": _(
        "The identity provider could not be reached. Your submission is saved; try again "
        "in a few minutes."
    ),
    # account closure
    "open_deal": _(
        "You have a deal that is still open. You can close your account once every deal "
        "has ended (released, refunded or cancelled)."
    ),
    "funds_held": _(
        "Money is still held for you (a payout that has not been paid yet). You can close "
        "your account once it has been paid out."
    ),
    "already_closed": _("This account is already closed."),
}


class AccountsError(Exception):
    """Base error: ``code`` is stable, ``message`` is translated for the user."""

    code = "accounts_error"

    def __init__(self, code: str | None = None, *, field: str | None = None, message=None):
        self.code = code or self.code
        self.field = field
        self.message = message or MESSAGES.get(self.code, _("Something went wrong."))
        super().__init__(self.code)

    def __str__(self) -> str:
        return str(self.message)


class InvalidDocument(AccountsError):
    code = "invalid_document"


class VerificationRefused(AccountsError):
    """The submission was refused by a rule (minor, duplicate, already pending …)."""

    code = "verification_refused"


class IllegalTransition(AccountsError):
    code = "illegal_transition"


class ProviderError(AccountsError):
    code = "provider_error"


class AccountClosureRefused(AccountsError):
    """Closing the account is refused while a deal is open or money is held."""

    code = "closure_refused"
