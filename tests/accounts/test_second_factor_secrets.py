"""Second factors' secrets are credentials: encrypted at rest with the field keys
(accounts.adapter.MFAAdapter), re-encrypted by rotate_keys, encrypted by the
migration where rows held them in the clear, and never shown in the admin."""

from __future__ import annotations

import importlib
import io

import pytest
from allauth.mfa.models import Authenticator
from allauth.mfa.recovery_codes.internal.auth import RecoveryCodes
from allauth.mfa.totp.internal.auth import TOTP
from cryptography.fernet import Fernet
from django.apps import apps
from django.core.management import call_command

from kernel import crypto
from tests.security.world import make_staff
from tests.totp import TOTP_SECRET, force_login_with_second_factor, fresh_totp_code

pytestmark = pytest.mark.django_db


def _raw_data(user) -> dict[str, dict]:
    return {a.type: a.data for a in Authenticator.objects.filter(user=user)}


def test_the_totp_key_and_the_recovery_seed_are_stored_encrypted_and_still_work():
    staff = make_staff()
    RecoveryCodes.activate(staff)
    raw = _raw_data(staff)
    secret, seed = (
        raw[Authenticator.Type.TOTP]["secret"],
        raw[Authenticator.Type.RECOVERY_CODES]["seed"],
    )
    assert secret != TOTP_SECRET and crypto.decrypt(secret) == TOTP_SECRET
    assert crypto.decrypt(seed)  # a Fernet token, not the seed itself

    totp = TOTP(Authenticator.objects.get(user=staff, type=Authenticator.Type.TOTP))
    assert totp.validate_code(fresh_totp_code(staff))
    codes = RecoveryCodes(Authenticator.objects.get(user=staff, type="recovery_codes"))
    assert codes.validate_code(codes.get_unused_codes()[0])


def test_rotate_keys_reencrypts_them_and_the_codes_still_work(settings):
    staff = make_staff()
    before = _raw_data(staff)[Authenticator.Type.TOTP]["secret"]
    new_key = Fernet.generate_key().decode()
    settings.FIELD_ENCRYPTION_KEYS = [new_key, *settings.FIELD_ENCRYPTION_KEYS]
    call_command("rotate_keys", "--skip-hashes", stdout=io.StringIO())
    settings.FIELD_ENCRYPTION_KEYS = [new_key]  # the old keys dropped after the rotation

    after = _raw_data(staff)[Authenticator.Type.TOTP]["secret"]
    assert after != before and crypto.decrypt(after) == TOTP_SECRET
    totp = TOTP(Authenticator.objects.get(user=staff, type=Authenticator.Type.TOTP))
    assert totp.validate_code(fresh_totp_code(staff))


def test_the_migration_encrypts_secrets_written_in_the_clear_and_leaves_tokens():
    migration = importlib.import_module("accounts.migrations.0008_encrypt_second_factor_secrets")
    staff, other = make_staff(), make_staff()
    Authenticator.objects.filter(user=staff).update(data={"secret": TOTP_SECRET})
    kept = _raw_data(other)[Authenticator.Type.TOTP]["secret"]

    migration.encrypt_secrets(apps, None)

    assert crypto.decrypt(_raw_data(staff)[Authenticator.Type.TOTP]["secret"]) == TOTP_SECRET
    assert _raw_data(other)[Authenticator.Type.TOTP]["secret"] == kept  # not encrypted twice
    migration.decrypt_secrets(apps, None)  # the way back
    assert _raw_data(staff)[Authenticator.Type.TOTP]["secret"] == TOTP_SECRET


def test_the_admin_lists_second_factors_without_their_secrets(client):
    operator = make_staff(superuser=True)
    staff = make_staff()
    force_login_with_second_factor(client, operator)
    listing = client.get("/admin/mfa/authenticator/")
    assert listing.status_code == 200 and str(staff) in listing.content.decode()
    pk = Authenticator.objects.get(user=staff, type=Authenticator.Type.TOTP).pk
    page = client.get(f"/admin/mfa/authenticator/{pk}/change/").content.decode()
    stored = _raw_data(staff)[Authenticator.Type.TOTP]["secret"]
    assert TOTP_SECRET not in page and stored not in page and "secret" not in page
    assert client.post(f"/admin/mfa/authenticator/{pk}/change/", {"data": "{}"}).status_code == 403
