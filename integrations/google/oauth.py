"""Google OAuth: the authorization-code flow with PKCE, the token exchange and revocation.

Every endpoint comes from settings, so the same code talks to Google or to fake_google.
Nothing here ever puts a code or a token into an exception message or a log line: errors are
reduced to a `reason` before they leave this module.
"""

from __future__ import annotations

import enum
import logging
from dataclasses import dataclass, field

import requests
from django.conf import settings
from google.oauth2.credentials import Credentials
from google_auth_oauthlib.flow import Flow
from oauthlib.oauth2.rfc6749.errors import InvalidGrantError, OAuth2Error

logger = logging.getLogger(__name__)

TOKEN_TIMEOUT_SECONDS = 20
REVOKE_TIMEOUT_SECONDS = 10


def client_config() -> dict:
    """The client secrets in the shape google-auth-oauthlib expects."""
    return {
        "web": {
            "client_id": settings.GOOGLE_OAUTH_CLIENT_ID,
            "client_secret": settings.GOOGLE_OAUTH_CLIENT_SECRET,
            "auth_uri": settings.GOOGLE_OAUTH_AUTH_URI,
            "token_uri": settings.GOOGLE_OAUTH_TOKEN_URI,
        }
    }


def is_configured() -> bool:
    return bool(settings.GOOGLE_OAUTH_CLIENT_ID and settings.GOOGLE_OAUTH_CLIENT_SECRET)


def credentials_from_refresh_token(refresh_token: str, access_token: str | None = None):
    """Credentials that refresh against the configured token endpoint.

    Built directly rather than with Credentials.from_authorized_user_info(), which resets
    token_uri to Google's own and would bypass the configured endpoint.
    """
    return Credentials(
        token=access_token,
        refresh_token=refresh_token,
        token_uri=settings.GOOGLE_OAUTH_TOKEN_URI,
        client_id=settings.GOOGLE_OAUTH_CLIENT_ID,
        client_secret=settings.GOOGLE_OAUTH_CLIENT_SECRET,
        scopes=[settings.GOOGLE_DRIVE_SCOPE],
    )


# --- Authorization ------------------------------------------------------------------------


@dataclass(frozen=True)
class AuthorizationRequest:
    url: str
    state: str
    code_verifier: str


def _flow(redirect_uri: str, *, state: str | None = None, code_verifier: str | None = None):
    return Flow.from_client_config(
        client_config(),
        scopes=[settings.GOOGLE_DRIVE_SCOPE],
        redirect_uri=redirect_uri,
        state=state,
        code_verifier=code_verifier,
        autogenerate_code_verifier=code_verifier is None,
    )


def build_authorization_request(redirect_uri: str) -> AuthorizationRequest:
    """Where to send the merchant: offline access, forced consent, PKCE S256, a fresh state.

    `prompt=consent` makes Google issue a refresh token on every connect, also when the
    account had granted access before.
    """
    flow = _flow(redirect_uri)
    url, state = flow.authorization_url(
        access_type="offline", prompt="consent", include_granted_scopes="true"
    )
    return AuthorizationRequest(url=url, state=state, code_verifier=flow.code_verifier)


# --- Token exchange -----------------------------------------------------------------------


class ExchangeFailure(enum.Enum):
    CODE_REJECTED = "code_rejected"  # expired, already used, or PKCE verifier mismatch
    UNREACHABLE = "unreachable"
    BAD_RESPONSE = "bad_response"
    NO_REFRESH_TOKEN = "no_refresh_token"
    SCOPE_MISSING = "scope_missing"


class TokenExchangeError(Exception):
    """The code could not be turned into a usable grant; carries only a reason."""

    def __init__(self, reason: ExchangeFailure):
        super().__init__(reason.value)
        self.reason = reason


@dataclass(frozen=True)
class Grant:
    access_token: str = field(repr=False)
    refresh_token: str = field(repr=False)
    scopes: frozenset[str]

    def credentials(self) -> Credentials:
        return credentials_from_refresh_token(self.refresh_token, self.access_token)


def exchange_code(*, redirect_uri: str, state: str, code_verifier: str, code: str) -> Grant:
    """Exchange an authorization code for tokens and check they are what we asked for."""
    flow = _flow(redirect_uri, state=state, code_verifier=code_verifier)
    try:
        token = flow.fetch_token(code=code, timeout=TOKEN_TIMEOUT_SECONDS)
    except Warning as scope_changed:
        # oauthlib raises (not warns) when the granted scope differs from the requested one;
        # the token rides on the exception and the scope is checked below like any other.
        token = getattr(scope_changed, "token", None)
        if token is None:
            raise _failure(ExchangeFailure.BAD_RESPONSE, scope_changed) from None
    except InvalidGrantError as exc:
        raise _failure(ExchangeFailure.CODE_REJECTED, exc) from None
    except requests.RequestException as exc:
        raise _failure(ExchangeFailure.UNREACHABLE, exc) from None
    except OAuth2Error as exc:
        raise _failure(ExchangeFailure.BAD_RESPONSE, exc) from None
    except Exception as exc:
        # Anything else out of a malformed answer (JSON of the wrong shape, odd types).
        raise _failure(ExchangeFailure.BAD_RESPONSE, exc) from None
    return _grant_from_token_response(token)


def _failure(reason: ExchangeFailure, cause: BaseException | str) -> TokenExchangeError:
    logger.warning("Google token exchange failed: %s (%s)", reason.value, _describe(cause))
    return TokenExchangeError(reason)


def _describe(cause: BaseException | str) -> str:
    """Class name and OAuth error code only: exception messages may quote the answer."""
    if isinstance(cause, str):
        return cause
    if isinstance(cause, OAuth2Error) and cause.error:
        return f"{type(cause).__name__} {cause.error}"
    return type(cause).__name__


def _grant_from_token_response(token) -> Grant:
    if not isinstance(token, dict):
        raise _failure(ExchangeFailure.BAD_RESPONSE, "token response is not an object")
    access_token = token.get("access_token")
    refresh_token = token.get("refresh_token")
    if not isinstance(access_token, str) or not access_token:
        raise _failure(ExchangeFailure.BAD_RESPONSE, "no access token")
    if not isinstance(refresh_token, str) or not refresh_token:
        raise _failure(ExchangeFailure.NO_REFRESH_TOKEN, "no refresh token")
    scopes = granted_scopes(token.get("scope"))
    if settings.GOOGLE_DRIVE_SCOPE not in scopes:
        raise _failure(ExchangeFailure.SCOPE_MISSING, "drive.file not granted")
    return Grant(access_token=access_token, refresh_token=refresh_token, scopes=scopes)


def granted_scopes(scope) -> frozenset[str]:
    """The scopes of a token response: a space-separated string or a list (oauthlib)."""
    if scope is None:
        # RFC 6749 §5.1: an absent scope means exactly the requested one.
        return frozenset({settings.GOOGLE_DRIVE_SCOPE})
    if isinstance(scope, str):
        return frozenset(scope.split())
    if isinstance(scope, list | tuple | set | frozenset):
        return frozenset(s for s in scope if isinstance(s, str))
    return frozenset()


# --- Revocation ---------------------------------------------------------------------------


class RevokeOutcome(enum.Enum):
    REVOKED = "revoked"
    ALREADY_INVALID = "already_invalid"  # Google no longer knows the token: nothing to revoke
    FAILED = "failed"  # Google answered something else; the grant may still be active
    UNREACHABLE = "unreachable"

    @property
    def grant_is_gone(self) -> bool:
        return self in (RevokeOutcome.REVOKED, RevokeOutcome.ALREADY_INVALID)


def revoke_token(token: str) -> RevokeOutcome:
    """Revoke a grant at Google. Revoking any token of a grant revokes the whole grant."""
    try:
        response = requests.post(
            settings.GOOGLE_OAUTH_REVOKE_URI,
            data={"token": token},
            headers={"Content-Type": "application/x-www-form-urlencoded"},
            timeout=REVOKE_TIMEOUT_SECONDS,
        )
    except requests.RequestException as exc:
        logger.warning("Google token revocation unreachable (%s)", type(exc).__name__)
        return RevokeOutcome.UNREACHABLE
    if response.status_code == 200:
        return RevokeOutcome.REVOKED
    if response.status_code == 400 and _error_code(response) == "invalid_token":
        return RevokeOutcome.ALREADY_INVALID
    logger.warning("Google token revocation answered HTTP %s", response.status_code)
    return RevokeOutcome.FAILED


def _error_code(response: requests.Response) -> str:
    try:
        body = response.json()
    except ValueError:
        return ""
    return body.get("error", "") if isinstance(body, dict) else ""
