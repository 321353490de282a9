"""The "Check my backup" section in a real browser, with one file of each kind, and its repair,
in English, Portuguese and Polish; axe-core checks the report, the repair's result and the
second check, and fails on any violation.

Screenshots go to test-artifacts/screenshots/ (git-ignored).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from accounts.models import User
from integrations.models import BackupRun
from tests.browser.accessibility import assert_accessible
from tests.integrations.test_runs_browser import logged_in_page

from .drive_user import ONE_OF_EACH, check, one_of_each

pytestmark = pytest.mark.browser

SCREENSHOTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "screenshots"

# The two buttons' names, as each catalog has them (the page is checked through its roles).
RESEND = {
    "en": "Re-send missing copies",
    "pt-br": "Reenviar cópias ausentes",
    "pl": "Wyślij brakujące kopie ponownie",
}
CHECK = {
    "en": "Check my backup",
    "pt-br": "Verificar meu backup",
    "pl": "Sprawdź moją kopię zapasową",
}


def shoot(page, name: str) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.locator("#check").screenshot(path=str(SCREENSHOTS / f"{name}.png"))


@pytest.mark.parametrize("language", list(RESEND))
def test_the_report_and_the_repair_in_a_browser(
    transactional_db,
    live_server,
    browser,
    engine,
    documents_only,
    merchant,
    backed_up,
    eager_celery,
    language,
):
    from playwright.sync_api import expect

    User.objects.create_user("owner@loja.example", merchant=merchant)
    one_of_each(engine, documents_only, backed_up)
    check(documents_only)
    page = logged_in_page(browser, live_server, documents_only)
    page.context.add_cookies(
        [{"name": "django_language", "value": language, "url": live_server.url}]
    )
    page.reload()

    section = page.locator("#check")
    for name, count in ONE_OF_EACH.items():
        expect(section.locator(f"#check-{name} td.num")).to_have_text(str(count))
    expect(section.locator("#check-files")).to_contain_text("FV 3_11_2026.pdf")
    resend = section.get_by_role("button", name=RESEND[language])
    expect(resend).to_be_enabled()
    shoot(page, f"verify-section-{language}")
    assert_accessible(page, f"the verify report ({language})")

    # Tasks run eagerly here: the click runs the repair, the next one the check.
    resend.click()
    page.wait_for_url(f"{live_server.url}/integrations/google-drive/#history")
    run = BackupRun.objects.get(trigger=BackupRun.Trigger.REPAIR)
    assert (run.status, run.files_uploaded) == (BackupRun.Status.SUCCEEDED, 2)
    expect(page.locator(f"#run-{run.pk}")).to_contain_text(RESEND[language])
    page.locator(f"#run-{run.pk}").screenshot(
        path=str(SCREENSHOTS / f"verify-repair-run-{language}.png")
    )
    assert_accessible(page, f"the page after a repair ({language})")

    section.get_by_role("button", name=CHECK[language]).click()
    page.wait_for_url(f"{live_server.url}/integrations/google-drive/#check")
    expect(section.locator("#check-missing td.num")).to_have_text("0")
    expect(section.locator("#check-trashed td.num")).to_have_text("0")
    expect(section.get_by_role("button", name=RESEND[language])).to_have_count(0)
    shoot(page, f"verify-section-after-repair-{language}")
    assert_accessible(page, f"the verify report after a repair ({language})")
