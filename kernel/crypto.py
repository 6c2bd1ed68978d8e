"""Encryption at rest and keyed hashes.

- ``encrypt``/``decrypt`` use MultiFernet over ``FIELD_ENCRYPTION_KEYS`` (newest key
  first): new data is encrypted with the newest key, older keys still decrypt, and
  ``rotate`` re-encrypts a token with the newest key.
- ``EncryptedTextField`` stores a Fernet token; the model attribute is plain text.
  It cannot be searched or indexed by value — use ``keyed_hash`` for look-ups.
- ``keyed_hash`` is an HMAC-SHA256 with ``DOCUMENT_HASH_KEY`` (hex digest), for
  finding duplicates of a secret value without storing it in the clear.
"""

from __future__ import annotations

import hashlib
import hmac
from functools import lru_cache

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.conf import settings
from django.core.signals import setting_changed
from django.db import models


@lru_cache(maxsize=1)
def _fernet() -> MultiFernet:
    return MultiFernet([Fernet(key) for key in settings.FIELD_ENCRYPTION_KEYS])


def _reset(**kwargs):
    if kwargs.get("setting") == "FIELD_ENCRYPTION_KEYS":
        _fernet.cache_clear()


setting_changed.connect(_reset, dispatch_uid="marketplace-crypto-reset")


def encrypt(plaintext: str) -> str:
    return _fernet().encrypt(plaintext.encode("utf-8")).decode("ascii")


def decrypt(token: str) -> str:
    """Raises ``cryptography.fernet.InvalidToken`` if no configured key opens it."""
    return _fernet().decrypt(token.encode("ascii")).decode("utf-8")


def rotate(token: str) -> str:
    """The same plaintext, encrypted with the newest key."""
    return _fernet().rotate(token.encode("ascii")).decode("ascii")


def keyed_hash(value: str, *, key: str | None = None) -> str:
    secret = (key if key is not None else settings.DOCUMENT_HASH_KEY).encode("utf-8")
    return hmac.new(secret, value.encode("utf-8"), hashlib.sha256).hexdigest()


class EncryptedTextField(models.TextField):
    """A text column holding a Fernet token; Python sees the decrypted text.

    Empty strings and None are stored as they are (nothing to hide).
    """

    description = "Text encrypted at rest (Fernet)"

    def from_db_value(self, value, expression, connection):
        if value in (None, ""):
            return value
        return decrypt(value)

    def get_prep_value(self, value):
        value = super().get_prep_value(value)
        if value in (None, ""):
            return value
        return encrypt(value)

    def value_to_string(self, obj):  # never serialise the secret in dumps
        return ""


__all__ = ["EncryptedTextField", "InvalidToken", "decrypt", "encrypt", "keyed_hash", "rotate"]
