"""Errors of the accounts app. Each carries a stable ``code`` and a translated message;
views turn them into form errors or messages, never a 500."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

# Shared texts (one entry each in the catalogues).
CHECK_CHARACTER_WRONG = _(
    "This number is not valid: its last character (the check character) does not match "
    "the other 17. Check it against your document."
)
ENCODED_DATE_INVALID = _(
    "The date of birth in this number (characters 7 to 14) is not a real date. Check "
    "the number against your document."
)
BIRTH_DATE_MISMATCH = _("This date of birth does not match the one in your document number.")

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
        "This does not look like a passport number: it has 6 to 9 letters and digits "
        "(at least one digit). Enter it exactly as printed."
    ),
    "passport_format_cn": _(
        "A Chinese passport number is E followed by 8 digits (E12345678) or by a letter "
        "and 7 digits (EA1234567); older ones start with G, diplomatic and service "
        "passports with D, S or P, Hong Kong passports with K."
    ),
    "passport_mrz": _(
        "Enter only the passport number (at most 9 letters and digits), not the "
        "machine-readable lines with < signs."
    ),
    "resident_id_first_generation": _(
        "This is a 15-digit first-generation ID number; those cards stopped being valid "
        "on 1 January 2013. Enter the 18-digit number on your current card."
    ),
    "resident_id_region": _(
        "This resident ID number does not start with a real region code (its first 6 "
        "digits). Check it against your card."
    ),
    "resident_id_birth_date_invalid": ENCODED_DATE_INVALID,
    "residence_permit_format": _(
        "A residence permit number has 18 characters: 17 digits, then a digit or X."
    ),
    "residence_permit_checksum": CHECK_CHARACTER_WRONG,
    "residence_permit_region": _(
        "A residence permit number for Hong Kong, Macao or Taiwan residents starts with "
        "810000, 820000 or 830000."
    ),
    "residence_permit_birth_date_invalid": ENCODED_DATE_INVALID,
    "residence_permit_birth_date": BIRTH_DATE_MISMATCH,
    "residence_permit_country": _(
        "This residence permit is issued in mainland China: choose China (mainland), or "
        "Hong Kong, Macao or Taiwan."
    ),
    "permanent_residence_format": _(
        "A Foreigners' Permanent Residence ID card number has 18 characters (17 digits, "
        "then a digit or X; cards since 2023) or 15 (3 letters, then 12 digits; older "
        "cards)."
    ),
    "permanent_residence_checksum": CHECK_CHARACTER_WRONG,
    "permanent_residence_region": _(
        "A permanent residence card number starts with 9 and the issuing province's "
        "code (cards since 2023), or with 3 letters and the province's code (older "
        "cards). Check it against your card."
    ),
    "permanent_residence_birth_date_invalid": _(
        "The date of birth in this number is not a real date. Check the number against your card."
    ),
    "permanent_residence_birth_date": BIRTH_DATE_MISMATCH,
    "permanent_residence_country": _(
        "A permanent residence card is issued in China: choose China (mainland) as the country."
    ),
    "hkmo_travel_permit_format": _(
        "A Mainland Travel Permit for Hong Kong and Macao Residents number is H or M "
        "followed by 8 digits (for example H12345678)."
    ),
    "hkmo_travel_permit_country": _(
        "This permit is issued by the mainland's authorities: choose China (mainland), "
        "Hong Kong or Macao as the country."
    ),
    "tw_travel_permit_format": _(
        "A Mainland Travel Permit for Taiwan Residents number has 8 digits (the 2 "
        "digits printed after them, the times issued, may be left out)."
    ),
    "tw_travel_permit_country": _(
        "This permit is issued by the mainland's authorities: choose China (mainland) "
        "or Taiwan as the country."
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
    "not_adult": _(
        "The date of birth on this verification is under 18 years ago, so it cannot be approved."
    ),
    "document_birth_date": _(
        "The date of birth on your document does not match the one you declared. "
        "Submit again with the date printed on your document."
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

    def __init__(
        self,
        code: str | None = None,
        *,
        field: str | None = None,
        message=None,
        detail: str | None = None,
    ):
        self.code = code or self.code
        self.field = field
        #: A finer reason inside the stable ``code`` (for instance which part of a
        #: resident ID number is wrong); it picks the message when it has one.
        self.detail = detail or self.code
        self.message = (
            message
            or MESSAGES.get(self.detail)
            or MESSAGES.get(self.code, _("Something went wrong."))
        )
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
