"""Encryption at rest for secrets (Google refresh tokens) with rotatable Fernet keys."""

from __future__ import annotations

from functools import lru_cache

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.db import models


def configured_keys() -> list[bytes]:
    """FIELD_ENCRYPTION_KEYS, newest first. There is no fallback: a key derived from
    SECRET_KEY would let whoever holds SECRET_KEY read every token, and rotating SECRET_KEY
    would make them all unreadable (see rotate_encryption_keys --from-secret-key)."""
    keys = [k.strip().encode() for k in settings.FIELD_ENCRYPTION_KEYS if k.strip()]
    if not keys:
        raise ImproperlyConfigured("FIELD_ENCRYPTION_KEYS is not set.")
    return keys


@lru_cache(maxsize=8)
def _fernet(keys: tuple[bytes, ...]) -> MultiFernet:
    try:
        return MultiFernet([Fernet(k) for k in keys])
    except ValueError as exc:
        raise ImproperlyConfigured(
            "FIELD_ENCRYPTION_KEYS must be comma-separated Fernet keys "
            "(generate one with: python -c 'from cryptography.fernet import Fernet; "
            "print(Fernet.generate_key().decode())')"
        ) from exc


def fernet() -> MultiFernet:
    return _fernet(tuple(configured_keys()))


def encrypt(plaintext: str) -> str:
    return fernet().encrypt(plaintext.encode()).decode()


def decrypt(ciphertext: str) -> str:
    try:
        return fernet().decrypt(ciphertext.encode()).decode()
    except InvalidToken as exc:
        raise ImproperlyConfigured(
            "A stored secret cannot be decrypted with any of FIELD_ENCRYPTION_KEYS."
        ) from exc


class EncryptedTextField(models.TextField):
    """A text field stored as a Fernet token; the plaintext only lives in Python."""

    def from_db_value(self, value, expression, connection):
        if value in (None, ""):
            return value
        return decrypt(value)

    def get_prep_value(self, value):
        value = super().get_prep_value(value)
        if value in (None, ""):
            return value
        return encrypt(value)

    def value_to_string(self, obj):
        # Serializers (dumpdata) write the ciphertext, never the plaintext.
        value = self.value_from_object(obj)
        return encrypt(value) if value else value

    def to_python(self, value):
        # loaddata hands back what value_to_string wrote; a plaintext never verifies as a
        # Fernet token under our keys, so anything else is taken as plaintext.
        if isinstance(value, str) and value:
            try:
                return fernet().decrypt(value.encode()).decode()
            except InvalidToken:
                return value
        return super().to_python(value)
