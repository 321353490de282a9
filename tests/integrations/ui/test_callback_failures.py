"""Every way the callback can go wrong: a clear message and nothing (half-)stored."""

from __future__ import annotations

import json
import time
from urllib.parse import parse_qsl, urlsplit

import pytest
import requests

from integrations.connection import SESSION_KEY
from integrations.google import oauth
from integrations.models import GoogleDriveIntegration

from .conftest import (
    CALLBACK_URL,
    MERCHANT_EMAIL,
    OTHER_GOOGLE_EMAIL,
    as_local,
    changed_query,
    closed_port_url,
    connect,
    edit_pending,
    integration_of,
    levels_of,
    messages_of,
    pending,
    start_connect,
)

DRIVE_FILE = "https://www.googleapis.com/auth/drive.file"


def assert_nothing_stored(merchant) -> None:
    integration = GoogleDriveIntegration.objects.filter(merchant=merchant).first()
    if integration is not None:
        assert integration.status == GoogleDriveIntegration.Status.NOT_CONNECTED
        assert integration.refresh_token == ""
        assert integration.google_email == ""


def land(client, url: str):
    response = client.get(url, follow=True)
    assert response.redirect_chain[-1][0] == "/integrations/google-drive/"
    return response


def message(response) -> str:
    return " ".join(messages_of(response))


def test_deny_on_googles_page(client, merchant, google_settings):
    callback = google_settings.authorize(start_connect(client), MERCHANT_EMAIL, allow=False)
    assert "error=access_denied" in callback

    response = land(client, as_local(callback))

    assert "You did not allow access to Google Drive" in message(response)
    assert_nothing_stored(merchant)
    assert SESSION_KEY not in client.session


def test_another_error_from_google(client, merchant, google_settings):
    start_connect(client)
    state = pending(client)["state"]
    response = land(client, f"{CALLBACK_URL}?state={state}&error=server_error")
    assert "Google could not complete the authorization" in message(response)
    assert "server_error" not in response.content.decode()
    assert_nothing_stored(merchant)


def test_callback_without_a_code(client, merchant, google_settings):
    start_connect(client)
    response = land(client, f"{CALLBACK_URL}?state={pending(client)['state']}")
    assert "unexpected way" in message(response)
    assert_nothing_stored(merchant)


def test_state_missing(client, merchant, google_settings):
    callback = google_settings.authorize(start_connect(client), MERCHANT_EMAIL)

    response = land(client, changed_query(callback, state=None))

    assert "does not belong to the connection started in this browser" in message(response)
    assert_nothing_stored(merchant)


def test_state_forged(client, merchant, google_settings):
    callback = google_settings.authorize(start_connect(client), MERCHANT_EMAIL)
    real_state = pending(client)["state"]
    # The last character changed, never to itself.
    forged = real_state[:-1] + ("y" if real_state.endswith("x") else "x")

    response = land(client, changed_query(callback, state=forged))

    assert "does not belong to the connection started in this browser" in message(response)
    assert_nothing_stored(merchant)


def test_state_with_characters_a_real_one_never_has(client, merchant, google_settings):
    start_connect(client)
    response = land(client, f"{CALLBACK_URL}?state=%C3%A9t%C3%A9&code=abc")
    assert "does not belong" in message(response)
    assert_nothing_stored(merchant)


def test_reloading_the_callback_after_a_successful_connect(client, merchant, google_settings):
    callback = google_settings.authorize(start_connect(client), MERCHANT_EMAIL)
    land(client, as_local(callback))
    token = integration_of(merchant).refresh_token

    response = land(client, as_local(callback))

    assert messages_of(response) == [
        f"Google Drive is already connected as {MERCHANT_EMAIL}. Nothing was changed."
    ]
    assert levels_of(response) == ["info"]
    assert "Connect Google account" not in response.content.decode()
    assert integration_of(merchant).refresh_token == token


def test_back_to_googles_page_and_allowing_again_after_a_connect(client, merchant, google_settings):
    """The consent page's URL still carries the used state; Google issues a fresh code."""
    consent_url = start_connect(client)
    land(client, as_local(google_settings.authorize(consent_url, MERCHANT_EMAIL)))
    token = integration_of(merchant).refresh_token

    response = land(client, as_local(google_settings.authorize(consent_url, MERCHANT_EMAIL)))

    assert "already connected as" in message(response)
    assert levels_of(response) == ["info"]
    assert integration_of(merchant).refresh_token == token


def test_a_used_answer_while_access_is_lost_asks_to_connect_again(
    client, merchant, google_settings
):
    callback = google_settings.authorize(start_connect(client), MERCHANT_EMAIL)
    land(client, as_local(callback))
    GoogleDriveIntegration.objects.filter(merchant=merchant).update(
        status=GoogleDriveIntegration.Status.ACCESS_LOST
    )

    response = land(client, as_local(callback))

    assert "was already used" in message(response)
    assert "Please start the connection again." in message(response)
    assert levels_of(response) == ["error"]


def test_callback_without_any_connect_started(client, merchant, google_settings):
    response = land(client, f"{CALLBACK_URL}?state=abc&code=def")
    assert "does not match a connection started in this browser" in message(response)
    assert_nothing_stored(merchant)


def test_callback_of_another_merchants_session(
    client, other_client, merchant, other_merchant, google_settings
):
    """Merchant B's consent, opened in merchant A's browser (login CSRF): ignored by both."""
    callback_for_b = google_settings.authorize(start_connect(other_client), OTHER_GOOGLE_EMAIL)
    start_connect(client)  # A has a connection of its own in progress

    response = land(client, as_local(callback_for_b))

    assert "does not belong to the connection started in this browser" in message(response)
    assert_nothing_stored(merchant)
    assert_nothing_stored(other_merchant)


def test_pending_connect_of_another_merchant_in_the_session(
    client, merchant, other_merchant, google_settings
):
    callback = google_settings.authorize(start_connect(client), MERCHANT_EMAIL)
    edit_pending(client, merchant_id=other_merchant.pk)

    response = land(client, as_local(callback))

    assert "does not belong" in message(response)
    assert_nothing_stored(merchant)
    assert_nothing_stored(other_merchant)


def test_connect_that_took_too_long(client, merchant, google_settings):
    callback = google_settings.authorize(start_connect(client), MERCHANT_EMAIL)
    edit_pending(client, created_at=time.time() - 11 * 60)

    response = land(client, as_local(callback))

    assert "took too long and expired" in message(response)
    assert_nothing_stored(merchant)


def test_code_expired_at_google(client, merchant, google_settings):
    callback = google_settings.authorize(start_connect(client), MERCHANT_EMAIL)
    google_settings.clock.advance(google_settings.config.auth_code_lifetime + 1)

    response = land(client, as_local(callback))

    assert "Google did not accept the authorization" in message(response)
    assert_nothing_stored(merchant)


def test_code_already_used(client, merchant, google_settings):
    callback = google_settings.authorize(start_connect(client), MERCHANT_EMAIL)
    code = dict(parse_qsl(urlsplit(callback).query))["code"]
    first_use = requests.post(
        google_settings.token_uri,
        data={
            "grant_type": "authorization_code",
            "code": code,
            "client_id": "fake-client-id.apps.googleusercontent.com",
            "client_secret": "fake-client-secret",
            "redirect_uri": "http://testserver/integrations/google-drive/callback/",
            "code_verifier": pending(client)["code_verifier"],
        },
        timeout=10,
    )
    assert first_use.status_code == 200

    response = land(client, as_local(callback))

    assert "Google did not accept the authorization" in message(response)
    assert_nothing_stored(merchant)


def test_code_with_a_wrong_pkce_verifier(client, merchant, google_settings):
    callback = google_settings.authorize(start_connect(client), MERCHANT_EMAIL)
    edit_pending(client, code_verifier="x" * 64)

    response = land(client, as_local(callback))

    assert "Google did not accept the authorization" in message(response)
    assert_nothing_stored(merchant)


def test_token_endpoint_unreachable(client, merchant, google_settings, settings):
    callback = google_settings.authorize(start_connect(client), MERCHANT_EMAIL)
    settings.GOOGLE_OAUTH_TOKEN_URI = closed_port_url("/token")

    response = land(client, as_local(callback))

    assert "Google could not be reached" in message(response)
    assert_nothing_stored(merchant)


def test_token_endpoint_too_slow(
    client, merchant, google_settings, settings, stub_endpoint, monkeypatch
):
    callback = google_settings.authorize(start_connect(client), MERCHANT_EMAIL)
    settings.GOOGLE_OAUTH_TOKEN_URI = stub_endpoint.url + "token"
    stub_endpoint.hang = True
    monkeypatch.setattr(oauth, "TOKEN_TIMEOUT_SECONDS", 0.2)

    response = land(client, as_local(callback))

    assert "Google could not be reached" in message(response)
    assert_nothing_stored(merchant)


@pytest.mark.parametrize(
    ("status", "body", "content_type"),
    [
        (500, "<html><body>Internal error</body></html>", "text/html"),
        (200, "<html>captive portal</html>", "text/html"),
        (200, "[1, 2, 3]", "application/json"),
        (200, '{"token_type": "Bearer"}', "application/json"),
        (200, '{"access_token": 42, "refresh_token": ["x"]}', "application/json"),
        (400, '{"error": "invalid_client"}', "application/json"),
        (200, "", "application/json"),
    ],
)
def test_token_endpoint_answers_garbage(
    client, merchant, google_settings, settings, stub_endpoint, status, body, content_type
):
    callback = google_settings.authorize(start_connect(client), MERCHANT_EMAIL)
    settings.GOOGLE_OAUTH_TOKEN_URI = stub_endpoint.url + "token"
    stub_endpoint.answer(status, body, content_type)

    response = land(client, as_local(callback))

    assert "Google answered in an unexpected way" in message(response)
    assert_nothing_stored(merchant)


def test_token_answer_without_a_refresh_token(
    client, merchant, google_settings, settings, stub_endpoint
):
    callback = google_settings.authorize(start_connect(client), MERCHANT_EMAIL)
    settings.GOOGLE_OAUTH_TOKEN_URI = stub_endpoint.url + "token"
    stub_endpoint.answer(
        200,
        json.dumps(
            {
                "access_token": "ya29.abc",
                "expires_in": 3599,
                "token_type": "Bearer",
                "scope": DRIVE_FILE,
            }
        ),
    )

    response = land(client, as_local(callback))

    assert "did not grant lasting access" in message(response)
    assert_nothing_stored(merchant)


def test_drive_permission_left_unticked(client, merchant, google_settings):
    callback = google_settings.authorize(start_connect(client), MERCHANT_EMAIL, scopes=[])

    response = land(client, as_local(callback))

    assert "Access to Google Drive was not granted" in message(response)
    assert_nothing_stored(merchant)


def test_token_answer_with_other_scopes_only(
    client, merchant, google_settings, settings, stub_endpoint
):
    callback = google_settings.authorize(start_connect(client), MERCHANT_EMAIL)
    settings.GOOGLE_OAUTH_TOKEN_URI = stub_endpoint.url + "token"
    stub_endpoint.answer(
        200,
        json.dumps(
            {
                "access_token": "ya29.abc",
                "refresh_token": "1//abc",
                "token_type": "Bearer",
                "scope": "https://www.googleapis.com/auth/drive.readonly openid",
            }
        ),
    )

    response = land(client, as_local(callback))

    assert "Access to Google Drive was not granted" in message(response)
    assert_nothing_stored(merchant)


def test_drive_cannot_tell_the_account(client, merchant, google_settings, settings):
    callback = google_settings.authorize(start_connect(client), MERCHANT_EMAIL)
    settings.GOOGLE_API_ROOT = closed_port_url("/")

    response = land(client, as_local(callback))

    assert "did not tell which Google account" in message(response)
    assert_nothing_stored(merchant)


def test_a_failed_reconnect_leaves_the_working_connection_alone(client, merchant, google_settings):
    connect(client, google_settings)
    before = integration_of(merchant)

    callback = google_settings.authorize(start_connect(client), OTHER_GOOGLE_EMAIL, allow=False)
    land(client, as_local(callback))
    callback = google_settings.authorize(start_connect(client), OTHER_GOOGLE_EMAIL, scopes=[])
    land(client, as_local(callback))

    after = integration_of(merchant)
    assert after.status == GoogleDriveIntegration.Status.CONNECTED
    assert after.refresh_token == before.refresh_token
    assert after.google_email == MERCHANT_EMAIL
    assert after.connected_at == before.connected_at
