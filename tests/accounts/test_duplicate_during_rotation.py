"""During a hash-key rotation (``DOCUMENT_HASH_KEY_OLD`` set, ``rotate_keys`` not yet
run over every row) a duplicate document is still found: the check compares with
the hash under the new key and under the old one."""

from __future__ import annotations

import pytest

from accounts import services
from accounts.exceptions import VerificationRefused
from accounts.models import IdentityVerification, ImpersonationFlag
from tests.factories import UserFactory

from .identity_helpers import moderator, submit

pytestmark = pytest.mark.django_db


def _start_rotation(settings):
    settings.DOCUMENT_HASH_KEY_OLD = settings.DOCUMENT_HASH_KEY
    settings.DOCUMENT_HASH_KEY = "a-new-document-hash-key-for-the-rotation"


def test_submission_during_rotation_finds_a_duplicate_still_under_the_old_hash(settings):
    owner = UserFactory()
    first = submit(owner)
    services.approve_verification(verification_id=first.pk, actor=moderator(), reason="ok")
    old_hash = IdentityVerification.objects.get(pk=first.pk).document_number_hash

    _start_rotation(settings)  # the owner's row is not rehashed yet
    impostor = UserFactory()
    with pytest.raises(VerificationRefused) as exc:
        submit(impostor)

    assert exc.value.code == "duplicate_document"
    assert IdentityVerification.objects.get(pk=first.pk).document_number_hash == old_hash
    flag = ImpersonationFlag.objects.get()
    assert flag.user == impostor and flag.existing_user == owner


def test_approval_during_rotation_finds_a_duplicate_verified_under_the_other_hash(settings):
    a, b = UserFactory(), UserFactory()
    first = submit(a)  # hashed with the old key
    services.approve_verification(verification_id=first.pk, actor=moderator())
    _start_rotation(settings)
    second = IdentityVerification(
        user=b,
        state=IdentityVerification.State.PENDING,
        provider="manual",
        legal_name="Li Hua",
        document_type=first.document_type,
        document_number=first.document_number,
        document_number_hash=services.documents_hash(first.document_number),  # the new key
        document_last4=first.document_last4,
        date_of_birth=first.date_of_birth,
        country=first.country,
    )
    second.save()

    with pytest.raises(VerificationRefused) as exc:
        services.approve_verification(verification_id=second.pk, actor=moderator())

    assert exc.value.code == "duplicate_document"
    second.refresh_from_db()
    assert second.state == "pending"


def test_without_an_old_key_only_the_current_hash_is_compared(settings):
    settings.DOCUMENT_HASH_KEY_OLD = ""
    assert services.documents_hashes("110101199003141234") == [
        services.documents_hash("110101199003141234")
    ]
