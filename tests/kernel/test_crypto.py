from cryptography.fernet import Fernet
from django.test import override_settings

from kernel import crypto


def test_encrypt_round_trip_and_ciphertext_hides_plaintext():
    token = crypto.encrypt("110105199001011234")
    assert "110105199001011234" not in token
    assert crypto.decrypt(token) == "110105199001011234"


def test_rotation_keeps_old_tokens_readable_and_reencrypts_with_newest_key():
    old, new = Fernet.generate_key().decode(), Fernet.generate_key().decode()
    with override_settings(FIELD_ENCRYPTION_KEYS=[old]):
        token = crypto.encrypt("secret")
    with override_settings(FIELD_ENCRYPTION_KEYS=[new, old]):
        assert crypto.decrypt(token) == "secret"
        rotated = crypto.rotate(token)
    with override_settings(FIELD_ENCRYPTION_KEYS=[new]):
        assert crypto.decrypt(rotated) == "secret"


def test_keyed_hash_depends_on_key_and_value():
    assert crypto.keyed_hash("A1", key="k" * 32) == crypto.keyed_hash("A1", key="k" * 32)
    assert crypto.keyed_hash("A1", key="k" * 32) != crypto.keyed_hash("A1", key="j" * 32)
    assert crypto.keyed_hash("A1", key="k" * 32) != crypto.keyed_hash("A2", key="k" * 32)
