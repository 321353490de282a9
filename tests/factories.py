"""Shared builders for the backup engine's tests: connected integrations without the UI."""

from __future__ import annotations

from django.utils import timezone
from google_auth_oauthlib.flow import Flow

from accounts.models import Merchant
from integrations.google import oauth
from integrations.google.service import fetch_account
from integrations.models import GoogleDriveIntegration
from tests.conftest import TEST_SERVER_CALLBACK

MERCHANT_GOOGLE_EMAIL = "merchant@example.com"


def mint_refresh_token(fake_google, email: str = MERCHANT_GOOGLE_EMAIL):
    """Run the consent flow against fake_google (as the app's settings say); the credentials.

    Needs the `google_settings` fixture, which points the app at the fake and registers the
    client with the callback used here.
    """
    flow = Flow.from_client_config(
        oauth.client_config(),
        scopes=[oauth.settings.GOOGLE_DRIVE_SCOPE],
        redirect_uri=TEST_SERVER_CALLBACK,
    )
    url, _state = flow.authorization_url(access_type="offline", prompt="consent")
    redirect_url = fake_google.authorize(url, email)
    flow.fetch_token(authorization_response=redirect_url)
    return flow.credentials


def connect_integration(
    fake_google,
    merchant: Merchant,
    email: str = MERCHANT_GOOGLE_EMAIL,
    **fields,
) -> GoogleDriveIntegration:
    """A connected GoogleDriveIntegration of `merchant` holding a real grant of the fake."""
    credentials = mint_refresh_token(fake_google, email)
    account = fetch_account(credentials)
    integration, _ = GoogleDriveIntegration.objects.get_or_create(merchant=merchant)
    integration.refresh_token = credentials.refresh_token
    integration.granted_scopes = " ".join(credentials.scopes or [])
    integration.google_email = account.email
    integration.google_account_id = account.permission_id
    integration.status = GoogleDriveIntegration.Status.CONNECTED
    integration.connected_at = timezone.now()
    for name, value in fields.items():
        setattr(integration, name, value)
    integration.save()
    return integration
