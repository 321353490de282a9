"""OAuth 2.0 web-server flow, driven by google-auth-oauthlib's Flow and google-auth."""

from __future__ import annotations

import base64
import json
from urllib.parse import parse_qs, urlsplit

import pytest
import requests
from google.auth.exceptions import RefreshError
from google.auth.transport.requests import Request
from google.oauth2.credentials import Credentials
from googleapiclient.errors import HttpError
from oauthlib.oauth2.rfc6749.errors import (
    CustomOAuth2Error,
    InvalidClientError,
    InvalidGrantError,
)

from fake_google import DEFAULT_REDIRECT_URI, AuthorizeError
from tests.fake_google.helpers import (
    DRIVE_FILE,
    MERCHANT,
    OTHER,
    connect,
    drive_service,
    error_reason,
    make_flow,
    revoke,
)

OPENID = ["openid", "https://www.googleapis.com/auth/userinfo.email"]


def _query(url: str) -> dict[str, str]:
    return {k: v[0] for k, v in parse_qs(urlsplit(url).query).items()}


def test_consent_flow_issues_offline_tokens_for_the_chosen_account(fake_google):
    flow = make_flow(fake_google)
    url, state = flow.authorization_url(prompt="consent")
    callback = fake_google.authorize(url, OTHER)

    assert callback.startswith(DEFAULT_REDIRECT_URI)
    assert _query(callback)["state"] == state
    token = flow.fetch_token(authorization_response=callback)

    assert token["token_type"] == "Bearer"
    assert token["scope"] == [DRIVE_FILE]
    assert token["expires_in"] == 3599
    assert token["refresh_token"].startswith("1//")
    (grant,) = fake_google.state_dump()["grants"]
    assert grant["email"] == OTHER
    assert grant["scopes"] == [DRIVE_FILE]


def test_consent_page_offers_accounts_another_email_and_a_checkbox_per_scope(fake_google):
    url, _ = make_flow(fake_google).authorization_url()
    page = requests.get(url, timeout=10)

    assert page.status_code == 200
    assert MERCHANT in page.text and OTHER in page.text
    assert 'name="other_email"' in page.text or "name=other_email" in page.text
    assert f'name=scope value="{DRIVE_FILE}" checked' in page.text


def test_typing_another_email_creates_that_account(fake_google, drive_discovery):
    credentials = connect(fake_google, email="new.person@example.com")
    drive = drive_service(fake_google, drive_discovery, credentials)

    assert drive.about().get(fields="user").execute()["user"]["emailAddress"] == (
        "new.person@example.com"
    )


def test_deny_redirects_back_with_access_denied_and_the_state(fake_google):
    url, state = make_flow(fake_google).authorization_url()

    callback = fake_google.authorize(url, MERCHANT, allow=False)

    assert _query(callback) == {
        "state": state,
        "error": "access_denied",
        "iss": "https://accounts.google.com",
    }


def test_unknown_client_gets_an_error_page_not_a_redirect(fake_google):
    url, _ = make_flow(
        fake_google, client_id="nobody.apps.googleusercontent.com"
    ).authorization_url()

    with pytest.raises(AuthorizeError) as excinfo:
        fake_google.authorize(url)

    assert excinfo.value.status == 401
    assert "invalid_client" in excinfo.value.text


def test_redirect_uri_must_match_exactly_or_an_error_page_is_shown(fake_google):
    almost = DEFAULT_REDIRECT_URI.rstrip("/")
    url, _ = make_flow(fake_google, redirect_uri=almost).authorization_url()

    with pytest.raises(AuthorizeError) as excinfo:
        fake_google.authorize(url)

    assert excinfo.value.status == 400
    assert "redirect_uri_mismatch" in excinfo.value.text


@pytest.mark.parametrize(
    ("replace", "error"),
    [
        (("response_type=code", "response_type=token"), "unsupported_response_type"),
        (("response_type=code", "response_type="), "invalid_request"),
        (("drive.file", "drive.everything"), "invalid_scope"),
        (("code_challenge_method=S256", "code_challenge_method=S512"), "invalid_request"),
        (("access_type=offline", "access_type=forever"), "invalid_request"),
    ],
)
def test_malformed_authorization_requests_are_refused_on_a_page(fake_google, replace, error):
    url, _ = make_flow(fake_google).authorization_url()

    with pytest.raises(AuthorizeError) as excinfo:
        fake_google.authorize(url.replace(*replace))

    assert error in excinfo.value.text


def test_authorization_code_is_single_use(fake_google):
    flow = make_flow(fake_google)
    url, _ = flow.authorization_url()
    code = _query(fake_google.authorize(url))["code"]
    flow.fetch_token(code=code)

    replay = make_flow(fake_google)
    replay.code_verifier = flow.code_verifier
    with pytest.raises(InvalidGrantError):
        replay.fetch_token(code=code)


def test_authorization_code_expires(fake_google):
    flow = make_flow(fake_google)
    url, _ = flow.authorization_url()
    code = _query(fake_google.authorize(url))["code"]

    fake_google.clock.advance(fake_google.config.auth_code_lifetime + 1)

    with pytest.raises(InvalidGrantError):
        flow.fetch_token(code=code)


def test_code_exchange_checks_the_pkce_verifier(fake_google):
    flow = make_flow(fake_google)
    url, _ = flow.authorization_url()
    code = _query(fake_google.authorize(url))["code"]

    flow.code_verifier = "x" * 64
    with pytest.raises(InvalidGrantError, match="Invalid code verifier"):
        flow.fetch_token(code=code)


def test_code_exchange_without_the_verifier_is_refused(fake_google):
    flow = make_flow(fake_google)
    url, _ = flow.authorization_url()
    code = _query(fake_google.authorize(url))["code"]

    flow.code_verifier = None
    with pytest.raises(InvalidGrantError, match="Missing code verifier"):
        flow.fetch_token(code=code)


def test_code_exchange_needs_the_same_redirect_uri(fake_google):
    second = "http://127.0.0.1:8000/elsewhere/"
    fake_google.register_client(
        fake_google.core.baseline.clients[0].client_id,
        fake_google.core.baseline.clients[0].client_secret,
        [second],
    )
    flow = make_flow(fake_google)
    url, _ = flow.authorization_url()
    code = _query(fake_google.authorize(url))["code"]

    other = make_flow(fake_google, redirect_uri=second)
    other.code_verifier = flow.code_verifier
    with pytest.raises(CustomOAuth2Error) as excinfo:
        other.fetch_token(code=code)
    assert excinfo.value.error == "redirect_uri_mismatch"


def test_client_credentials_work_in_the_body_as_well_as_basic_auth(fake_google):
    flow = make_flow(fake_google)
    url, _ = flow.authorization_url()
    callback = fake_google.authorize(url)

    token = flow.fetch_token(authorization_response=callback, include_client_id=True)

    assert token["access_token"].startswith("ya29.")


def test_wrong_client_secret_is_invalid_client(fake_google):
    flow = make_flow(fake_google, client_secret="wrong")
    url, _ = flow.authorization_url()
    callback = fake_google.authorize(url)

    with pytest.raises(InvalidClientError):
        flow.fetch_token(authorization_response=callback)


def test_no_refresh_token_without_offline_access(fake_google):
    credentials = connect(fake_google, access_type="online")

    assert credentials.token
    assert credentials.refresh_token is None


def test_refresh_token_again_only_when_consent_is_forced(fake_google):
    first = connect(fake_google, prompt="select_account")
    again = connect(fake_google, prompt="select_account")
    forced = connect(fake_google, prompt="consent")

    assert first.refresh_token
    assert again.refresh_token is None
    assert forced.refresh_token and forced.refresh_token != first.refresh_token


def test_refresh_issues_a_new_access_token(fake_google, merchant_credentials):
    old = merchant_credentials.token

    merchant_credentials.refresh(Request())

    assert merchant_credentials.token != old
    assert merchant_credentials.valid
    assert fake_google.state_dump()["counters"]["oauth.token"] == {"200": 2}


def test_access_token_lifetime_is_configurable(fake_google):
    fake_google.configure(access_token_lifetime=5)
    flow = make_flow(fake_google)
    url, _ = flow.authorization_url()

    token = flow.fetch_token(authorization_response=fake_google.authorize(url))

    assert token["expires_in"] == 5


def test_expired_access_token_is_refused_and_google_auth_refreshes_on_401(
    fake_google, drive_discovery, merchant_credentials
):
    bare = Credentials(token=merchant_credentials.token)
    fake_google.clock.advance(3600)

    with pytest.raises(HttpError) as excinfo:
        drive_service(fake_google, drive_discovery, bare, refresh_on_401=False).about().get(
            fields="user"
        ).execute()
    assert excinfo.value.status_code == 401
    assert error_reason(excinfo.value) == "authError"
    assert "invalid authentication credentials" in excinfo.value.reason

    drive = drive_service(fake_google, drive_discovery, merchant_credentials)
    assert drive.about().get(fields="user").execute()["user"]["emailAddress"] == MERCHANT
    assert fake_google.state_dump()["counters"]["drive.about.get"] == {"401": 2, "200": 1}


def test_revoke_ends_the_whole_grant(fake_google, drive_discovery, merchant_credentials):
    status, body = revoke(fake_google, merchant_credentials.token)
    assert (status, body) == (200, {})

    with pytest.raises(RefreshError, match=r"invalid_grant: Token has been expired or revoked\."):
        merchant_credentials.refresh(Request())
    bare = Credentials(token=merchant_credentials.token)
    with pytest.raises(HttpError) as excinfo:
        drive_service(
            fake_google, drive_discovery, bare, refresh_on_401=False
        ).files().list().execute()
    assert excinfo.value.status_code == 401
    (grant,) = fake_google.state_dump()["grants"]
    assert grant["revoked"] and grant["revoked_by"] == "app"


def test_revoking_with_the_refresh_token_also_kills_access_tokens(
    fake_google, merchant_credentials
):
    assert revoke(fake_google, merchant_credentials.refresh_token)[0] == 200
    assert fake_google.state_dump()["grants"][0]["access_tokens"] == 0


def test_revoking_an_unknown_or_revoked_token_is_400_invalid_token(
    fake_google, merchant_credentials
):
    revoke(fake_google, merchant_credentials.refresh_token)

    assert revoke(fake_google, merchant_credentials.refresh_token) == (
        400,
        {"error": "invalid_token", "error_description": "Token expired or revoked"},
    )
    assert revoke(fake_google, "never-issued")[0] == 400


def test_user_removing_the_app_in_their_account_revokes_the_grant(
    fake_google, merchant_credentials
):
    assert fake_google.user_revokes_app(MERCHANT) == 1

    with pytest.raises(RefreshError, match="Token has been expired or revoked"):
        merchant_credentials.refresh(Request())
    assert fake_google.state_dump()["grants"][0]["revoked_by"] == "user"


def test_reconnecting_after_revoke_starts_a_new_grant(fake_google, merchant_credentials):
    revoke(fake_google, merchant_credentials.token)

    fresh = connect(fake_google)
    fresh.refresh(Request())

    assert [g["revoked"] for g in fake_google.state_dump()["grants"]] == [True, False]


def test_refresh_token_of_another_client_is_refused(fake_google, merchant_credentials):
    fake_google.register_client("second.apps.googleusercontent.com", "s2", [DEFAULT_REDIRECT_URI])
    stolen = Credentials(
        token=None,
        refresh_token=merchant_credentials.refresh_token,
        token_uri=fake_google.token_uri,
        client_id="second.apps.googleusercontent.com",
        client_secret="s2",
    )

    with pytest.raises(RefreshError, match="unauthorized_client"):
        stolen.refresh(Request())


def test_unticking_the_drive_scope_leaves_a_token_drive_refuses(
    fake_google, drive_discovery, monkeypatch
):
    # oauthlib raises when the granted scope differs from the requested one unless relaxed.
    monkeypatch.setenv("OAUTHLIB_RELAX_TOKEN_SCOPE", "1")
    flow = make_flow(fake_google, [*OPENID, DRIVE_FILE])
    url, _ = flow.authorization_url(prompt="consent")

    token = flow.fetch_token(authorization_response=fake_google.authorize(url, scopes=[]))

    assert DRIVE_FILE not in token["scope"]
    drive = drive_service(fake_google, drive_discovery, flow.credentials)
    with pytest.raises(HttpError) as excinfo:
        drive.files().list().execute()
    assert excinfo.value.status_code == 403
    assert error_reason(excinfo.value) == "insufficientPermissions"


def test_openid_scopes_add_an_id_token_with_the_email(fake_google):
    credentials = connect(fake_google, scopes=[*OPENID, DRIVE_FILE])

    payload = credentials.id_token.split(".")[1]
    claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    assert claims["email"] == MERCHANT
    assert claims["aud"] == fake_google.core.baseline.clients[0].client_id


def test_include_granted_scopes_returns_earlier_grants_too(fake_google, monkeypatch):
    monkeypatch.setenv("OAUTHLIB_RELAX_TOKEN_SCOPE", "1")
    connect(fake_google)

    later = connect(fake_google, scopes=OPENID, include_granted_scopes="true")

    assert DRIVE_FILE in later.granted_scopes


def test_prompt_none_succeeds_silently_only_for_an_existing_grant(fake_google):
    flow = make_flow(fake_google)
    url, _ = flow.authorization_url(prompt="none", login_hint=MERCHANT)
    assert _query(fake_google.authorize(url))["error"] == "consent_required"

    connect(fake_google)
    callback = fake_google.authorize(url)

    assert flow.fetch_token(authorization_response=callback)["access_token"]
