"""Disconnect (S4, S12): revoke at Google, delete the tokens, stop backups."""

from __future__ import annotations

from django.test import Client

from integrations.models import DriveFolder, GoogleDriveIntegration

from .conftest import (
    DISCONNECT_URL,
    MERCHANT_EMAIL,
    closed_port_url,
    connect,
    grants,
    integration_of,
    messages_of,
)


def disconnect(client):
    response = client.post(DISCONNECT_URL, follow=True)
    assert response.redirect_chain[-1][0] == "/integrations/google-drive/"
    return response


def assert_tokens_deleted(merchant) -> None:
    integration = integration_of(merchant)
    assert integration.status == GoogleDriveIntegration.Status.NOT_CONNECTED
    assert integration.refresh_token == ""
    assert integration.granted_scopes == ""
    assert integration.connected_at is None
    assert integration.root_folder_id == ""


def test_get_asks_for_confirmation_and_changes_nothing(client, merchant, google_settings):
    connect(client, google_settings)

    page = client.get(DISCONNECT_URL)

    assert page.status_code == 200
    content = page.content.decode()
    assert "Disconnect Google Drive?" in content
    assert MERCHANT_EMAIL in content
    assert "Files already in your Google Drive stay there" in content
    assert integration_of(merchant).status == GoogleDriveIntegration.Status.CONNECTED


def test_disconnect_requires_the_csrf_token(client, user, merchant, google_settings):
    connect(client, google_settings)
    browser = Client(enforce_csrf_checks=True)
    browser.force_login(user)

    assert browser.post(DISCONNECT_URL).status_code == 403
    assert integration_of(merchant).status == GoogleDriveIntegration.Status.CONNECTED


def test_disconnect_revokes_at_google_and_deletes_the_tokens(client, merchant, google_settings):
    connect(client, google_settings)
    DriveFolder.objects.create(
        integration=integration_of(merchant), path="BaseLinker Backup", drive_id="f"
    )

    response = disconnect(client)

    assert "access to your Google account was withdrawn" in " ".join(messages_of(response))
    assert "Not connected" in response.content.decode()
    assert_tokens_deleted(merchant)
    [grant] = grants(google_settings, MERCHANT_EMAIL)
    assert grant["revoked"] is True
    assert grant["revoked_by"] == "app"
    # The folders stay in Drive (S4), and so does their cache: a reconnect finds the tree.
    assert integration_of(merchant).folders.count() == 1


def test_disconnect_keeps_the_settings(client, merchant, google_settings):
    connect(client, google_settings)
    GoogleDriveIntegration.objects.filter(merchant=merchant).update(
        backup_orders=False, time_zone="America/Sao_Paulo"
    )
    disconnect(client)
    integration = integration_of(merchant)
    assert (integration.backup_orders, integration.time_zone) == (False, "America/Sao_Paulo")


def test_disconnect_when_google_is_unreachable_still_deletes_the_tokens(
    client, merchant, google_settings, settings
):
    connect(client, google_settings)
    settings.GOOGLE_OAUTH_REVOKE_URI = closed_port_url("/revoke")

    response = disconnect(client)

    text = " ".join(messages_of(response))
    assert "Google could not be reached" in text
    assert '<a href="https://myaccount.google.com/permissions">' in response.content.decode()
    assert_tokens_deleted(merchant)
    assert [g["revoked"] for g in grants(google_settings, MERCHANT_EMAIL)] == [False]


def test_disconnect_when_google_answers_an_error(
    client, merchant, google_settings, settings, stub_endpoint
):
    connect(client, google_settings)
    settings.GOOGLE_OAUTH_REVOKE_URI = stub_endpoint.url + "revoke"
    stub_endpoint.answer(503, "<html>unavailable</html>", "text/html")

    response = disconnect(client)

    assert "myaccount.google.com/permissions" in " ".join(messages_of(response))
    assert_tokens_deleted(merchant)
    assert b"token=" in stub_endpoint.requests[0]


def test_disconnect_after_the_user_revoked_at_google(client, merchant, google_settings):
    connect(client, google_settings)
    google_settings.user_revokes_app(MERCHANT_EMAIL)

    response = disconnect(client)

    assert "access to your Google account was withdrawn" in " ".join(messages_of(response))
    assert_tokens_deleted(merchant)


def test_disconnect_of_access_lost_integration(client, merchant, google_settings):
    connect(client, google_settings)
    GoogleDriveIntegration.objects.filter(merchant=merchant).update(
        status=GoogleDriveIntegration.Status.ACCESS_LOST
    )
    disconnect(client)
    assert_tokens_deleted(merchant)
    assert [g["revoked"] for g in grants(google_settings, MERCHANT_EMAIL)] == [True]


def test_disconnect_keeps_the_grant_another_merchant_relies_on(
    client, other_client, merchant, other_merchant, google_settings
):
    connect(other_client, google_settings)
    connect(client, google_settings)

    response = disconnect(client)

    assert "stays connected to another merchant account" in " ".join(messages_of(response))
    assert_tokens_deleted(merchant)
    assert [g["revoked"] for g in grants(google_settings, MERCHANT_EMAIL)] == [False]
    assert integration_of(other_merchant).status == GoogleDriveIntegration.Status.CONNECTED


def test_disconnect_when_not_connected(client, merchant, google_settings):
    response = disconnect(client)
    assert "Google Drive is not connected." in messages_of(response)
    page = client.get(DISCONNECT_URL).content.decode()
    assert "nothing to disconnect" in page


def test_reconnect_after_disconnect_works(client, merchant, google_settings):
    connect(client, google_settings)
    disconnect(client)
    connect(client, google_settings)
    assert integration_of(merchant).status == GoogleDriveIntegration.Status.CONNECTED
    assert [g["revoked"] for g in grants(google_settings, MERCHANT_EMAIL)] == [True, False]
