"""The identity provider's side of real-name verification: starting its check and
applying its verdict. Its verdict goes through the same services as a moderator's
(``approve_verification``, ``reject_verification``), after the age rule is checked
against the date of birth the provider read on the document."""

from __future__ import annotations

import logging
from datetime import date, datetime

from django.db import transaction
from django.utils import timezone

from .. import documents
from ..exceptions import IllegalTransition, VerificationRefused
from ..identity import IdentityCheckOutcome, IdentityCheckRequest, get_identity_provider
from ..models import IdentityVerification, User
from .verification import approve_verification, mark_minor, reject_verification

logger = logging.getLogger("handoff.accounts")

State = IdentityVerification.State


def start_identity_check(*, verification: IdentityVerification, return_url: str):
    """Ask the configured provider to start checking ``verification``.

    Called after ``submit_verification`` committed; no lock is held during the call.
    Returns an ``IdentityCheckSession`` (with a ``redirect_url`` for hosted flows).
    """
    provider = get_identity_provider()
    session = provider.start_check(
        IdentityCheckRequest(
            verification_id=verification.pk,
            user_id=verification.user_id,
            email=verification.user.email,
            document_type=verification.document_type,
            country=verification.country,
            return_url=return_url,
        )
    )
    if session.reference:
        with transaction.atomic():
            locked = IdentityVerification.objects.select_for_update().get(pk=verification.pk)
            locked.provider_reference = session.reference
            locked.save(update_fields=["provider_reference"])
    return session


def apply_identity_outcome(
    *, outcome: IdentityCheckOutcome, now: datetime | None = None
) -> IdentityVerification | None:
    """Apply a provider's verdict (from a verified webhook) to its pending verification.

    Idempotent and order-proof: only a *pending* verification changes; a repeated or
    late event for a decided one is ignored. Returns the verification, or None when
    the event names none of ours.
    """
    verification = (
        IdentityVerification.objects.filter(
            provider=outcome.provider, provider_reference=outcome.reference
        )
        .only("pk", "state")
        .first()
    )
    if verification is None and outcome.verification_id:
        verification = (
            IdentityVerification.objects.filter(
                pk=outcome.verification_id, provider=outcome.provider
            )
            .only("pk", "state")
            .first()
        )
    if verification is None:
        logger.warning("identity event %s names no verification of ours", outcome.event_id)
        return None
    if verification.state != State.PENDING:
        return verification
    try:
        if outcome.status == "verified" and outcome.date_of_birth is not None:
            refused = _refuse_document_birth_date(
                verification_id=verification.pk, document_birth=outcome.date_of_birth, now=now
            )
            if refused is not None:
                return refused
        if outcome.status == "verified":
            return approve_verification(
                verification_id=verification.pk,
                actor=None,
                reason=f"{outcome.provider}: document verified",
                now=now,
            )
        if outcome.status == "requires_input":
            return reject_verification(
                verification_id=verification.pk,
                actor=None,
                reason=outcome.reason or "The identity check could not verify your document.",
                now=now,
            )
    except (IllegalTransition, VerificationRefused) as exc:
        logger.info("identity event %s not applied: %s", outcome.event_id, exc.code)
    return verification


def _refuse_document_birth_date(
    *, verification_id: int, document_birth: date, now: datetime | None
) -> IdentityVerification | None:
    """The provider read ``document_birth`` on the document: a minor's date rejects
    the check and marks the user a minor; a date other than the declared one
    rejects it. None when the date is an adult's and the declared one."""
    now = now or timezone.now()
    declared = IdentityVerification.objects.values_list("date_of_birth", flat=True).get(
        pk=verification_id
    )
    if documents.is_adult(document_birth, now=now) and document_birth == declared:
        return None
    with transaction.atomic():
        if not documents.is_adult(document_birth, now=now):
            verification = reject_verification(
                verification_id=verification_id,
                actor=None,
                reason=str(VerificationRefused("minor").message),
                now=now,
            )
            mark_minor(
                User.objects.select_for_update().get(pk=verification.user_id),
                now=now,
                reason="The identity provider read a date of birth under 18 on the document.",
            )
            return verification
        return reject_verification(
            verification_id=verification_id,
            actor=None,
            reason=str(VerificationRefused("document_birth_date").message),
            now=now,
        )
