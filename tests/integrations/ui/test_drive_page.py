"""The Google Drive page and the Integrations card: health, times, links into Drive, empty state."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.test import Client

from accounts.models import Merchant
from integrations import run_errors
from integrations.models import BackupRun, DriveFolder, GoogleDriveIntegration
from tests.factories import make_integration, make_run

pytestmark = pytest.mark.django_db

PAGE_URL = "/integrations/google-drive/"
INDEX_URL = "/integrations/"
# 14:48 UTC: 14:48 in Lisbon, 03:48 of the next day in Auckland.
NOW = dt.datetime(2026, 12, 6, 14, 48, tzinfo=dt.UTC)


def client_of(integration: GoogleDriveIntegration) -> Client:
    client = Client()
    client.force_login(integration.merchant.users.get())
    return client


def set_merchant_zone(integration: GoogleDriveIntegration, zone: str) -> None:
    Merchant.objects.filter(pk=integration.merchant_id).update(time_zone=zone)


def health_box(html: str) -> str:
    return html.split('<section class="health', 1)[1].split("</section>", 1)[0]


@time_machine.travel(NOW, tick=False)
def test_a_lisbon_merchant_reads_lisbon_time_whatever_the_backup_s_zone():
    integration = make_integration(time_zone="Pacific/Auckland")
    set_merchant_zone(integration, "Europe/Lisbon")

    html = client_of(integration).get(PAGE_URL).content.decode()

    assert "since <time" in html and "6 Dec 2026, 14:48</time>" in html
    assert "7 Dec 2026" not in html.split('id="connection-status"')[1].split("</p>")[0]
    # The next start is told in Lisbon's time, with Auckland's named beside it.
    next_backup = html.split('id="next-backup"', 1)[1].split("</dd>", 1)[0]
    assert "in Pacific/Auckland, the backup&#x27;s time zone" in next_backup


@time_machine.travel(NOW, tick=False)
def test_the_backup_s_zone_is_not_repeated_when_it_is_the_merchant_s():
    integration = make_integration(time_zone="Europe/Warsaw")

    html = client_of(integration).get(PAGE_URL).content.decode()

    next_backup = html.split('id="next-backup"', 1)[1].split("</dd>", 1)[0]
    assert "Tonight at 0" in next_backup
    assert "the backup&#x27;s time zone" not in next_backup


@time_machine.travel(NOW, tick=False)
def test_a_full_drive_is_failing_on_the_page_and_on_the_integrations_card():
    integration = make_integration()
    make_run(
        integration,
        status=BackupRun.Status.SUCCEEDED,
        started_at=NOW - dt.timedelta(days=1, minutes=5),
        finished_at=NOW - dt.timedelta(days=1),
        invoices_uploaded=15,
        receipts_uploaded=8,
    )
    make_run(
        integration,
        status=BackupRun.Status.FAILED,
        started_at=NOW - dt.timedelta(hours=1),
        finished_at=NOW - dt.timedelta(hours=1),
        errors=[run_errors.error_entry("quota")],
    )
    client = client_of(integration)

    for url in (PAGE_URL, INDEX_URL):
        html = client.get(url).content.decode()
        # The connection is fine, but no green "Connected" says all is well.
        assert '<span class="badge">Connected</span>' in html
        assert 'badge badge-ok">Connected' not in html
        box = health_box(html)
        assert box.startswith(" health-failing")
        assert "Your backup is failing" in box
        assert "Your Google Drive is full" in box
        assert "5 Dec 2026, 15:48" in box and "15 invoices, 8 receipts" in box


@time_machine.travel(NOW, tick=False)
def test_the_status_card_no_longer_reads_all_green_when_backups_fail():
    integration = make_integration(consecutive_failures=2)
    for hours in (30, 6):
        make_run(
            integration,
            trigger=BackupRun.Trigger.SCHEDULED,
            night=(NOW - dt.timedelta(hours=hours)).date(),
            status=BackupRun.Status.FAILED,
            started_at=NOW - dt.timedelta(hours=hours),
            finished_at=NOW - dt.timedelta(hours=hours),
            errors=[run_errors.error_entry("google_unavailable")],
        )

    box = health_box(client_of(integration).get(INDEX_URL).content.decode())

    assert "Failing" in box and "The last 2 backups failed." in box


@pytest.mark.parametrize(
    ("fields", "words"),
    [
        (
            {"status": GoogleDriveIntegration.Status.NOT_CONNECTED},
            "No backups yet. Connect a Google account to start them.",
        ),
        (
            {"status": GoogleDriveIntegration.Status.ACCESS_LOST},
            "No backups yet. Reconnect your Google account to start them.",
        ),
        (
            {"backup_orders": False, "backup_invoices": False, "backup_receipts": False},
            "No backups yet. Tick at least one kind of document under “What to back up”.",
        ),
        ({}, "No backups yet. The first one runs tonight at 0"),
    ],
    ids=["not-connected", "access-lost", "nothing-ticked", "connected"],
)
@time_machine.travel(NOW, tick=False)
def test_the_empty_history_says_what_is_true(fields, words):
    integration = make_integration(**fields)

    html = client_of(integration).get(PAGE_URL).content.decode()

    empty = html.split('id="no-runs">', 1)[1].split("</p>", 1)[0]
    assert empty.startswith(words)
    assert "tonight" not in empty or not fields


@time_machine.travel(NOW, tick=False)
def test_links_open_the_backup_s_folders_in_drive():
    integration = make_integration()
    account = integration.google_account_id
    DriveFolder.objects.create(
        integration=integration, google_account_id=account, path="/", drive_id="root-id"
    )
    DriveFolder.objects.create(
        integration=integration, google_account_id=account, path="2026/12", drive_id="dec-id"
    )
    december = make_run(
        integration, status=BackupRun.Status.SUCCEEDED, started_at=NOW, finished_at=NOW
    )
    november = make_run(
        integration,
        status=BackupRun.Status.SUCCEEDED,
        started_at=NOW - dt.timedelta(days=20),
        finished_at=NOW - dt.timedelta(days=20),
    )

    html = client_of(integration).get(PAGE_URL).content.decode()

    assert 'href="https://drive.google.com/drive/folders/root-id"' in html
    card = client_of(integration).get(INDEX_URL).content.decode()
    assert 'href="https://drive.google.com/drive/folders/root-id"' in card
    row = html.split(f'id="run-{december.pk}"', 1)[1].split("</tr>", 1)[0]
    assert 'href="https://drive.google.com/drive/folders/dec-id"' in row
    assert "Folder of December 2026" in row
    november_row = html.split(f'id="run-{november.pk}"', 1)[1].split("</tr>", 1)[0]
    assert "drive.google.com" not in november_row, "no folder was made for it"


@time_machine.travel(NOW, tick=False)
def test_the_page_reads_in_portuguese(settings):
    integration = make_integration()
    client = client_of(integration)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "pt-br"

    html = client.get(PAGE_URL).content.decode()

    assert "O seu backup está funcionando" in html or "Seu backup está funcionando" in html
    assert "6 dez. 2026, 15:48" in html


@time_machine.travel(NOW, tick=False)
def test_the_page_costs_the_same_queries_with_30_runs_as_with_3(django_assert_max_num_queries):
    integration = make_integration()
    client = client_of(integration)

    def runs(count: int) -> None:
        for hours in range(count):
            make_run(
                integration,
                status=BackupRun.Status.PARTIAL,
                started_at=NOW - dt.timedelta(hours=hours + 1),
                finished_at=NOW - dt.timedelta(hours=hours + 1),
                errors=[run_errors.error_entry("render_failed", kind="invoice", number="FV 1")],
            )

    runs(3)
    with django_assert_max_num_queries(30) as few:
        client.get(PAGE_URL)
    runs(27)
    with django_assert_max_num_queries(len(few.captured_queries)):
        client.get(PAGE_URL)


@time_machine.travel(NOW, tick=False)
def test_while_a_run_waits_for_its_retry_the_button_says_when_it_goes_on():
    integration = make_integration()
    make_run(
        integration,
        status=BackupRun.Status.QUEUED,
        started_at=NOW - dt.timedelta(minutes=2),
        not_before=NOW + dt.timedelta(minutes=4),
    )

    html = client_of(integration).get(PAGE_URL).content.decode()

    hint = html.split('id="backup-now-why">', 1)[1].split("</p>", 1)[0]
    assert hint == "Google Drive did not answer; the backup goes on at 15:52…"
