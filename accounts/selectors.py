"""Reads that views share, with the access checks that return 404."""

from __future__ import annotations

from django.http import Http404

from .models import IdentityVerification, ImpersonationFlag, User
from .permissions import is_acting_moderator


def can_review_identity_documents(user) -> bool:
    """Acting moderators (second factor passed in this session) holding the document
    permission may see document images."""
    return bool(is_acting_moderator(user) and user.has_perm("accounts.view_identity_document"))


def get_verification_document_for_user(user, verification_id: int, kind: str):
    """The verification whose ``kind`` image ("document" or "selfie") ``user`` may see.

    The owner and moderators only; everyone else (anonymous users included) gets a
    404, so neither the file nor the verification's existence leaks.
    """
    if kind not in ("document", "selfie") or not user.is_authenticated:
        raise Http404
    verification = IdentityVerification.objects.filter(pk=verification_id).first()
    if verification is None:
        raise Http404
    if verification.user_id != user.pk and not can_review_identity_documents(user):
        raise Http404
    field = verification.document_image if kind == "document" else verification.selfie_image
    if not field:
        raise Http404
    return verification, field.name


def latest_verification(user: User) -> IdentityVerification | None:
    return IdentityVerification.objects.filter(user=user).order_by("-submitted_at", "-id").first()


def current_verification(user: User) -> IdentityVerification | None:
    return IdentityVerification.objects.filter(user=user, state="verified").first()


def same_document_elsewhere(verification: IdentityVerification):
    """Other users' verifications of the same document number (for the reviewer)."""
    return (
        IdentityVerification.objects.filter(
            document_number_hash=verification.document_number_hash,
            document_scope=verification.document_scope,
        )
        .exclude(user_id=verification.user_id)
        .select_related("user")
        .order_by("-submitted_at")[:20]
    )


def other_birth_dates_declared(verification: IdentityVerification) -> list[IdentityVerification]:
    """Earlier submissions of the same document (any account, this one included)
    that declared another date of birth: a date edited after a refusal is the
    reviewer's to see."""
    return list(
        IdentityVerification.objects.filter(
            document_number_hash=verification.document_number_hash,
            document_scope=verification.document_scope,
        )
        .exclude(pk=verification.pk)
        .exclude(date_of_birth=verification.date_of_birth)
        .select_related("user")
        .order_by("-submitted_at")[:20]
    )


def open_impersonation_flags_for(user: User):
    return ImpersonationFlag.objects.filter(user=user, resolved_at__isnull=True)
