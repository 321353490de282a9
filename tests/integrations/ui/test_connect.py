"""Connect: the authorization request (S2) and what a successful callback stores."""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
from urllib.parse import parse_qs, urlsplit

import pytest
from django.test import Client

from integrations.google.oauth import credentials_from_refresh_token
from integrations.models import DriveFolder, GoogleDriveIntegration

from .conftest import (
    CONNECT_URL,
    MERCHANT_EMAIL,
    OTHER_GOOGLE_EMAIL,
    connect,
    grants,
    integration_of,
    issued_refresh_tokens,
    messages_of,
    pending,
    start_connect,
)

DRIVE_FILE = "https://www.googleapis.com/auth/drive.file"


def test_connect_sends_the_merchant_to_google_with_offline_consent_and_pkce(
    client, merchant, user, google_settings
):
    url = start_connect(client)

    assert url.startswith(google_settings.auth_uri + "?")
    query = {k: v[0] for k, v in parse_qs(urlsplit(url).query).items()}
    stored = pending(client)
    assert query["response_type"] == "code"
    assert query["client_id"] == "fake-client-id.apps.googleusercontent.com"
    assert query["redirect_uri"] == "http://testserver/integrations/google-drive/callback/"
    assert query["scope"] == DRIVE_FILE
    assert query["access_type"] == "offline"
    assert query["prompt"] == "consent"
    assert query["include_granted_scopes"] == "true"
    assert query["state"] == stored["state"]
    assert query["code_challenge_method"] == "S256"
    digest = hashlib.sha256(stored["code_verifier"].encode()).digest()
    assert query["code_challenge"] == base64.urlsafe_b64encode(digest).decode().rstrip("=")
    assert stored["merchant_id"] == merchant.pk
    assert stored["user_id"] == user.pk


def test_each_connect_uses_a_fresh_state_and_verifier(client, google_settings):
    start_connect(client)
    first = pending(client)
    start_connect(client)
    second = pending(client)
    assert first["state"] != second["state"]
    assert first["code_verifier"] != second["code_verifier"]


def test_redirect_uri_setting_overrides_the_one_built_from_the_request(
    client, google_settings, settings
):
    settings.GOOGLE_OAUTH_REDIRECT_URI = (
        "https://panel.example.com/integrations/google-drive/callback/"
    )
    query = parse_qs(urlsplit(start_connect(client)).query)
    assert query["redirect_uri"] == [settings.GOOGLE_OAUTH_REDIRECT_URI]


def test_connect_is_a_post_only(client, google_settings):
    assert client.get(CONNECT_URL).status_code == 405


def test_connect_requires_the_csrf_token(user, google_settings):
    browser = Client(enforce_csrf_checks=True)
    browser.force_login(user)
    assert browser.post(CONNECT_URL).status_code == 403


def test_connect_without_a_configured_client_says_so(client, google_settings, settings):
    settings.GOOGLE_OAUTH_CLIENT_ID = ""
    response = client.post(CONNECT_URL, follow=True)
    assert "not set up on this server" in " ".join(messages_of(response))
    assert response.redirect_chain[-1][0] == "/integrations/google-drive/"


def test_successful_connect_stores_the_grant_and_the_google_account(
    client, merchant, google_settings
):
    response = connect(client, google_settings)

    assert f"Google Drive is connected as {MERCHANT_EMAIL}." in messages_of(response)
    integration = integration_of(merchant)
    assert integration.status == GoogleDriveIntegration.Status.CONNECTED
    assert integration.google_email == MERCHANT_EMAIL
    assert integration.google_account_id
    assert integration.connected_at is not None
    assert integration.refresh_token in issued_refresh_tokens(google_settings)
    assert DRIVE_FILE in integration.granted_scopes.split()
    assert f"Connected as <strong>{MERCHANT_EMAIL}</strong>" in response.content.decode()
    [grant] = grants(google_settings, MERCHANT_EMAIL)
    assert grant["scopes"] == [DRIVE_FILE]
    assert not grant["revoked"]


def test_the_stored_refresh_token_works_later(client, merchant, google_settings):
    connect(client, google_settings)
    credentials = credentials_from_refresh_token(integration_of(merchant).refresh_token)
    credentials.refresh(_google_request())
    assert credentials.token


def _google_request():
    from google.auth.transport.requests import Request

    return Request()


def test_reconnecting_the_same_account_keeps_the_grant_alive(client, merchant, google_settings):
    connect(client, google_settings)
    first_token = integration_of(merchant).refresh_token
    DriveFolder.objects.create(
        integration=integration_of(merchant), path="BaseLinker Backup", drive_id="f1"
    )

    connect(client, google_settings)

    integration = integration_of(merchant)
    assert integration.refresh_token != first_token
    assert [g["revoked"] for g in grants(google_settings, MERCHANT_EMAIL)] == [False]
    assert integration.folders.count() == 1, "same Drive: the folder cache stays valid"
    credentials = credentials_from_refresh_token(integration.refresh_token)
    credentials.refresh(_google_request())


def test_switching_to_another_account_revokes_the_old_grant_and_starts_a_new_tree(
    client, merchant, google_settings
):
    connect(client, google_settings)
    integration = integration_of(merchant)
    DriveFolder.objects.create(integration=integration, path="BaseLinker Backup", drive_id="f1")
    GoogleDriveIntegration.objects.filter(pk=integration.pk).update(root_folder_id="f1")

    response = connect(client, google_settings, email=OTHER_GOOGLE_EMAIL)

    assert f"Google Drive is connected as {OTHER_GOOGLE_EMAIL}." in messages_of(response)
    integration = integration_of(merchant)
    assert integration.google_email == OTHER_GOOGLE_EMAIL
    assert [g["revoked"] for g in grants(google_settings, MERCHANT_EMAIL)] == [True]
    assert [g["revoked"] for g in grants(google_settings, OTHER_GOOGLE_EMAIL)] == [False]
    # The old account's folder cache stays (it is kept per account, and the tree is still in
    # that Drive); the new account's tree starts from nothing.
    assert list(integration.folders.values_list("drive_id", flat=True)) == ["f1"]
    assert integration.root_folder_id == ""
    assert integration.documents_since is None


def test_switching_accounts_keeps_the_old_grant_when_another_merchant_uses_it(
    client, other_client, merchant, other_merchant, google_settings
):
    connect(other_client, google_settings)
    connect(client, google_settings)

    connect(client, google_settings, email=OTHER_GOOGLE_EMAIL)

    assert [g["revoked"] for g in grants(google_settings, MERCHANT_EMAIL)] == [False]
    credentials = credentials_from_refresh_token(integration_of(other_merchant).refresh_token)
    credentials.refresh(_google_request())


def test_reconnecting_after_access_was_lost_clears_the_failure_state(
    client, merchant, google_settings
):
    connect(client, google_settings)
    GoogleDriveIntegration.objects.filter(merchant=merchant).update(
        status=GoogleDriveIntegration.Status.ACCESS_LOST,
        last_error="invalid_grant",
        consecutive_failures=3,
    )

    connect(client, google_settings)

    integration = integration_of(merchant)
    assert integration.status == GoogleDriveIntegration.Status.CONNECTED
    assert integration.access_lost_at is None
    assert integration.last_error == ""
    assert integration.consecutive_failures == 0


@pytest.mark.parametrize("status", ["connected", "access_lost", "not_connected"])
def test_page_shows_the_connection_state(client, merchant, status):
    GoogleDriveIntegration.objects.create(
        merchant=merchant, status=status, google_email="someone@example.com"
    )
    page = client.get("/integrations/google-drive/").content.decode()
    expected = {
        "connected": "Connected as <strong>someone@example.com</strong>",
        "access_lost": "Reconnect Google account",
        "not_connected": "Connect Google account",
    }[status]
    assert expected in page


def test_page_warns_when_connected_with_nothing_ticked(client, merchant):
    GoogleDriveIntegration.objects.create(
        merchant=merchant,
        status="connected",
        google_email="someone@example.com",
        backup_orders=False,
        backup_invoices=False,
        backup_receipts=False,
    )
    assert "so no backup will run" in client.get("/integrations/google-drive/").content.decode()
    GoogleDriveIntegration.objects.filter(merchant=merchant).update(backup_invoices=True)
    merchant.external_accounting_enabled = True
    merchant.save()
    assert "so no backup will run" in client.get("/integrations/google-drive/").content.decode()
    GoogleDriveIntegration.objects.filter(merchant=merchant).update(backup_receipts=True)
    assert "so no backup will run" not in client.get("/integrations/google-drive/").content.decode()


def test_connected_since_is_in_the_merchants_zone_and_the_backups_zone_is_named(client, merchant):
    """A Warsaw merchant whose backup runs in São Paulo's night reads Warsaw's time."""
    GoogleDriveIntegration.objects.create(
        merchant=merchant,
        status="connected",
        google_email="someone@example.com",
        connected_at=dt.datetime(2026, 11, 23, 2, 30, tzinfo=dt.UTC),
        time_zone="America/Sao_Paulo",
    )
    page = client.get("/integrations/google-drive/").content.decode()
    assert 'datetime="2026-11-23T03:30:00+01:00"' in page
    assert "since <time" in page and "23 Nov 2026, 03:30</time>" in page
    assert "(America/Sao Paulo)" in page
