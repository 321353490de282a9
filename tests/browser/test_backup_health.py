"""The backup's health, coverage and start date in a real browser, in English and Portuguese,
at desktop and phone width; axe-core checks every page and state, and fails on any violation.

Screenshots go to test-artifacts/screenshots/health/ (git-ignored). The clock starts at a
fixed moment (6 December 2026, 14:48 UTC) and moves on from there.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from pathlib import Path

import pytest
import time_machine

from accounts.models import Merchant
from documents.models import Invoice
from integrations import run_errors
from integrations.models import BackupRun, DriveFolder, GoogleDriveIntegration
from tests.browser.accessibility import assert_accessible, contrast_ratio
from tests.browser.pages import page_in
from tests.factories import make_integration, make_run
from tests.integrations.ui.documents import copy_in_drive, invoice, receipt

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SCREENSHOTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "screenshots" / "health"
NOW = dt.datetime(2026, 12, 6, 14, 48, tzinfo=dt.UTC)
PAGE = "/integrations/google-drive/"
INDEX = "/integrations/"
LANGUAGES = ("en", "pt-br", "pl")


@pytest.fixture(autouse=True)
def fixed_start():
    with time_machine.travel(NOW, tick=True):
        yield


def hours_ago(hours: float) -> dt.datetime:
    return NOW - dt.timedelta(hours=hours)


def with_documents(integration: GoogleDriveIntegration) -> None:
    """December's 4 invoices and 2 receipts in Drive (the first backup, S9); 3 November
    invoices from before the start date; the backup's folders cached."""
    merchant = integration.merchant
    for n in range(1, 5):
        copy_in_drive(integration, invoice(merchant, f"FV {n}/12/2026", dt.date(2026, 12, n)))
    for n in (2, 3):
        copy_in_drive(integration, receipt(merchant, f"PAR {n}/12/2026", dt.date(2026, 12, n)))
    for n in (5, 15, 25):
        invoice(merchant, f"FV {n}/11/2026", dt.date(2026, 11, n))
    account = integration.google_account_id
    for path, drive_id in (("/", "root-folder-id"), ("2026/12", "december-folder-id")):
        DriveFolder.objects.create(
            integration=integration, google_account_id=account, path=path, drive_id=drive_id
        )


def succeeded(integration: GoogleDriveIntegration, hours: float) -> BackupRun:
    return make_run(
        integration,
        trigger=BackupRun.Trigger.SCHEDULED,
        night=hours_ago(hours).date(),
        status=BackupRun.Status.SUCCEEDED,
        started_at=hours_ago(hours) - dt.timedelta(minutes=2),
        finished_at=hours_ago(hours),
        orders_exported=41,
        invoices_uploaded=4,
        receipts_uploaded=2,
        files_uploaded=7,
        bytes_uploaded=412_000,
    )


def failed(
    integration: GoogleDriveIntegration, hours: float, code: str, *, nightly: bool = True
) -> BackupRun:
    return make_run(
        integration,
        trigger=BackupRun.Trigger.SCHEDULED if nightly else BackupRun.Trigger.MANUAL,
        night=hours_ago(hours).date() if nightly else None,
        status=BackupRun.Status.FAILED,
        started_at=hours_ago(hours) - dt.timedelta(minutes=1),
        finished_at=hours_ago(hours),
        errors=[run_errors.error_entry(code)],
    )


def healthy() -> GoogleDriveIntegration:
    integration = make_integration(documents_since=dt.date(2026, 12, 1))
    with_documents(integration)
    succeeded(integration, 12)
    return integration


def warning_retry() -> GoogleDriveIntegration:
    """Google answered 503 during tonight's backup; it waits for its retry."""
    integration = healthy()
    make_run(
        integration,
        status=BackupRun.Status.QUEUED,
        started_at=NOW - dt.timedelta(minutes=2),
        not_before=NOW + dt.timedelta(minutes=4),
        progress_total=9,
        progress_done=0,
        errors=[
            run_errors.error_entry("upload_failed", kind="invoice", number="FV 4/12/2026"),
            run_errors.error_entry("google_unavailable"),
        ],
    )
    return integration


def failing_drive_full() -> GoogleDriveIntegration:
    integration = healthy()
    failed(integration, 1, "quota", nightly=False)
    GoogleDriveIntegration.objects.filter(pk=integration.pk).update(consecutive_failures=1)
    return integration


def failing_two_nights() -> GoogleDriveIntegration:
    integration = make_integration(documents_since=dt.date(2026, 12, 1))
    with_documents(integration)
    succeeded(integration, 60)
    failed(integration, 36, "google_unavailable")
    failed(integration, 12, "google_unavailable")
    GoogleDriveIntegration.objects.filter(pk=integration.pk).update(
        consecutive_failures=2, connected_at=hours_ago(24 * 20)
    )
    return integration


def failing_access_lost() -> GoogleDriveIntegration:
    integration = healthy()
    failed(integration, 2, "access_lost", nightly=False)
    GoogleDriveIntegration.objects.filter(pk=integration.pk).update(
        status=GoogleDriveIntegration.Status.ACCESS_LOST, access_lost_at=hours_ago(2)
    )
    return integration


STATES: dict[str, tuple[Callable[[], GoogleDriveIntegration], str, str]] = {
    # name: (set-up, health class, words of the reason in English)
    "healthy": (healthy, "health-healthy", "The last backup copied everything"),
    "warning-retry": (warning_retry, "health-warning", "the backup goes on at"),
    "failing-drive-full": (failing_drive_full, "health-failing", "Your Google Drive is full"),
    "failing-two-nights": (failing_two_nights, "health-failing", "The last 2 backups failed"),
    "failing-access-lost": (failing_access_lost, "health-failing", "Reconnect your Google"),
}


def open_as(browser, live_server, integration, language: str, width: int = 1280):
    """A page of a browser logged in as the integration's merchant, in `language`."""
    return page_in(browser, live_server, language, integration.merchant.users.get(), width)


def shoot(page, name: str) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=True)


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("state", list(STATES))
def test_each_state_reads_at_a_glance_and_passes_axe(browser, live_server, state, language):
    from playwright.sync_api import expect

    set_up, css_class, words = STATES[state]
    integration = set_up()
    page = open_as(browser, live_server, integration, language)

    for url, name in ((PAGE, "page"), (INDEX, "card")):
        page.goto(f"{live_server.url}{url}")
        health = page.locator("#backup-health")
        expect(health).to_have_class(f"health {css_class}")
        expect(health).to_be_in_viewport()
        if language == "en":
            expect(page.locator("#backup-health-reason")).to_contain_text(words)
        shoot(page, f"{state}-{name}-{language}")
        assert_accessible(page, f"{url} ({state}, {language})")

    if state == "warning-retry":
        # One story: the box, the row and the health all say it waits for its retry.
        page.goto(f"{live_server.url}{PAGE}")
        box = page.locator("#active-run")
        expect(box).to_have_class("alert alert-warn")
        expect(box.locator("progress")).to_have_attribute("value", "0")
        row = page.locator("#runs-table tbody tr").first
        expect(row.locator(".badge")).to_have_class("badge badge-warn")
        if language == "en":
            expect(row).not_to_contain_text("next backup")
            expect(box).to_contain_text("Backup paused until its retry")


@pytest.mark.parametrize("language", LANGUAGES)
def test_phone_width_keeps_the_state_first_and_nothing_scrolls_sideways(
    browser, live_server, language
):
    from playwright.sync_api import expect

    for state in ("healthy", "failing-drive-full"):
        integration = STATES[state][0]()
        page = open_as(browser, live_server, integration, language, width=375)
        page.goto(f"{live_server.url}{PAGE}")
        expect(page.locator("#backup-health")).to_be_in_viewport()
        assert page.evaluate("document.documentElement.scrollWidth") <= 375
        shoot(page, f"{state}-page-375px-{language}")
        assert_accessible(page, f"{PAGE} at 375 px ({state}, {language})")
        page.context.close()
        Merchant.objects.all().delete()


@pytest.mark.parametrize("language", LANGUAGES)
def test_moving_the_start_date_back_fills_the_coverage_table(browser, live_server, language):
    from playwright.sync_api import expect

    integration = healthy()
    page = open_as(browser, live_server, integration, language)
    page.goto(f"{live_server.url}{PAGE}#coverage")
    november = page.locator('#coverage-table tr[data-month="2026-11"]')
    of = {"en": "of", "pt-br": "de", "pl": "z"}[language]
    expect(november.locator("td").nth(0)).to_have_text(f"0 {of} 3")
    page.locator("#coverage").screenshot(
        path=str(SCREENSHOTS / f"coverage-1-before-backfill-{language}.png")
    )
    assert_accessible(page, f"coverage before a backfill ({language})")

    page.locator("#id_documents_since").select_option("2026-10-01")
    page.locator("#coverage form button").click()
    page.wait_for_url(f"{live_server.url}{PAGE}#coverage")
    expect(page.locator("#backup-start time")).to_have_attribute("datetime", "2026-10-01")
    expect(november.locator("td").nth(2)).to_contain_text(
        {
            "en": "waiting for the next backup",
            "pt-br": "aguardando o próximo backup",
            "pl": "do wysłania przy następnej kopii zapasowej",
        }[language]
    )
    page.locator("#coverage").screenshot(
        path=str(SCREENSHOTS / f"coverage-2-start-moved-back-{language}.png")
    )
    assert_accessible(page, f"coverage after moving the start ({language})")

    # The next backup uploads them (as its ledger rows say); the table counts them in Drive.
    integration.refresh_from_db()
    assert integration.documents_since == dt.date(2026, 10, 1)
    november_invoices = Invoice.objects.filter(merchant=integration.merchant, issue_date__month=11)
    for document in november_invoices:
        copy_in_drive(integration, document)
    page.reload()
    expect(november.locator("td").nth(0)).to_have_text(f"3 {of} 3")
    page.locator("#coverage").screenshot(
        path=str(SCREENSHOTS / f"coverage-3-after-backfill-{language}.png")
    )
    assert_accessible(page, f"coverage after a backfill ({language})")


def test_the_focus_ring_stands_out_from_white_cards(browser, live_server):
    integration = healthy()
    page = open_as(browser, live_server, integration, "en")
    page.goto(f"{live_server.url}{PAGE}")
    button = page.locator("#settings button[type=submit]")
    button.focus()
    page.keyboard.press("Shift+Tab")
    page.keyboard.press("Tab")
    outline = button.evaluate("b => getComputedStyle(b).outlineColor")
    card = page.locator("#settings").evaluate("c => getComputedStyle(c).backgroundColor")
    assert card == "rgb(255, 255, 255)"
    # WCAG 1.4.11: 3:1 for the focus indicator against what is next to it.
    assert contrast_ratio(outline, card) >= 3, outline


def test_flash_messages_are_no_list_items(browser, live_server):
    integration = healthy()
    page = open_as(browser, live_server, integration, "en")
    page.goto(f"{live_server.url}{PAGE}")
    page.get_by_role("button", name="Save settings").click()
    page.wait_for_url(f"{live_server.url}{PAGE}")
    status = page.get_by_role("status").filter(has_text="settings were saved")
    assert status.evaluate("e => e.tagName") == "DIV"
    assert_accessible(page, "a page with a flash message")
