"""A member's own account: the display name, and closing the account."""

from __future__ import annotations

import logging
from datetime import datetime

from django.db import transaction
from django.utils import timezone

from ..audit import record_audit
from ..models import (
    IdentityVerification,
    User,
    VerificationStatus,
)
from ..retention import erase_verification_images
from .verification import _transition

logger = logging.getLogger("handoff.accounts")

State = IdentityVerification.State


def update_display_name(*, user: User, display_name: str, allow_reserved: bool = False) -> User:
    """Set the user's display name under rule ADM-04 (``accounts.display_names``).

    ``allow_reserved``: the caller established that this is acting staff (second
    factor passed), who may use the site's and staff's words.
    Raises ``ValidationError`` (for the form's field) when the name is refused;
    nothing is written then. Two members claiming look-alike names at once are
    serialised on the name's key, so only one gets it.
    """
    from ..display_names import lock_name_key, name_key, validate_display_name

    with transaction.atomic():
        locked = User.objects.select_for_update().get(pk=user.pk)
        lock_name_key(name_key(display_name))
        locked.display_name = validate_display_name(
            display_name, user=locked, allow_reserved=allow_reserved and locked.is_staff
        )
        locked.save(update_fields=["display_name"])
        return locked


def close_account(*, user: User, now: datetime | None = None) -> User:
    """Close ``user``'s account at their request.

    Refused (``AccountClosureRefused``, nothing written) while a registered blocker
    objects — a deal still open, money still held. Otherwise, in one transaction:
    e-mail replaced by ``closed-<id>@closed.invalid``, display name removed,
    password unusable and login disabled (which also ends every session: the
    session hash no longer matches), e-mail addresses and MFA devices deleted;
    verification images deleted (after commit), document numbers and legal names
    blanked (the keyed hash and last 4 characters stay for fraud checks), a live or
    pending check ended; each registered part erases its own personal data. Deals,
    ledger entries, reports and sanctions stay, as the law requires, pointing at
    the anonymised account. Audited (``accounts.user.closed``) without personal data.
    """
    from allauth.account.models import EmailAddress
    from allauth.mfa.models import Authenticator

    from .. import privacy
    from ..exceptions import AccountClosureRefused

    now = now or timezone.now()
    with transaction.atomic():
        locked = User.objects.select_for_update().get(pk=user.pk)
        if not locked.is_active and locked.email.endswith("@closed.invalid"):
            raise AccountClosureRefused("already_closed")
        for check in privacy.blockers():
            if code := check(locked):
                raise AccountClosureRefused(code)
        verifications = IdentityVerification.objects.select_for_update().filter(user=locked)
        for verification in verifications:
            erase_verification_images(verification)
            if verification.state == State.PENDING:
                _transition(verification, State.REJECTED)
                verification.decided_at = now
                verification.decision_reason = "account closed"
            elif verification.state == State.VERIFIED:
                _transition(verification, State.EXPIRED)
                verification.ended_at = now
            verification.document_number = ""
            verification.legal_name = ""
            verification.save()
        for erase in privacy.erasers():
            erase(locked, now)
        EmailAddress.objects.filter(user=locked).delete()
        Authenticator.objects.filter(user=locked).delete()
        locked.email = f"closed-{locked.pk}@closed.invalid"
        locked.display_name = ""
        locked.set_unusable_password()
        locked.is_active = False
        if locked.verification_status in (VerificationStatus.VERIFIED, VerificationStatus.PENDING):
            locked.verification_status = VerificationStatus.UNVERIFIED
            locked.verified_until = None
        locked.save()
        record_audit(
            actor=None,
            action="accounts.user.closed",
            target=locked,
            reason="closed at the user's request; personal data removed",
            after={"is_active": False, "anonymised": True},
        )
        logger.info("account %s closed at the user's request", locked.pk)
    return locked
