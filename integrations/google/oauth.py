"""Google OAuth: the client configuration and credentials built from a stored grant.

Every endpoint comes from settings, so the same code talks to Google or to fake_google.
"""

from __future__ import annotations

from django.conf import settings
from google.oauth2.credentials import Credentials


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
