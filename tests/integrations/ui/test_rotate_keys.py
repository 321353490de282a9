"""`rotate_encryption_keys`: re-encrypts stored secrets under the newest key."""

from __future__ import annotations

import io

import pytest
from cryptography.fernet import Fernet
from django.core.management import CommandError, call_command
from django.db import connection

from integrations.models import GoogleDriveIntegration

OLD_KEY = Fernet.generate_key().decode()
NEW_KEY = Fernet.generate_key().decode()


def raw_token(pk: int) -> str:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT refresh_token FROM integrations_googledriveintegration WHERE id = %s", [pk]
        )
        return cursor.fetchone()[0]


def rotate() -> str:
    out = io.StringIO()
    call_command("rotate_encryption_keys", stdout=out)
    return out.getvalue()


def test_rotation_moves_every_secret_to_the_new_key(settings, merchant, other_merchant):
    settings.FIELD_ENCRYPTION_KEYS = [OLD_KEY]
    first = GoogleDriveIntegration.objects.create(merchant=merchant, refresh_token="1//first")
    empty = GoogleDriveIntegration.objects.create(merchant=other_merchant, refresh_token="")

    settings.FIELD_ENCRYPTION_KEYS = [NEW_KEY, OLD_KEY]
    output = rotate()

    assert "1 re-encrypted, 0 already under the newest key, 0 unreadable" in output
    settings.FIELD_ENCRYPTION_KEYS = [NEW_KEY]
    assert GoogleDriveIntegration.objects.get(pk=first.pk).refresh_token == "1//first"
    assert Fernet(NEW_KEY.encode()).decrypt(raw_token(first.pk).encode()) == b"1//first"
    assert GoogleDriveIntegration.objects.get(pk=empty.pk).refresh_token == ""


def test_rotation_is_idempotent(settings, merchant):
    settings.FIELD_ENCRYPTION_KEYS = [OLD_KEY]
    integration = GoogleDriveIntegration.objects.create(merchant=merchant, refresh_token="1//t")
    settings.FIELD_ENCRYPTION_KEYS = [NEW_KEY, OLD_KEY]
    rotate()
    after_first = raw_token(integration.pk)

    output = rotate()

    assert "0 re-encrypted, 1 already under the newest key" in output
    assert raw_token(integration.pk) == after_first


def test_rotation_reports_values_no_key_can_read(settings, merchant):
    settings.FIELD_ENCRYPTION_KEYS = [OLD_KEY]
    integration = GoogleDriveIntegration.objects.create(merchant=merchant, refresh_token="1//t")
    settings.FIELD_ENCRYPTION_KEYS = [NEW_KEY]

    with pytest.raises(CommandError, match="1 value"):
        rotate()

    settings.FIELD_ENCRYPTION_KEYS = [OLD_KEY]
    assert GoogleDriveIntegration.objects.get(pk=integration.pk).refresh_token == "1//t"
