"""Errors raised by listings' services. Each carries a stable ``code`` and a
translatable message that views show as a form error or a message."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _


class ListingError(Exception):
    """Base error of the listings app."""

    code = "listing_error"
    default_message = _("This listing cannot be changed that way.")

    def __init__(self, message=None, *, code: str | None = None):
        self.message = message if message is not None else self.default_message
        if code is not None:
            self.code = code
        super().__init__(str(self.message))


class IllegalTransition(ListingError):
    """A state change that the transition table does not allow."""

    code = "illegal_transition"
    default_message = _("This listing cannot move to that state now.")

    def __init__(self, from_state: str = "", to_state: str = "", message=None):
        self.from_state = from_state
        self.to_state = to_state
        super().__init__(message)


class ListingNotAvailable(ListingError):
    """reserve_listing on a listing that is not on sale."""

    code = "not_available"
    default_message = _("This listing is not available for sale right now.")


class ListingLocked(ListingError):
    """Editing or withdrawing a listing that is in a deal or closed."""

    code = "locked"
    default_message = _(
        "This listing is part of a deal or closed, so it cannot be edited now "
        "(prices and details cannot change mid-deal)."
    )


class NotAllowedToList(ListingError):
    """The permission gate (governance.policy.can(user, "list")) said no."""

    code = "not_allowed"
    default_message = _(
        "Only verified adult sellers in good standing may submit listings. "
        "Complete your real-name verification first."
    )


class IncompleteListing(ListingError):
    code = "incomplete"
    default_message = _("Fill in every required field before submitting.")


class OwnershipNotProven(ListingError):
    code = "ownership_not_proven"
    default_message = _("Ownership has not been proven yet: check the code in the bio first.")


class TooManyScreenshots(ListingError):
    code = "too_many_screenshots"
    default_message = _("A listing can have at most 8 screenshots.")


class DuplicateListing(ListingError):
    code = "duplicate"
    default_message = _("This account is already listed in another active listing.")


class WatchError(ListingError):
    """A watchlist or saved-search request that cannot be done."""

    code = "watch_error"
    default_message = _("This cannot be saved.")
