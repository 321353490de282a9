"""The whole Google Drive flow in a real browser: log in, connect, settings, disconnect.

Screenshots of every step go to test-artifacts/screenshots/ (git-ignored).
"""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest

from accounts.models import Merchant, User
from integrations.models import GoogleDriveIntegration
from tests.browser.accessibility import assert_accessible
from tests.conftest import FAKE_CLIENT_ID, FAKE_CLIENT_SECRET

pytestmark = pytest.mark.browser

SCREENSHOTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "screenshots"
GOOGLE_EMAIL = "merchant@example.com"
PASSWORD = "browser-test-password-2026"


@pytest.fixture
def merchant_login(transactional_db) -> User:
    merchant = Merchant.objects.create(name="Loja Azul")
    return User.objects.create_user(
        email="owner@loja-azul.example", password=PASSWORD, merchant=merchant
    )


@pytest.fixture
def app_url(live_server, google_settings) -> str:
    google_settings.register_client(
        FAKE_CLIENT_ID,
        FAKE_CLIENT_SECRET,
        [f"{live_server.url}/integrations/google-drive/callback/"],
    )
    return live_server.url


def shoot(page, name: str) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=True)


def test_connect_configure_and_disconnect_in_a_browser(
    browser, app_url, merchant_login, google_settings
):
    from playwright.sync_api import expect

    page = browser.new_page(viewport={"width": 1280, "height": 900})

    page.goto(f"{app_url}/accounts/login/?next=/integrations/")
    page.get_by_label("E-mail").fill(merchant_login.email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url(f"{app_url}/integrations/")
    expect(page.get_by_role("heading", name="Google Drive")).to_be_visible()
    shoot(page, "01-integrations")
    assert_accessible(page, "01-integrations")

    page.get_by_role("link", name="Set up").click()
    page.wait_for_url(f"{app_url}/integrations/google-drive/")
    expect(page.locator("#connection-status")).to_contain_text("Not connected")
    shoot(page, "02-google-drive-not-connected")
    assert_accessible(page, "02-google-drive-not-connected")

    page.get_by_role("button", name="Connect Google account").click()
    page.wait_for_url(re.compile(re.escape(google_settings.url) + r"/o/oauth2/auth\?"))
    expect(page.get_by_role("radio", name=re.compile(GOOGLE_EMAIL))).to_be_checked()
    shoot(page, "03-google-consent")

    page.get_by_role("button", name="Continue").click()
    page.wait_for_url(f"{app_url}/integrations/google-drive/")
    expect(page.locator("#connection-status")).to_contain_text(f"Connected as {GOOGLE_EMAIL}")
    expect(page.get_by_role("status").first).to_contain_text("Google Drive is connected")
    shoot(page, "04-connected")
    assert_accessible(page, "04-connected")

    page.get_by_label("Orders (CSV)").uncheck()
    page.get_by_label("Invoices (PDF)").check()
    page.get_by_label("Receipts, non-fiscal (PDF)").check()
    page.get_by_label("Time zone").select_option("America/Sao_Paulo")
    page.get_by_role("button", name="Save settings").click()
    page.wait_for_url(f"{app_url}/integrations/google-drive/")
    expect(page.get_by_role("status").first).to_contain_text("settings were saved")
    shoot(page, "05-settings-saved")
    assert_accessible(page, "05-settings-saved")

    page.reload()
    expect(page.get_by_label("Orders (CSV)")).not_to_be_checked()
    expect(page.get_by_label("Invoices (PDF)")).to_be_checked()
    expect(page.get_by_label("Receipts, non-fiscal (PDF)")).to_be_checked()
    expect(page.get_by_label("Time zone")).to_have_value("America/Sao_Paulo")

    phone = browser.new_page(viewport={"width": 375, "height": 800})
    phone.context.add_cookies(page.context.cookies())
    phone.goto(f"{app_url}/integrations/google-drive/")
    expect(phone.locator("#connection-status")).to_contain_text(GOOGLE_EMAIL)
    shoot(phone, "06-connected-375px")
    assert_accessible(phone, "06-connected-375px")
    assert phone.evaluate("document.documentElement.scrollWidth") <= 375, "no sideways scroll"
    phone.close()

    page.get_by_role("link", name="Disconnect").click()
    page.wait_for_url(f"{app_url}/integrations/google-drive/disconnect/")
    expect(page.get_by_role("heading", name="Disconnect Google Drive?")).to_be_visible()
    shoot(page, "07-disconnect-confirmation")
    assert_accessible(page, "07-disconnect-confirmation")

    page.get_by_role("button", name="Disconnect").click()
    page.wait_for_url(f"{app_url}/integrations/google-drive/")
    expect(page.locator("#connection-status")).to_contain_text("Not connected")
    expect(page.get_by_role("status").first).to_contain_text("was withdrawn")
    shoot(page, "08-disconnected")
    assert_accessible(page, "08-disconnected")

    [grant] = [g for g in google_settings.state_dump()["grants"] if g["email"] == GOOGLE_EMAIL]
    assert grant["revoked"] is True
    assert grant["revoked_by"] == "app"
    integration = GoogleDriveIntegration.objects.get(merchant=merchant_login.merchant)
    assert integration.refresh_token == ""
    assert integration.status == GoogleDriveIntegration.Status.NOT_CONNECTED
    assert os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] == "true"


def test_access_lost_and_invoices_unavailable_read_clearly(browser, live_server, merchant_login):
    from playwright.sync_api import expect

    merchant = merchant_login.merchant
    merchant.external_accounting_enabled = True
    merchant.save()
    GoogleDriveIntegration.objects.create(
        merchant=merchant,
        status=GoogleDriveIntegration.Status.ACCESS_LOST,
        google_email=GOOGLE_EMAIL,
        refresh_token="1//revoked-by-the-user",
        access_lost_at=merchant.created_at,
        time_zone="America/Sao_Paulo",
    )

    for width in (1280, 375):
        page = browser.new_page(viewport={"width": width, "height": 900})
        page.goto(f"{live_server.url}/accounts/login/?next=/integrations/google-drive/")
        page.get_by_label("E-mail").fill(merchant_login.email)
        page.get_by_label("Password").fill(PASSWORD)
        page.get_by_role("button", name="Log in").click()
        page.wait_for_url(f"{live_server.url}/integrations/google-drive/")

        expect(page.locator("#connection-status")).to_contain_text("was lost")
        expect(page.get_by_role("button", name="Reconnect Google account")).to_be_visible()
        expect(page.get_by_label("Invoices (PDF)")).to_be_disabled()
        expect(page.get_by_text("cannot be backed up")).to_be_visible()
        shoot(page, f"09-access-lost-invoices-unavailable-{width}px")
        assert_accessible(page, f"09-access-lost-invoices-unavailable-{width}px")
        page.close()
