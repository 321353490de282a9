"""Every page of the panel, signed out and signed in, in each language, passes axe-core.

The backup's own states (health, coverage, the check and its repair, phone width) are checked
where they are built (tests/browser/test_backup_health.py, the engine's verify browser test);
this walks the rest: the sign-in and sign-up pages (also with a form's errors), the lists of
orders, invoices and receipts, an order, the prints, the page that waits for a large PDF,
account settings, and the integrations before anything is connected.
Screenshots go to test-artifacts/screenshots/pages/ (git-ignored).
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from pathlib import Path

import pytest
import time_machine

from documents import print_views
from documents.print_files import store_pdf
from tests.browser.accessibility import assert_accessible
from tests.browser.pages import page_in
from tests.factories import make_invoice, make_merchant, make_order, make_receipt

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SCREENSHOTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "screenshots" / "pages"
NOW = dt.datetime(2026, 12, 6, 14, 48, tzinfo=dt.UTC)
LANGUAGES = ("en", "pt-br", "pl")


@pytest.fixture(autouse=True)
def fixed_start():
    with time_machine.travel(NOW, tick=True):
        yield


def check(page, url: str, name: str, language: str) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"{name}-{language}.png"), full_page=True)
    assert_accessible(page, f"{url} ({name}, {language})")


def merchant_with_documents():
    merchant, user = make_merchant("Loja Azul", "owner@loja-azul.example")
    order = make_order(merchant, buyer_name="Ana Souza")
    small = make_invoice(merchant, "FV 7/12/2026", issue_date=dt.date(2026, 12, 4))
    line = {
        "name": "Kubek",
        "quantity": 1,
        "unit_price_net": Decimal("10.00"),
        "total_net": Decimal("10.00"),
        "total_gross": Decimal("12.30"),
    }
    large = make_invoice(
        merchant, "FV 8/12/2026", issue_date=dt.date(2026, 12, 5), items=[line] * 61
    )
    receipt = make_receipt(merchant, "PAR 3/12/2026", issue_date=dt.date(2026, 12, 3))
    return user, order, small, large, receipt


@pytest.mark.parametrize("language", LANGUAGES)
def test_the_pages_signed_out_pass_axe(browser, live_server, language):
    page = page_in(browser, live_server, language)
    for url, name in (("/accounts/login/", "login"), ("/accounts/signup/", "signup")):
        page.goto(f"{live_server.url}{url}")
        check(page, url, name, language)
        # The same form with its errors: sent empty, the browser's own checks turned off.
        page.evaluate("document.querySelector('.auth form').noValidate = true")
        page.click(".auth form button[type=submit]")
        page.wait_for_load_state()
        assert page.locator(".errorlist, .alert-error, [role=alert]").count() > 0
        check(page, url, f"{name}-with-errors", language)


@pytest.mark.parametrize("language", LANGUAGES)
def test_the_pages_signed_in_pass_axe(browser, live_server, language, monkeypatch):
    # The large invoice's PDF is made by a worker; here nobody makes it, so its page waits.
    monkeypatch.setattr(print_views, "queue_once", lambda print_file: True)
    user, order, small, large, receipt = merchant_with_documents()
    page = page_in(browser, live_server, language, user)
    pages = (
        ("/orders/", "orders"),
        (f"/orders/{order.pk}/", "order"),
        ("/invoices/", "invoices"),
        ("/receipts/", "receipts"),
        (f"/invoices/{small.pk}/print/", "invoice-print"),
        (f"/receipts/{receipt.pk}/print/", "receipt-print"),
        ("/accounts/settings/", "account-settings"),
        ("/integrations/", "integrations-not-connected"),
        ("/integrations/google-drive/", "google-drive-not-connected"),
    )
    for url, name in pages:
        response = page.goto(f"{live_server.url}{url}")
        assert response.status == 200, (url, response.status)
        check(page, url, name, language)

    # The page that waits for a large PDF asks in the background and opens the PDF once the
    # worker has stored it; it never reloads itself on a timer.
    url = f"/invoices/{large.pk}/pdf/"
    assert page.goto(f"{live_server.url}{url}").status == 202
    check(page, url, "large-pdf-waits", language)
    with page.expect_response(
        lambda r: r.url.endswith(url) and r.request.method == "GET" and r.status == 200,
        timeout=15_000,
    ):
        store_pdf(large, user.merchant.language)
