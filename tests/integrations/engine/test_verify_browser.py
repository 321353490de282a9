"""The "Check my backup" section in a real browser, with one file of each kind, and its repair.

Screenshots go to test-artifacts/screenshots/ (git-ignored).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from accounts.models import User
from integrations.models import BackupRun
from tests.integrations.test_runs_browser import logged_in_page

from .drive_user import ONE_OF_EACH, check, one_of_each

pytestmark = pytest.mark.browser

SCREENSHOTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "screenshots"


def shoot(page, name: str) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.locator("#check").screenshot(path=str(SCREENSHOTS / f"{name}.png"))


def test_the_report_and_the_repair_in_a_browser(
    transactional_db,
    live_server,
    browser,
    engine,
    documents_only,
    merchant,
    backed_up,
    eager_celery,
):
    from playwright.sync_api import expect

    User.objects.create_user("owner@loja.example", merchant=merchant)
    one_of_each(engine, documents_only, backed_up)
    check(documents_only)
    page = logged_in_page(browser, live_server, documents_only)

    section = page.locator("#check")
    for name, count in ONE_OF_EACH.items():
        expect(section.locator(f"#check-{name} td.num")).to_have_text(str(count))
    expect(section.locator("#check-files")).to_contain_text("FV 3_11_2026.pdf")
    expect(section.get_by_role("button", name="Re-send missing copies")).to_be_enabled()
    shoot(page, "verify-section-en")

    page.context.add_cookies([{"name": "django_language", "value": "pl", "url": live_server.url}])
    page.reload()
    resend = section.get_by_role("button", name="Wyślij brakujące kopie ponownie")
    expect(resend).to_be_visible()
    shoot(page, "verify-section-pl")

    # Tasks run eagerly here: the click runs the repair, the next one the check.
    resend.click()
    page.wait_for_url(f"{live_server.url}/integrations/google-drive/#history")
    run = BackupRun.objects.get(trigger=BackupRun.Trigger.REPAIR)
    assert (run.status, run.files_uploaded) == (BackupRun.Status.SUCCEEDED, 2)
    expect(page.locator(f"#run-{run.pk}")).to_contain_text("Wyślij brakujące kopie ponownie")
    section.get_by_role("button", name="Sprawdź moją kopię zapasową").click()
    page.wait_for_url(f"{live_server.url}/integrations/google-drive/#check")
    expect(section.locator("#check-missing td.num")).to_have_text("0")
    expect(section.locator("#check-trashed td.num")).to_have_text("0")
    expect(section.get_by_role("button", name="Wyślij brakujące kopie ponownie")).to_have_count(0)
    shoot(page, "verify-section-after-repair-pl")
