"""``manage.py rotate_keys``: every encrypted value is re-encrypted with the newest
key while reads keep working (old and new keys both decrypt during the rotation),
and document-number / handle hashes are recomputed with a new DOCUMENT_HASH_KEY."""

from __future__ import annotations

import io

import pytest
from cryptography.fernet import Fernet
from django.core.management import call_command
from django.db import connection

from accounts.models import IdentityVerification
from escrow.models import Handover
from kernel.crypto import keyed_hash
from listings.models import Listing

from .world import build_world

pytestmark = pytest.mark.django_db


def _raw(table: str, column: str) -> list[str]:
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {column} FROM {table} WHERE {column} <> '' ORDER BY id")  # noqa: S608 - test constants
        return [row[0] for row in cursor.fetchall()]


def test_rotation_reencrypts_everything_and_reads_keep_working(settings):
    w = build_world()
    old_keys = list(settings.FIELD_ENCRYPTION_KEYS)
    old_hash_key = settings.DOCUMENT_HASH_KEY
    plain_numbers = sorted(v.document_number for v in IdentityVerification.objects.all())
    plain_passwords = sorted(h.password for h in Handover.objects.all())
    handles = {listing.pk: listing.handle for listing in Listing.objects.all()}

    new_key = Fernet.generate_key().decode()
    settings.FIELD_ENCRYPTION_KEYS = [new_key, *old_keys]  # during the rotation
    settings.DOCUMENT_HASH_KEY = "a-brand-new-document-hash-key"
    settings.DOCUMENT_HASH_KEY_OLD = old_hash_key

    # Before the command: old tokens still read (no downtime).
    assert sorted(v.document_number for v in IdentityVerification.objects.all()) == plain_numbers
    out = io.StringIO()
    call_command("rotate_keys", batch=2, stdout=out)
    assert "re-encrypted" in out.getvalue()

    # After: only the new key is needed.
    settings.FIELD_ENCRYPTION_KEYS = [new_key]
    new_only = Fernet(new_key.encode())
    for table, column in [
        ("accounts_identityverification", "document_number"),
        ("escrow_handover", "password"),
        ("escrow_handover", "login"),
        ("listings_listing", "handle"),
    ]:
        tokens = _raw(table, column)
        assert tokens, f"{table}.{column} has data"
        for token in tokens:
            new_only.decrypt(token.encode())  # raises if any value kept the old key
    assert sorted(v.document_number for v in IdentityVerification.objects.all()) == plain_numbers
    assert sorted(h.password for h in Handover.objects.all()) == plain_passwords
    assert {x.pk: x.handle for x in Listing.objects.all()} == handles

    # Hashes follow the new hash key: duplicates are still found.
    from accounts.documents import normalise_document_number

    for v in IdentityVerification.objects.all():
        expected = keyed_hash(
            f"identity-document:{normalise_document_number(v.document_number)}",
            key="a-brand-new-document-hash-key",
        )
        assert v.document_number_hash == expected
    from listings.services import handle_fingerprint

    for listing in Listing.objects.exclude(handle=""):
        assert listing.handle_fingerprint == handle_fingerprint(listing.platform, listing.handle)
    assert w is not None
