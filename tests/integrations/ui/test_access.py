"""Every view needs a merchant login and only ever touches that merchant's integration."""

from __future__ import annotations

import pytest
from django.test import Client

from accounts.models import User
from integrations.models import GoogleDriveIntegration

from .conftest import (
    CALLBACK_URL,
    CONNECT_URL,
    DISCONNECT_URL,
    MERCHANT_EMAIL,
    PAGE_URL,
    SETTINGS_URL,
    as_local,
    connect,
    grants,
    integration_of,
    start_connect,
)

INDEX_URL = "/integrations/"
ROUTES = [
    ("get", INDEX_URL),
    ("get", PAGE_URL),
    ("post", CONNECT_URL),
    ("get", CALLBACK_URL + "?state=s&code=c"),
    ("post", SETTINGS_URL),
    ("get", DISCONNECT_URL),
    ("post", DISCONNECT_URL),
]


@pytest.mark.parametrize(("method", "url"), ROUTES)
def test_anonymous_visitors_are_sent_to_log_in(db, method, url):
    response = getattr(Client(), method)(url)
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/?next=")


@pytest.mark.parametrize(("method", "url"), ROUTES)
def test_platform_staff_without_a_merchant_get_a_clear_page(db, method, url):
    staff = User.objects.create_user(email="ops@platform.example", password="x", is_staff=True)
    browser = Client()
    browser.force_login(staff)
    response = getattr(browser, method)(url)
    assert response.status_code == 403
    assert "This login has no merchant account" in response.content.decode()
    assert not GoogleDriveIntegration.objects.exists()


def test_no_route_reaches_another_merchants_integration(
    client, other_client, merchant, other_merchant, google_settings
):
    connect(other_client, google_settings)
    theirs = integration_of(other_merchant)
    GoogleDriveIntegration.objects.filter(pk=theirs.pk).update(
        backup_orders=False, time_zone="Asia/Tokyo"
    )
    theirs = integration_of(other_merchant)

    pages = [client.get(INDEX_URL), client.get(PAGE_URL), client.get(DISCONNECT_URL)]
    client.post(SETTINGS_URL, {"backup_orders": "on", "time_zone": "UTC"})
    client.post(DISCONNECT_URL)
    client.post(CONNECT_URL)
    client.get(CALLBACK_URL + "?state=s&code=c")
    # Their own consent page's answer, replayed in our browser:
    callback = google_settings.authorize(start_connect(other_client), MERCHANT_EMAIL)
    client.get(as_local(callback))

    for page in pages:
        assert MERCHANT_EMAIL not in page.content.decode()
    after = integration_of(other_merchant)
    assert after.status == GoogleDriveIntegration.Status.CONNECTED
    assert after.refresh_token == theirs.refresh_token
    assert (after.backup_orders, after.time_zone) == (False, "Asia/Tokyo")
    assert [g["revoked"] for g in grants(google_settings, MERCHANT_EMAIL)] == [False]
    mine = integration_of(merchant)
    assert mine.status == GoogleDriveIntegration.Status.NOT_CONNECTED
    assert mine.refresh_token == ""


def test_index_lists_google_drive_with_its_state(client, merchant, google_settings):
    page = client.get(INDEX_URL).content.decode()
    assert "Google Drive" in page
    assert "Not connected" in page
    assert not GoogleDriveIntegration.objects.exists(), "looking does not create anything"

    connect(client, google_settings)

    page = client.get(INDEX_URL).content.decode()
    assert f"Connected as {MERCHANT_EMAIL}." in page


def test_pages_switch_to_portuguese(client):
    client.post("/i18n/setlang/", {"language": "pt-br", "next": PAGE_URL})
    page = client.get(PAGE_URL).content.decode()
    assert '<html lang="pt-br">' in page
    client.post("/i18n/setlang/", {"language": "en", "next": PAGE_URL})
    assert '<html lang="en">' in client.get(PAGE_URL).content.decode()
