"""The Google Drive page's "Check my backup" section and its two buttons."""

from __future__ import annotations

import datetime as dt

import pytest
from django.conf import settings
from django.test import Client
from django.utils import timezone

from integrations import tasks, verify
from integrations.models import BackupRun, GoogleDriveIntegration, VerifyReport
from tests.factories import make_integration

pytestmark = pytest.mark.django_db

PAGE_URL = "/integrations/google-drive/"
CHECK_URL = "/integrations/google-drive/check/"
RESEND_URL = "/integrations/google-drive/resend-missing/"
FOLDER = "BaseLinker Backup/2026/11/Invoices"


@pytest.fixture
def integration() -> GoogleDriveIntegration:
    return make_integration()


@pytest.fixture
def client(integration) -> Client:
    client = Client()
    client.force_login(integration.merchant.users.get())
    return client


def finished_report(integration, **counts) -> VerifyReport:
    """A done report with one listed file for each category counted."""
    files = [
        {"category": name, "name": f"FV {n}_11_2026.pdf", "folder": FOLDER, "drive_id": f"id{n}"}
        for n, name in enumerate(counts)
        if name != "present"
    ]
    now = timezone.now()
    return VerifyReport.objects.create(
        integration=integration,
        trigger=VerifyReport.Trigger.MANUAL,
        status=VerifyReport.Status.DONE,
        requested_at=now,
        finished_at=now,
        files=files,
        **counts,
    )


def test_the_section_says_no_check_yet(client):
    page = client.get(PAGE_URL).content.decode()

    assert 'id="verify-report"' in page
    assert "Your backup has not been checked yet." in page
    assert 'id="resend-missing"' not in page


def test_check_my_backup_queues_one_check(
    client, integration, monkeypatch, django_capture_on_commit_callbacks
):
    queued = []
    monkeypatch.setattr(tasks.check_backup, "delay", queued.append)

    with django_capture_on_commit_callbacks(execute=True):
        answer = client.post(CHECK_URL)
    again = client.post(CHECK_URL, follow=True)

    assert answer.status_code == 302 and answer["Location"].endswith("#check")
    report = VerifyReport.objects.get()
    assert queued == [report.pk]
    assert report.trigger == VerifyReport.Trigger.MANUAL
    page = again.content.decode()
    assert "A check of your backup is already under way." in page
    assert 'id="check-active"' in page


def test_a_report_shows_counts_files_and_the_repair_button(client, integration):
    finished_report(integration, present=2, changed=1, trashed=1, missing=1, moved=1, unknown=1)

    page = client.get(PAGE_URL).content.decode()

    for name in ("present", "changed", "trashed", "missing", "moved", "unknown"):
        assert f'id="check-{name}"' in page
    assert page.count('<td data-label="File">FV ') == 5
    assert "deleted for good from your Google Drive" in page
    assert 'id="resend-missing"' in page and 'id="resend-missing" disabled' not in page


def test_nothing_lost_means_no_repair_button(client, integration):
    finished_report(integration, present=3, moved=1)

    page = client.get(PAGE_URL).content.decode()

    assert 'id="resend-missing"' not in page
    assert "moved to another folder; that is fine, they are kept" in page


def test_resend_starts_a_repair_run(client, integration, django_capture_on_commit_callbacks):
    finished_report(integration, present=1, missing=1)

    with django_capture_on_commit_callbacks(execute=False):
        answer = client.post(RESEND_URL)

    assert answer["Location"].endswith("#history")
    run = BackupRun.objects.get()
    assert run.trigger == BackupRun.Trigger.REPAIR
    page = client.get(PAGE_URL).content.decode()
    assert "Re-send missing copies" in page  # the run's "Started by" in the history
    assert 'id="resend-missing" disabled' in page  # a run is active


def test_a_failed_check_says_why(client, integration):
    now = timezone.now()
    VerifyReport.objects.create(
        integration=integration,
        trigger=VerifyReport.Trigger.MONTHLY,
        status=VerifyReport.Status.FAILED,
        requested_at=now - dt.timedelta(minutes=1),
        finished_at=now,
        error=verify.GOOGLE_UNAVAILABLE,
    )

    page = client.get(PAGE_URL).content.decode()

    assert "Google Drive could not be reached. Please try again later." in page


def test_the_section_speaks_polish(client, integration):
    finished_report(integration, present=1, trashed=1)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "pl"

    page = client.get(PAGE_URL).content.decode()

    assert "Sprawdź moją kopię" in page
    assert "Wyślij brakujące kopie ponownie" in page
