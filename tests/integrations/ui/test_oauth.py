"""integrations.google.oauth on its own: scopes, revocation outcomes, no secrets in errors."""

from __future__ import annotations

import logging

import pytest

from integrations.google import oauth

from .conftest import closed_port_url

DRIVE_FILE = "https://www.googleapis.com/auth/drive.file"


@pytest.mark.parametrize(
    ("scope", "expected"),
    [
        (None, {DRIVE_FILE}),
        (f"openid {DRIVE_FILE}", {"openid", DRIVE_FILE}),
        ([DRIVE_FILE, 7], {DRIVE_FILE}),
        ("", set()),
        (42, set()),
    ],
)
def test_granted_scopes(settings, scope, expected):
    assert oauth.granted_scopes(scope) == expected


@pytest.mark.parametrize(
    ("status", "body", "outcome"),
    [
        (200, "{}", oauth.RevokeOutcome.REVOKED),
        (400, '{"error": "invalid_token"}', oauth.RevokeOutcome.ALREADY_INVALID),
        (400, '{"error": "invalid_request"}', oauth.RevokeOutcome.FAILED),
        (400, "<html>", oauth.RevokeOutcome.FAILED),
        (503, "{}", oauth.RevokeOutcome.FAILED),
    ],
)
def test_revoke_outcomes(settings, stub_endpoint, status, body, outcome):
    settings.GOOGLE_OAUTH_REVOKE_URI = stub_endpoint.url + "revoke"
    stub_endpoint.answer(status, body)

    assert oauth.revoke_token("1//the-token") is outcome
    assert stub_endpoint.requests == [b"token=1%2F%2Fthe-token"]


def test_revoke_unreachable(settings):
    settings.GOOGLE_OAUTH_REVOKE_URI = closed_port_url("/revoke")
    assert oauth.revoke_token("1//the-token") is oauth.RevokeOutcome.UNREACHABLE


def test_exchange_errors_carry_no_code_or_token(settings, stub_endpoint, caplog, monkeypatch):
    monkeypatch.setenv("OAUTHLIB_INSECURE_TRANSPORT", "1")
    settings.GOOGLE_OAUTH_CLIENT_ID = "client"
    settings.GOOGLE_OAUTH_CLIENT_SECRET = "secret"
    settings.GOOGLE_OAUTH_TOKEN_URI = stub_endpoint.url + "token"
    stub_endpoint.answer(
        400,
        '{"error": "invalid_grant", "error_description": "code 4/secret-code is used",'
        ' "refresh_token": "1//leaked"}',
    )
    caplog.set_level(logging.DEBUG)

    with pytest.raises(oauth.TokenExchangeError) as raised:
        oauth.exchange_code(
            redirect_uri="http://testserver/cb",
            state="s",
            code_verifier="v" * 43,
            code="4/secret-code",
        )

    assert raised.value.reason is oauth.ExchangeFailure.CODE_REJECTED
    assert raised.value.__cause__ is None and raised.value.__suppress_context__
    for text in (str(raised.value), repr(raised.value), caplog.text):
        assert "secret-code" not in text
        assert "leaked" not in text


def test_a_grant_does_not_show_its_tokens_in_repr():
    grant = oauth.Grant(access_token="ya29.a", refresh_token="1//r", scopes=frozenset({DRIVE_FILE}))
    assert "ya29.a" not in repr(grant) and "1//r" not in repr(grant)
