"""Re-encrypt every stored secret under the newest key of FIELD_ENCRYPTION_KEYS.

Rotation: put the new key first (`FIELD_ENCRYPTION_KEYS=new,old`), deploy, run this command,
then drop the old key. Running it again is harmless: values already under the newest key are
left alone.

Deployments from before FIELD_ENCRYPTION_KEYS was required may hold tokens encrypted under a
key derived from SECRET_KEY. `--from-secret-key` reads those too, for this run only, with the
key derived from the SECRET_KEY of that time (LEGACY_SECRET_KEY in the environment, otherwise
SECRET_KEY), and re-encrypts them under FIELD_ENCRYPTION_KEYS.
"""

from __future__ import annotations

import base64
import hashlib
import os
from dataclasses import dataclass

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.apps import apps
from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import connection, models, transaction

from integrations import crypto
from integrations.crypto import EncryptedTextField


@dataclass
class Counts:
    rotated: int = 0
    current: int = 0
    unreadable: int = 0


class Command(BaseCommand):
    help = "Re-encrypt every stored secret under the first key of FIELD_ENCRYPTION_KEYS."

    def add_arguments(self, parser) -> None:
        parser.add_argument(
            "--from-secret-key",
            action="store_true",
            help="Also read values encrypted by earlier versions under the key derived from "
            "LEGACY_SECRET_KEY (environment), or SECRET_KEY when that is unset.",
        )

    def handle(self, *args, from_secret_key: bool = False, **options) -> None:
        extra_keys = [legacy_key_derived_from(legacy_secret_key())] if from_secret_key else []
        total = Counts()
        for model, field in encrypted_fields():
            counts = rotate_column(model, field, extra_keys)
            self.stdout.write(
                f"{model._meta.label}.{field.name}: {counts.rotated} re-encrypted, "
                f"{counts.current} already under the newest key, {counts.unreadable} unreadable"
            )
            total.rotated += counts.rotated
            total.current += counts.current
            total.unreadable += counts.unreadable
        if total.unreadable:
            raise CommandError(
                f"{total.unreadable} value(s) could not be decrypted with any configured key "
                "and were left unchanged."
            )
        self.stdout.write(
            self.style.SUCCESS(
                f"Done: {total.rotated} re-encrypted, {total.current} already current."
            )
        )


def legacy_secret_key() -> str:
    return os.environ.get("LEGACY_SECRET_KEY") or settings.SECRET_KEY


def legacy_key_derived_from(secret_key: str) -> bytes:
    """The Fernet key earlier versions derived from SECRET_KEY when FIELD_ENCRYPTION_KEYS was
    unset; kept here only to move such values under a key of their own."""
    digest = hashlib.sha256(("field-encryption:" + secret_key).encode()).digest()
    return base64.urlsafe_b64encode(digest)


def encrypted_fields() -> list[tuple[type[models.Model], EncryptedTextField]]:
    return [
        (model, field)
        for model in apps.get_models()
        for field in model._meta.concrete_fields
        if isinstance(field, EncryptedTextField)
    ]


def rotate_column(
    model: type[models.Model], field: EncryptedTextField, extra_keys: list[bytes] | None = None
) -> Counts:
    """Rotate one column, reading raw ciphertext: the field itself would hand back plaintext.
    `extra_keys` decrypt besides the configured ones, for this run only."""
    keys = crypto.configured_keys()
    newest = Fernet(keys[0])
    readers = MultiFernet([Fernet(key) for key in [*keys, *(extra_keys or [])]])
    counts = Counts()
    for pk, ciphertext in _raw_values(model, field):
        if _is_under(newest, ciphertext):
            counts.current += 1
            continue
        try:
            rotated = readers.rotate(ciphertext.encode()).decode()
        except InvalidToken:
            counts.unreadable += 1
            continue
        _store_if_unchanged(model, field, pk, old=ciphertext, new=rotated)
        counts.rotated += 1
    return counts


def _raw_values(model: type[models.Model], field: EncryptedTextField) -> list[tuple]:
    table = connection.ops.quote_name(model._meta.db_table)
    column = connection.ops.quote_name(field.column)
    pk = connection.ops.quote_name(model._meta.pk.column)
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT {pk}, {column} FROM {table} WHERE {column} IS NOT NULL AND {column} <> ''"  # noqa: S608
        )
        return list(cursor.fetchall())


def _is_under(key: Fernet, ciphertext: str) -> bool:
    try:
        key.decrypt(ciphertext.encode())
    except InvalidToken:
        return False
    return True


def _store_if_unchanged(
    model: type[models.Model], field: EncryptedTextField, pk, *, old: str, new: str
) -> None:
    # Compare-and-set: a secret replaced meanwhile (a reconnect) is already under the new key.
    table = connection.ops.quote_name(model._meta.db_table)
    column = connection.ops.quote_name(field.column)
    pk_column = connection.ops.quote_name(model._meta.pk.column)
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {table} SET {column} = %s WHERE {pk_column} = %s AND {column} = %s",  # noqa: S608
            [new, pk, old],
        )
