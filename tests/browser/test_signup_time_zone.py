"""Sign-up in a real browser: the merchant's time zone comes from the browser's own."""

from __future__ import annotations

import re
from urllib.parse import urlsplit

import pytest
from django.core import mail

from accounts.models import Merchant
from tests.browser.test_google_drive_flow import shoot

pytestmark = pytest.mark.browser


def test_signup_takes_the_browser_s_time_zone_and_settings_show_it(
    browser, live_server, transactional_db
):
    context = browser.new_context(
        timezone_id="America/Sao_Paulo", locale="pt-BR", viewport={"width": 1280, "height": 900}
    )
    try:
        page = context.new_page()
        page.goto(f"{live_server.url}/accounts/signup/")
        page.fill("#id_merchant_name", "Loja Exemplo")
        page.fill("#id_email", "dona@loja-exemplo.example")
        page.fill("#id_password1", "uma-senha-bem-longa-2026")
        page.fill("#id_password2", "uma-senha-bem-longa-2026")
        shoot(page, "signup-time-zone-1-form")
        page.click(".auth form button[type=submit]")
        page.wait_for_url(f"{live_server.url}/accounts/signup/sent/")
        # The account works once the link e-mailed to the address is confirmed.
        [link] = re.findall(r"http\S+/signup/confirm/\S+/", mail.outbox[-1].body)
        page.goto(live_server.url + urlsplit(link).path)
        page.click(".auth form button[type=submit]")
        page.wait_for_url(f"{live_server.url}/orders/")

        merchant = Merchant.objects.get(name="Loja Exemplo")
        assert merchant.time_zone == "America/Sao_Paulo"
        assert merchant.language == "pt-br"

        page.goto(f"{live_server.url}/accounts/settings/")
        assert page.input_value("#id_time_zone") == "America/Sao_Paulo"
        shoot(page, "signup-time-zone-2-settings")
    finally:
        context.close()
