"""Real-name verification: submission, moderators' decisions, the minor mark,
impersonation flags, expiry. Lock order: the ``User`` row first, then its
``IdentityVerification`` rows. Full document numbers never leave this module except
encrypted. The identity provider's side (starting a check,
applying its verdict) is in ``identity_checks``."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from django.conf import settings
from django.core.files.base import ContentFile
from django.db import transaction
from django.utils import timezone
from django.views.decorators.debug import sensitive_variables

from .. import documents, emails
from ..audit import record_audit
from ..documents import normalise_document_number
from ..exceptions import IllegalTransition, InvalidDocument, VerificationRefused
from ..identity import get_identity_provider
from ..models import (
    IdentityVerification,
    ImpersonationFlag,
    User,
    VerificationStatus,
)
from ..signals import possible_impersonation

logger = logging.getLogger("handoff.accounts")

State = IdentityVerification.State


# ------------------------------------------------------------ identity verification


@dataclass(frozen=True)
class VerificationSubmission:
    """What the user declares on ``/verify/``. ``document_number`` as typed."""

    legal_name: str
    document_type: str
    document_number: str
    date_of_birth: date
    country: str

    def __repr__(self) -> str:  # never let the number reach a log or traceback
        return (
            f"VerificationSubmission(document_type={self.document_type!r}, "
            f"number=···{documents.last4(self.document_number)}, country={self.country!r})"
        )


def _snapshot(verification: IdentityVerification) -> dict[str, Any]:
    """What audit rows record of a verification: never the full number."""
    return {
        "state": verification.state,
        "document_type": verification.document_type,
        "document": verification.masked_number,
        "expires_at": verification.expires_at.isoformat() if verification.expires_at else None,
    }


def _set_user_status(user: User, status: str, verified_until: datetime | None) -> None:
    user.verification_status = status
    user.verified_until = verified_until
    user.save(update_fields=["verification_status", "verified_until"])


def _renewal_window() -> timedelta:
    return timedelta(days=settings.VERIFICATION_REMINDER_DAYS)


def can_submit_verification(user: User, *, now: datetime | None = None) -> str | None:
    """Why ``user`` may not submit a verification now (an error code), or None."""
    now = now or timezone.now()
    if user.is_minor:
        return "minor_marked"
    if user.verification_status == VerificationStatus.PENDING:
        return "already_pending"
    if IdentityVerification.objects.filter(user=user, state=State.PENDING).exists():
        return "already_pending"
    if user.is_verified_adult(now=now) and user.verified_until - now > _renewal_window():
        return "already_verified"
    return None


def _raise_impersonation(
    *, user: User, attempt: IdentityVerification | None, existing: IdentityVerification
) -> ImpersonationFlag:
    """Record a possible impersonation (caller is inside a transaction); once per
    (submission, existing verification) pair."""
    if attempt is not None:
        open_flag = ImpersonationFlag.objects.filter(
            attempt=attempt, existing=existing, resolved_at__isnull=True
        ).first()
        if open_flag is not None:
            return open_flag
    flag = ImpersonationFlag.objects.create(
        user=user,
        attempt=attempt,
        existing=existing,
        existing_user_id=existing.user_id,
        document_number_hash=existing.document_number_hash,
        document_last4=existing.document_last4,
    )
    record_audit(
        actor=None,
        action="accounts.impersonation.flagged",
        target=flag,
        reason="Document number already verified for another account.",
        after={"document": f"···{flag.document_last4}", "user": user.pk},
    )
    logger.warning(
        "possible impersonation: user %s submitted a document (···%s) verified for user %s",
        user.pk,
        flag.document_last4,
        existing.user_id,
    )
    transaction.on_commit(
        lambda: possible_impersonation.send(sender=ImpersonationFlag, flag=flag, user=user)
    )
    return flag


@sensitive_variables("submission", "number", "normalised", "checked")
def submit_verification(
    *,
    user: User,
    submission: VerificationSubmission,
    document_image: ContentFile | None,
    selfie_image: ContentFile | None = None,
    language: str = "",
    now: datetime | None = None,
) -> IdentityVerification:
    """Submit a real-name verification for review.

    Preconditions: images were validated and re-encoded by ``kernel.uploads``.
    Checks again what the form checked (document format and checksum, birth date),
    then the rules: a minor mark refuses; a declared age under 18, or a number that
    encodes a birth date under 18, marks the user as a minor and refuses (before
    any other check of the number); a number already verified for another user is
    refused and flagged to moderators as possible impersonation; one pending check
    at a time. Ages count on the submission's day (``now``) in the platform's zone.

    Raises ``InvalidDocument`` (nothing written) or ``VerificationRefused`` (for the
    minor and duplicate cases the mark, flag and audit rows ARE committed).
    """
    now = now or timezone.now()
    provider = get_identity_provider()
    declared = submission.date_of_birth
    documents.check_birth_date(declared, now=now)
    try:
        checked = documents.inspect_document(
            document_type=submission.document_type,
            number=submission.document_number,
            country=submission.country,
            birth_date=declared,
            now=now,
        )
    except InvalidDocument as exc:
        checked, document_error = None, exc
    else:
        document_error = None
    # The minors rule comes first: a declared age under 18, or a number that itself
    # encodes a minor's birth date, marks the user whatever else is wrong, so
    # fixing the number and then the date cannot get round it.
    if not documents.is_adult(declared, now=now):
        minor_reason = "Declared a date of birth under 18 when submitting verification."
    elif checked is not None and not documents.is_adult_document(checked, now=now):
        minor_reason = "Submitted a document whose number encodes a date of birth under 18."
    else:
        minor_reason = None
        if document_error is not None:
            raise document_error
        documents.check_document(
            document_type=submission.document_type,
            number=submission.document_number,
            country=submission.country,
            birth_date=declared,
            now=now,
        )
        if document_image is None and not provider.collects_document:
            raise InvalidDocument("document_image_required", field="document_image")
    normalised = checked.number if checked is not None else ""
    number_hash = documents_hash(normalised)
    scope = documents.document_scope(submission.document_type, submission.country, normalised)

    refusal: VerificationRefused | None = None
    verification: IdentityVerification | None = None
    with transaction.atomic():
        locked = User.objects.select_for_update().get(pk=user.pk)
        if code := can_submit_verification(locked, now=now):
            raise VerificationRefused(code)
        if minor_reason is not None:
            mark_minor(locked, now=now, reason=minor_reason, actor=locked)
            refusal = VerificationRefused("minor", field="date_of_birth")
        else:
            existing = (
                IdentityVerification.objects.filter(
                    document_number_hash__in=documents_hashes(normalised),
                    document_scope=scope,
                    state=State.VERIFIED,
                )
                .exclude(user=locked)
                .first()
            )
            verification = IdentityVerification(
                user=locked,
                state=State.REJECTED if existing else State.PENDING,
                provider=provider.name,
                legal_name=submission.legal_name.strip(),
                document_type=submission.document_type,
                document_number=normalised,
                document_number_hash=number_hash,
                document_scope=scope,
                document_last4=normalised[-4:],
                date_of_birth=submission.date_of_birth,
                country=submission.country,
                language=language[:10],
                submitted_at=now,
            )
            if document_image is not None:
                verification.document_image.save(document_image.name, document_image, save=False)
            if selfie_image is not None:
                verification.selfie_image.save(selfie_image.name, selfie_image, save=False)
            if existing:
                verification.decided_at = now
                verification.decision_reason = str(
                    VerificationRefused("duplicate_document").message
                )
                verification.save()
                _raise_impersonation(user=locked, attempt=verification, existing=existing)
                if locked.verification_status != VerificationStatus.VERIFIED:
                    _set_user_status(locked, VerificationStatus.REJECTED, None)
                refusal = VerificationRefused("duplicate_document", field="document_number")
            else:
                verification.save()
                if locked.verification_status != VerificationStatus.VERIFIED:
                    _set_user_status(locked, VerificationStatus.PENDING, None)
                logger.info(
                    "verification %s submitted by user %s (%s ···%s)",
                    verification.pk,
                    locked.pk,
                    verification.document_type,
                    verification.document_last4,
                )
    if refusal is not None:
        raise refusal
    user.refresh_from_db(fields=["verification_status", "verified_until", "is_minor"])
    return verification


def mark_minor(locked: User, *, now: datetime, reason: str, actor: User | None = None) -> None:
    """Mark ``locked`` (caller holds its row lock) as a minor, audited."""
    locked.is_minor = True
    locked.minor_marked_at = now
    locked.save(update_fields=["is_minor", "minor_marked_at"])
    record_audit(
        actor=actor,
        action="accounts.user.marked_minor",
        target=locked,
        reason=reason,
        before={"is_minor": False},
        after={"is_minor": True},
    )
    logger.info("user %s marked as a minor at verification", locked.pk)


def documents_hash(normalised: str) -> str:
    from kernel.crypto import keyed_hash

    return keyed_hash(f"identity-document:{normalised}")


def documents_hashes(normalised: str) -> list[str]:
    """The hashes a duplicate of ``normalised`` may be stored under: the current key's
    and, during a hash-key rotation (``DOCUMENT_HASH_KEY_OLD`` set), the previous
    key's, so a row not yet rehashed by ``rotate_keys`` is still found."""
    from django.conf import settings

    from kernel.crypto import keyed_hash

    hashes = [documents_hash(normalised)]
    old_key = getattr(settings, "DOCUMENT_HASH_KEY_OLD", "")
    if old_key and normalised:
        hashes.append(keyed_hash(f"identity-document:{normalised}", key=old_key))
    return hashes


def _lock(verification_id: int) -> tuple[User, IdentityVerification]:
    """Lock the owner, then the verification (the module's lock order)."""
    user_id = IdentityVerification.objects.values_list("user_id", flat=True).get(pk=verification_id)
    user = User.objects.select_for_update().get(pk=user_id)
    verification = IdentityVerification.objects.select_for_update().get(pk=verification_id)
    return user, verification


def _transition(verification: IdentityVerification, to: str) -> None:
    if to not in IdentityVerification.TRANSITIONS[verification.state]:
        raise IllegalTransition()
    verification.state = to


def approve_verification(
    *,
    verification_id: int,
    actor: User | None,
    reason: str = "",
    now: datetime | None = None,
) -> IdentityVerification:
    """pending → verified, valid for ``VERIFICATION_VALIDITY_DAYS``.

    ``actor`` is the moderator (None when an identity provider decided). A renewal
    replaces the user's current verification (→ superseded). If the number has been
    verified for another user meanwhile, the approval is refused and flagged. The
    age rule is checked again on the approval's day: whoever approves (moderator,
    provider), nobody under 18 becomes verified.
    """
    now = now or timezone.now()
    refusal = None
    with transaction.atomic():
        user, verification = _lock(verification_id)
        if verification.state != State.PENDING:
            raise IllegalTransition()
        if user.is_minor:
            raise VerificationRefused("minor_marked")
        if not documents.is_adult(verification.date_of_birth, now=now):
            raise VerificationRefused("not_adult")
        existing = (
            IdentityVerification.objects.select_for_update()
            .filter(
                document_scope=verification.document_scope,
                document_number_hash__in={
                    verification.document_number_hash,
                    *documents_hashes(normalise_document_number(verification.document_number)),
                },
                state=State.VERIFIED,
            )
            .exclude(user=user)
            .first()
        )
        if existing:
            _raise_impersonation(user=user, attempt=verification, existing=existing)
            refusal = VerificationRefused("duplicate_document")
        else:
            before = _snapshot(verification)
            current = IdentityVerification.objects.select_for_update().filter(
                user=user, state=State.VERIFIED
            )
            for old in current:
                _transition(old, State.SUPERSEDED)
                old.ended_at = now
                old.save(update_fields=["state", "ended_at"])
            _transition(verification, State.VERIFIED)
            verification.decided_at = now
            verification.decided_by = actor
            verification.decision_reason = reason.strip()
            verification.expires_at = now + timedelta(days=settings.VERIFICATION_VALIDITY_DAYS)
            verification.reminder_sent_at = None
            verification.save()
            _set_user_status(user, VerificationStatus.VERIFIED, verification.expires_at)
            _announce(verification, actor, "approved", reason.strip() or "approved", before)
    if refusal is not None:
        raise refusal
    return verification


def _announce(verification, actor, decision: str, reason: str, before: dict) -> None:
    """Audit, log and e-mail the user (after commit) a moderator's ``decision``
    ("approved", "rejected", "revoked") on ``verification``."""
    record_audit(
        actor=actor,
        action=f"accounts.verification.{decision}",
        target=verification,
        reason=reason,
        before=before,
        after=_snapshot(verification),
    )
    logger.info("verification %s %s (user %s)", verification.pk, decision, verification.user_id)
    emails.send_on_commit(verification.pk, decision, user_id=verification.user_id)


def _required_reason(reason: str | None, field: str = "reason") -> str:
    """A moderator's reason, stripped; none (or blanks) is refused on ``field``."""
    if not reason or not reason.strip():
        raise VerificationRefused("reason_required", field=field)
    return reason.strip()


#: How a moderator's decision ends a verification: decision → (state, the field
#: dated with the decision, the owner's status, whether a user still verified
#: keeps that status: a rejected renewal leaves the current check standing).
_ENDINGS = {
    "rejected": (State.REJECTED, "decided_at", VerificationStatus.REJECTED, True),
    "revoked": (State.REVOKED, "ended_at", VerificationStatus.REVOKED, False),
}


def _end_with_reason(
    decision: str, *, verification_id: int, actor: User | None, reason: str, now: datetime | None
) -> IdentityVerification:
    """A moderator's ``decision`` (``_ENDINGS``) that ends a verification with a
    reason the user sees (profile page and e-mail): the state, the date, the reason
    and the owner's status recorded, audited and announced."""
    to, stamp, user_status, keep_verified_user = _ENDINGS[decision]
    now = now or timezone.now()
    reason = _required_reason(reason)
    with transaction.atomic():
        user, verification = _lock(verification_id)
        before = _snapshot(verification)
        _transition(verification, to)
        setattr(verification, stamp, now)
        verification.decided_by = actor
        verification.decision_reason = reason
        verification.save()
        if not (keep_verified_user and user.verification_status == VerificationStatus.VERIFIED):
            _set_user_status(user, user_status, None)
        _announce(verification, actor, decision, reason, before)
    return verification


def reject_verification(
    *, verification_id: int, actor: User | None, reason: str, now: datetime | None = None
) -> IdentityVerification:
    """pending → rejected, with a reason the user sees (profile page and e-mail)."""
    return _end_with_reason(
        "rejected", verification_id=verification_id, actor=actor, reason=reason, now=now
    )


def revoke_verification(
    *, verification_id: int, actor: User | None, reason: str, now: datetime | None = None
) -> IdentityVerification:
    """verified → revoked (e.g. the document turned out to be false or borrowed)."""
    return _end_with_reason(
        "revoked", verification_id=verification_id, actor=actor, reason=reason, now=now
    )


def lift_minor_mark(*, user_id: int, actor: User, reason: str, now: datetime | None = None) -> User:
    """A moderator lifts the minor mark (e.g. the date of birth was mistyped)."""
    now = now or timezone.now()
    reason = _required_reason(reason)
    with transaction.atomic():
        user = User.objects.select_for_update().get(pk=user_id)
        if not user.is_minor:
            raise VerificationRefused("not_minor")
        before = {"is_minor": True, "minor_marked_at": user.minor_marked_at.isoformat()}
        user.is_minor = False
        user.minor_marked_at = None
        user.save(update_fields=["is_minor", "minor_marked_at"])
        record_audit(
            actor=actor,
            action="accounts.user.minor_mark_lifted",
            target=user,
            reason=reason,
            before=before,
            after={"is_minor": False},
        )
    return user


def resolve_impersonation_flag(
    *, flag_id: int, actor: User, note: str, now: datetime | None = None
) -> ImpersonationFlag:
    """A moderator records that a possible impersonation was looked into."""
    now = now or timezone.now()
    note = _required_reason(note, field="note")
    with transaction.atomic():
        flag = ImpersonationFlag.objects.select_for_update().get(pk=flag_id)
        if flag.resolved_at is not None:
            raise VerificationRefused("already_resolved")
        flag.resolved_at = now
        flag.resolved_by = actor
        flag.resolution = note
        flag.save(update_fields=["resolved_at", "resolved_by", "resolution"])
        record_audit(
            actor=actor,
            action="accounts.impersonation.reviewed",
            target=flag,
            reason=note,
            before={"resolved": False},
            after={"resolved": True},
        )
    return flag


def process_verification_expiry(*, now: datetime, batch_size: int = 200) -> dict[str, int]:
    """The expiry job: remind users whose verification ends within
    ``VERIFICATION_REMINDER_DAYS``, then take the verified state from those whose
    verification has ended.

    Idempotent (a reminder is sent once per verification; an expired one is no longer
    VERIFIED) and batched: each batch is its own transaction, rows locked with SKIP
    LOCKED so two workers never handle the same row.
    """
    counts = {"reminded": 0, "expired": 0}
    while True:
        with transaction.atomic():
            batch = list(
                IdentityVerification.objects.select_for_update(skip_locked=True)
                .filter(
                    state=State.VERIFIED,
                    reminder_sent_at__isnull=True,
                    expires_at__gt=now,
                    expires_at__lte=now + _renewal_window(),
                )
                .order_by("pk")[:batch_size]
            )
            for verification in batch:
                verification.reminder_sent_at = now
                verification.save(update_fields=["reminder_sent_at"])
                emails.send_on_commit(verification.pk, "reminder", user_id=verification.user_id)
        counts["reminded"] += len(batch)
        if len(batch) < batch_size:
            break
    while True:
        with transaction.atomic():
            ids = list(
                IdentityVerification.objects.filter(state=State.VERIFIED, expires_at__lte=now)
                .order_by("pk")
                .values_list("pk", flat=True)[:batch_size]
            )
            # Only those this run expired: another run may have taken some meanwhile.
            done = sum(_expire_one(verification_id, now=now) for verification_id in ids)
        counts["expired"] += done
        if len(ids) < batch_size:
            break
    if counts["reminded"] or counts["expired"]:
        logger.info("verification expiry: %(reminded)s reminded, %(expired)s expired", counts)
    return counts


def _expire_one(verification_id: int, *, now: datetime) -> bool:
    """Expire one verification (caller's transaction); False when another run
    handled it meanwhile."""
    user, verification = _lock(verification_id)
    if verification.state != State.VERIFIED or verification.expires_at > now:
        return False  # handled by someone else meanwhile
    before = _snapshot(verification)
    _transition(verification, State.EXPIRED)
    verification.ended_at = now
    verification.save(update_fields=["state", "ended_at"])
    _set_user_status(user, VerificationStatus.EXPIRED, None)
    record_audit(
        actor=None,
        action="accounts.verification.expired",
        target=verification,
        reason="Validity period ended.",
        before=before,
        after=_snapshot(verification),
    )
    emails.send_on_commit(verification.pk, "expired", user_id=verification.user_id)
    return True


def remember_language(*, user: User, language: str) -> bool:
    """Store the language ``user`` chose or signed in with (one of ``LANGUAGES``;
    anything else is ignored). Their e-mails are written in it. True when it
    changed."""
    codes = {code for code, _name in settings.LANGUAGES}
    if language not in codes or user.language == language:
        return False
    User.objects.filter(pk=user.pk).update(language=language)
    user.language = language
    return True
