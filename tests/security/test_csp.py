"""F3 (Content-Security-Policy): every page carries one, and the panel's pages pass it.

The browser tests (tests/browser, tests/integrations/test_runs_browser.py) fail on any violation
their pages report (the `browser` fixture); the tests here show that check catches one.
"""

from __future__ import annotations

import re

import pytest
from django.test import Client

from accounts.models import Merchant, User
from tests.browser.test_google_drive_flow import shoot
from tests.factories import make_invoice

PASSWORD = "browser-test-password-2026"


def policy_of(response) -> dict[str, list[str]]:
    directives = [d.strip().split() for d in response["Content-Security-Policy"].split(";")]
    return {d[0]: d[1:] for d in directives if d}


@pytest.mark.django_db
def test_pages_carry_a_policy_that_allows_only_our_own_origin(settings):
    response = Client().get("/accounts/login/")
    policy = policy_of(response)

    assert policy["default-src"] == ["'self'"]
    assert policy["frame-ancestors"] == ["'none'"]
    assert policy["object-src"] == ["'none'"]
    assert policy["base-uri"] == ["'none'"]
    assert "'unsafe-inline'" not in policy["script-src"] + policy["style-src-elem"]
    assert policy["form-action"] == ["'self'", "https://accounts.google.com"]


@pytest.mark.django_db
def test_an_inline_script_runs_by_the_nonce_of_its_own_answer():
    response = Client().get("/accounts/signup/")
    [nonce] = re.findall(r'<script nonce="([^"]+)">', response.content.decode())

    assert f"'nonce-{nonce}'" in policy_of(response)["script-src"]
    assert (
        Client().get("/accounts/signup/")["Content-Security-Policy"]
        != response["Content-Security-Policy"]
    ), "a new nonce for every answer"


def log_in(browser, live_server, path: str, email: str, landing: str):
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    page.goto(f"{live_server.url}{path}")
    page.fill("#id_username", email)
    page.fill("#id_password", PASSWORD)
    page.click("#login-form [type=submit], .auth form [type=submit]")
    page.wait_for_url(f"{live_server.url}{landing}")
    return page


@pytest.fixture
def logged_in_page(browser, live_server, transactional_db):
    merchant = Merchant.objects.create(name="Loja Azul")
    User.objects.create_user(email="owner@loja-azul.example", password=PASSWORD, merchant=merchant)
    page = log_in(browser, live_server, "/accounts/login/", "owner@loja-azul.example", "/orders/")
    return page, merchant


@pytest.mark.browser
def test_code_injected_without_the_nonce_is_blocked_and_reported(logged_in_page, csp_violations):
    page, _ = logged_in_page

    page.evaluate(
        """() => { const s = document.createElement("script");
                   s.textContent = "window.injected = true"; document.body.append(s); }"""
    )
    page.wait_for_timeout(200)

    assert page.evaluate("() => window.injected") is None
    assert any("script-src" in message for message in csp_violations.messages)
    csp_violations.messages.clear()  # the fixture would fail the test for them


@pytest.mark.browser
def test_the_sign_up_page_s_script_runs(browser, live_server, transactional_db):
    context = browser.new_context(timezone_id="America/Sao_Paulo")
    page = context.new_page()
    page.goto(f"{live_server.url}/accounts/signup/")

    assert page.input_value("#id_time_zone") == "America/Sao_Paulo"
    context.close()


@pytest.mark.browser
def test_the_print_page_is_styled_and_its_print_button_works(logged_in_page, live_server):
    page, merchant = logged_in_page
    invoice = make_invoice(merchant)
    page.add_init_script("window.print = () => { window.printed = true; };")

    page.goto(f"{live_server.url}/invoices/{invoice.pk}/print/")
    shoot(page, "csp-print-page")
    page.click("nav.toolbar button.primary")

    assert page.evaluate("() => window.printed") is True
    # The inline stylesheet (under the nonce) applied: print.css makes the toolbar a flex row.
    toolbar = page.locator("nav.toolbar")
    assert toolbar.evaluate("(el) => getComputedStyle(el).display") == "flex"


@pytest.mark.browser
def test_the_admin_passes_the_policy_too(browser, live_server, transactional_db):
    User.objects.create_superuser(email="ops@example.com", password=PASSWORD)
    merchant = Merchant.objects.create(name="Loja Azul")
    invoice = make_invoice(merchant)
    page = log_in(browser, live_server, "/admin/login/?next=/admin/", "ops@example.com", "/admin/")

    for path in [
        "/admin/documents/invoice/",
        f"/admin/documents/invoice/{invoice.pk}/change/",
        "/admin/integrations/backuprun/",
    ]:
        page.goto(live_server.url + path)
        assert page.locator("#content").count() == 1, path
