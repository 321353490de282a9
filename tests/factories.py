"""Builders of the tests' rows: merchants, integrations (with or without a real grant), runs."""

from __future__ import annotations

from django.utils import timezone
from google_auth_oauthlib.flow import Flow

from accounts.models import Merchant, User
from integrations.google import oauth
from integrations.google.service import fetch_account
from integrations.models import BackupRun, GoogleDriveIntegration
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


def make_integration(
    name: str = "Loja Azul",
    *,
    email: str | None = None,
    status: str = GoogleDriveIntegration.Status.CONNECTED,
    time_zone: str = "Europe/Warsaw",
    **fields,
) -> GoogleDriveIntegration:
    """A merchant with one user and an integration that looks connected (no real grant)."""
    merchant = Merchant.objects.create(name=name)
    slug = name.lower().replace(" ", "-")
    User.objects.create_user(
        email=email or f"owner@{slug}.example", password="x", merchant=merchant
    )
    connected = status == GoogleDriveIntegration.Status.CONNECTED
    fields.setdefault("refresh_token", "1//refresh-token" if connected else "")
    return GoogleDriveIntegration.objects.create(
        merchant=merchant,
        status=status,
        google_email=f"backup@{slug}.example",
        google_account_id=f"perm-{slug}",
        connected_at=timezone.now() if connected else None,
        time_zone=time_zone,
        **fields,
    )


def make_run(integration: GoogleDriveIntegration, **fields) -> BackupRun:
    fields.setdefault("trigger", BackupRun.Trigger.MANUAL)
    return BackupRun.objects.create(integration=integration, **fields)
