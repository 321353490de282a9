"""The refresh token: encrypted at rest, never logged, rendered, dumped or shown in the admin."""

from __future__ import annotations

import io
import logging
from urllib.parse import parse_qsl, urlsplit

from django.core.management import call_command
from django.db import connection
from django.test import Client

from accounts.models import User
from integrations import crypto
from integrations.models import GoogleDriveIntegration

from .conftest import (
    DISCONNECT_URL,
    MERCHANT_EMAIL,
    PAGE_URL,
    as_local,
    integration_of,
    issued_refresh_tokens,
    start_connect,
)


def test_no_token_or_code_in_logs_pages_database_dump_or_admin(
    client, merchant, google_settings, caplog
):
    caplog.set_level(logging.DEBUG)
    callback = google_settings.authorize(start_connect(client), MERCHANT_EMAIL)
    code = dict(parse_qsl(urlsplit(callback).query))["code"]
    pages = [client.get(as_local(callback), follow=True).content.decode()]
    pages.append(client.get(PAGE_URL).content.decode())
    pages.append(client.get(DISCONNECT_URL).content.decode())

    integration = integration_of(merchant)
    token = integration.refresh_token
    assert token in issued_refresh_tokens(google_settings), "the test holds the real token"

    dump = io.StringIO()
    call_command("dumpdata", stdout=dump)
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT refresh_token FROM integrations_googledriveintegration WHERE id = %s",
            [integration.pk],
        )
        [(raw,)] = cursor.fetchall()
    admin = User.objects.create_superuser(email="admin@platform.example", password="x")
    browser = Client()
    browser.force_login(admin)
    admin_page = browser.get(f"/admin/integrations/googledriveintegration/{integration.pk}/change/")
    assert admin_page.status_code == 200
    admin_list = browser.get("/admin/integrations/googledriveintegration/")

    pages.append(client.post(DISCONNECT_URL, follow=True).content.decode())

    assert token not in dump.getvalue()
    assert token not in raw
    assert crypto.decrypt(raw) == token
    assert token not in caplog.text and code not in caplog.text
    for page in [*pages, admin_page.content.decode(), admin_list.content.decode()]:
        assert token not in page
        assert code not in page
    assert raw not in admin_page.content.decode(), "not even the ciphertext"
    assert "refresh_token" not in admin_page.content.decode()
    assert MERCHANT_EMAIL in admin_page.content.decode()


def test_integration_repr_and_str_do_not_carry_the_token(client, merchant, google_settings):
    client.get(as_local(google_settings.authorize(start_connect(client), MERCHANT_EMAIL)))
    integration = integration_of(merchant)
    assert integration.refresh_token not in repr(integration) + str(integration)


def test_a_dump_loads_back_with_the_token_intact(merchant, tmp_path):
    integration = GoogleDriveIntegration.objects.create(
        merchant=merchant, status="connected", refresh_token="1//kept-across-dump"
    )
    dump = tmp_path / "integrations.json"
    call_command("dumpdata", "integrations.googledriveintegration", output=str(dump))
    assert "1//kept-across-dump" not in dump.read_text()
    GoogleDriveIntegration.objects.filter(pk=integration.pk).update(refresh_token="")

    call_command("loaddata", str(dump), verbosity=0)

    assert GoogleDriveIntegration.objects.get(pk=integration.pk).refresh_token == (
        "1//kept-across-dump"
    )
