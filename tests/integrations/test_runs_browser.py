"""The run history in a real browser: the progress bar follows the run, then the page shows
its result. Screenshots go to test-artifacts/screenshots/ (git-ignored)."""

from __future__ import annotations

from pathlib import Path

import pytest
from django.utils import timezone

from integrations import run_errors, tasks
from integrations.models import BackupRun
from tests.factories import make_integration, make_run

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SCREENSHOTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "screenshots"
PASSWORD = "browser-test-password-2026"


def shoot(page, name: str) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=True)


def logged_in_page(browser, live_server, integration):
    user = integration.merchant.users.get()
    user.set_password(PASSWORD)
    user.save()
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    page.goto(f"{live_server.url}/accounts/login/?next=/integrations/google-drive/")
    page.get_by_label("E-mail").fill(user.email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url(f"{live_server.url}/integrations/google-drive/")
    return page


def test_the_progress_bar_follows_a_running_backup(browser, live_server):
    from playwright.sync_api import expect

    integration = make_integration()
    make_run(
        integration,
        trigger=BackupRun.Trigger.SCHEDULED,
        night=timezone.localdate(),
        status=BackupRun.Status.PARTIAL,
        started_at=timezone.now() - timezone.timedelta(days=1, minutes=3),
        finished_at=timezone.now() - timezone.timedelta(days=1),
        orders_exported=312,
        invoices_uploaded=41,
        receipts_uploaded=9,
        bytes_uploaded=3_456_789,
        errors=[run_errors.error_entry("render_failed", kind="invoice", number="FV 3/11/2026")],
    )
    run = make_run(
        integration,
        status=BackupRun.Status.RUNNING,
        started_at=timezone.now(),
        progress_total=10,
        progress_done=2,
    )
    page = logged_in_page(browser, live_server, integration)
    bar = page.locator("#active-run progress")
    expect(bar).to_have_attribute("value", "20")
    expect(page.get_by_role("button", name="Back up now")).to_be_disabled()
    page.get_by_text("1 problem", exact=True).click()
    expect(page.get_by_text("FV 3/11/2026: The PDF of this document")).to_be_visible()
    shoot(page, "runs-01-running")

    BackupRun.objects.filter(pk=run.pk).update(
        progress_done=6, invoices_uploaded=4, receipts_uploaded=2, bytes_uploaded=61_667
    )
    expect(bar).to_have_js_property("value", 60, timeout=10_000)
    expect(page.locator("#active-run-text")).to_have_text("6 of 10 files backed up")
    # The row's counts follow the bar instead of contradicting it.
    row = page.locator(f"#run-{run.pk}")
    expect(row.locator('[data-live="invoices_uploaded"]')).to_have_text("4")
    expect(row.locator('[data-live="receipts_uploaded"]')).to_have_text("2")
    expect(row.locator('[data-live="bytes_label"]')).not_to_have_text("0\xa0bytes")

    BackupRun.objects.filter(pk=run.pk).update(
        status=BackupRun.Status.SUCCEEDED, finished_at=timezone.now(), progress_done=10
    )
    expect(page.locator("#active-run")).to_have_count(0, timeout=10_000)
    expect(page.locator(f"#run-{run.pk}")).to_contain_text("Succeeded")
    expect(page.get_by_role("button", name="Back up now")).to_be_enabled()
    shoot(page, "runs-02-finished")


def test_back_up_now_from_the_page(browser, live_server, monkeypatch):
    from playwright.sync_api import expect

    queued: list[int] = []
    monkeypatch.setattr(tasks.run_backup, "delay", queued.append)
    integration = make_integration()
    page = logged_in_page(browser, live_server, integration)
    expect(page.locator("#no-runs")).to_be_visible()

    page.get_by_role("button", name="Back up now").click()

    expect(page.get_by_role("status").first).to_contain_text("The backup has started")
    expect(page.locator("#active-run-text")).to_have_text("Waiting to start…")
    expect(page.get_by_role("button", name="Back up now")).to_be_disabled()
    expect(page.locator("#backup-now-why")).to_have_text("Backing up now…")
    expect(page.get_by_text("A backup is already in progress")).to_have_count(0)
    assert queued == [BackupRun.objects.get().pk]
    shoot(page, "runs-03-back-up-now")


def test_the_history_reads_well_on_a_phone(browser, live_server):
    from playwright.sync_api import expect

    integration = make_integration()
    for status in (BackupRun.Status.SUCCEEDED, BackupRun.Status.FAILED):
        make_run(
            integration,
            status=status,
            started_at=timezone.now() - timezone.timedelta(minutes=5),
            finished_at=timezone.now(),
            invoices_uploaded=12,
            errors=[run_errors.error_entry("quota")] if status == "failed" else [],
        )
    stopped = make_run(
        integration,
        status=BackupRun.Status.PARTIAL,
        started_at=timezone.now() - timezone.timedelta(minutes=1),
        finished_at=timezone.now(),
        errors=[run_errors.error_entry("disconnected")],
    )
    desktop = logged_in_page(browser, live_server, integration)
    phone = browser.new_page(viewport={"width": 375, "height": 800})
    phone.context.add_cookies(desktop.context.cookies())
    phone.goto(f"{live_server.url}/integrations/google-drive/#history")

    expect(phone.locator("#runs-table tbody tr")).to_have_count(3)
    expect(phone.locator("#runs-table").get_by_text("Failed")).to_be_visible()
    # The stopped run's note sits under its badge, which keeps a badge's shape.
    stopped_badge = phone.locator(f"#run-{stopped.pk} .badge")
    expect(stopped_badge).to_have_text("Stopped")
    expect(phone.locator(f"#run-{stopped.pk}")).to_contain_text("Google Drive was disconnected")
    assert stopped_badge.bounding_box()["height"] < 30
    shoot(phone, "runs-04-history-375px")
    assert phone.evaluate("document.documentElement.scrollWidth") <= 375, "no sideways scroll"
