"""The run history on the Google Drive page, "Back up now" and the progress JSON."""

from __future__ import annotations

import datetime as dt
import re
from zoneinfo import ZoneInfo

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import formats, timezone, translation

from integrations import run_errors, run_history, tasks
from integrations.models import BackupRun, GoogleDriveIntegration
from tests.factories import make_integration, make_run

pytestmark = pytest.mark.django_db

PAGE_URL = "/integrations/google-drive/"
BACKUP_NOW_URL = "/integrations/google-drive/backup-now/"


def progress_url(run: BackupRun) -> str:
    return f"/integrations/google-drive/runs/{run.pk}/progress.json"


def client_of(integration: GoogleDriveIntegration) -> Client:
    client = Client()
    client.force_login(integration.merchant.users.get())
    return client


@pytest.fixture
def integration():
    return make_integration()


@pytest.fixture
def client(integration) -> Client:
    return client_of(integration)


@pytest.fixture
def queued(monkeypatch) -> list[int]:
    """Run ids handed to the broker (run_backup.delay), instead of a real broker."""
    ids: list[int] = []
    monkeypatch.setattr(tasks.run_backup, "delay", ids.append)
    return ids


def test_the_urls_have_the_agreed_names():
    assert reverse("integrations:google_drive_backup_now") == BACKUP_NOW_URL
    run_url = reverse("integrations:google_drive_run_progress", args=[7])
    assert run_url == "/integrations/google-drive/runs/7/progress.json"


# --- Back up now --------------------------------------------------------------------------


def test_back_up_now_queues_one_run_after_commit(
    client, integration, queued, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        response = client.post(BACKUP_NOW_URL, follow=True)

    run = BackupRun.objects.get()
    assert run.integration == integration
    assert run.trigger == BackupRun.Trigger.MANUAL
    assert len(callbacks) == 1
    assert queued == [run.pk]
    assert response.redirect_chain == [(PAGE_URL + "#history", 302)]
    assert "The backup has started" in response.content.decode()


def test_back_up_now_twice_starts_one_run(client, queued, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        client.post(BACKUP_NOW_URL)
        response = client.post(BACKUP_NOW_URL, follow=True)

    assert BackupRun.objects.count() == 1
    assert len(queued) == 1
    assert "A backup is already in progress" in response.content.decode()


@pytest.mark.parametrize(
    ("status", "explanation"),
    [
        (GoogleDriveIntegration.Status.NOT_CONNECTED, "Connect a Google account first"),
        (GoogleDriveIntegration.Status.ACCESS_LOST, "Reconnect your Google account first"),
    ],
)
def test_back_up_now_without_a_connection_is_refused(queued, status, explanation):
    integration = make_integration(status=status)

    response = client_of(integration).post(BACKUP_NOW_URL, follow=True)

    assert not BackupRun.objects.exists()
    assert queued == []
    assert explanation in response.content.decode()


def test_back_up_now_is_a_post(client):
    assert client.get(BACKUP_NOW_URL).status_code == 405


def test_back_up_now_checks_the_csrf_token(integration):
    client = Client(enforce_csrf_checks=True)
    client.force_login(integration.merchant.users.get())

    assert client.post(BACKUP_NOW_URL).status_code == 403
    assert not BackupRun.objects.exists()


@pytest.mark.parametrize("url", [BACKUP_NOW_URL, "/integrations/google-drive/runs/1/progress.json"])
def test_run_pages_need_a_login(url):
    response = Client().post(url) if url == BACKUP_NOW_URL else Client().get(url)

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("accounts:login"))


# --- Progress JSON ------------------------------------------------------------------------


def test_progress_of_a_running_run(client, integration):
    run = make_run(
        integration,
        status=BackupRun.Status.RUNNING,
        started_at=timezone.now(),
        progress_total=40,
        progress_done=12,
        files_uploaded=12,
        bytes_uploaded=123456,
    )

    response = client.get(progress_url(run))

    assert response.status_code == 200
    assert response["Cache-Control"].startswith("max-age=0")
    body = response.json()
    assert body["active"] is True
    assert (body["done"], body["total"], body["percent"]) == (12, 40, 30)
    assert body["status"] == "running"
    assert body["text"] == "12 of 40 files backed up"
    assert body["bytes_uploaded"] == 123456


def test_progress_before_the_run_knows_its_size(client, integration):
    run = make_run(integration)

    body = client.get(progress_url(run)).json()

    assert body["percent"] is None
    assert body["text"] == "Waiting to start…"


def test_progress_of_a_finished_run_says_it_is_over(client, integration):
    run = make_run(integration, status=BackupRun.Status.SUCCEEDED, finished_at=timezone.now())

    body = client.get(progress_url(run)).json()

    assert body["active"] is False
    assert body["status_label"] == "Succeeded"


def test_another_merchants_run_is_not_found(client):
    stranger = make_integration("Sklep Zielony")
    run = make_run(stranger, status=BackupRun.Status.RUNNING)

    assert client.get(progress_url(run)).status_code == 404


# --- History on the page ------------------------------------------------------------------


def test_the_page_lists_the_last_30_runs_with_their_numbers(client, integration):
    started = timezone.now() - dt.timedelta(days=40)
    for day in range(35):
        make_run(
            integration,
            trigger=BackupRun.Trigger.SCHEDULED,
            night=(started + dt.timedelta(days=day)).date(),
            status=BackupRun.Status.SUCCEEDED,
            started_at=started,
            finished_at=started + dt.timedelta(minutes=2, seconds=5),
            orders_exported=321,
            invoices_uploaded=17,
            receipts_uploaded=4,
            bytes_uploaded=2_500_000,
        )

    html = client.get(PAGE_URL).content.decode()

    assert html.count('<tr id="run-') == 30
    assert "321" in html and "17" in html
    assert "2.5\xa0MB" in html
    assert "2 min 05 s" in html
    assert "Nightly" in html
    assert 'class="badge badge-ok"' in html


@pytest.mark.parametrize(
    ("size", "english", "portuguese"),
    [
        (0, "0\xa0bytes", "0\xa0byte"),  # pt-BR: 0 takes the singular
        (1, "1\xa0byte", "1\xa0byte"),
        (999, "999\xa0bytes", "999\xa0bytes"),
        (1_000, "1.0\xa0kB", "1,0\xa0kB"),
        (61_667, "61.7\xa0kB", "61,7\xa0kB"),
        (999_960, "1.0\xa0MB", "1,0\xa0MB"),
        (2_500_000, "2.5\xa0MB", "2,5\xa0MB"),
        (3_456_789_012, "3.5\xa0GB", "3,5\xa0GB"),
    ],
)
def test_sizes_are_in_decimal_units_that_say_so(size, english, portuguese):
    # 61,667 bytes were shown as "60.2 KB": kibibytes under the name of kilobytes.
    with translation.override("en"):
        assert run_history.format_size(size) == english
    with translation.override("pt-br"):
        assert run_history.format_size(size) == portuguese


def test_history_and_progress_show_sizes_the_same_way(client, integration):
    run = make_run(integration, status=BackupRun.Status.RUNNING, bytes_uploaded=61_667)

    html = client.get(PAGE_URL).content.decode()

    assert live_cells(html, run)["bytes_label"] == "61.7\xa0kB"
    assert client.get(progress_url(run)).json()["bytes_label"] == "61.7\xa0kB"


def test_problems_are_in_words_a_merchant_understands(client, integration):
    make_run(
        integration,
        status=BackupRun.Status.PARTIAL,
        finished_at=timezone.now(),
        errors=[
            run_errors.error_entry("render_failed", kind="invoice", number="FV 3/11/2026"),
            run_errors.error_entry("quota"),
        ],
    )

    html = client.get(PAGE_URL).content.decode()

    assert "2 problems" in html
    assert "FV 3/11/2026: The PDF of this document could not be created." in html
    assert "Your Google Drive is full" in html
    assert 'class="badge badge-warn"' in html


def page_times(integration: GoogleDriveIntegration, *moments: dt.datetime) -> list[str]:
    """Each moment as the page should write it: one short format, in the merchant's zone."""
    zone = ZoneInfo(integration.merchant.time_zone)
    return [formats.date_format(m.astimezone(zone), "SHORT_DATETIME_FORMAT") for m in moments]


@pytest.mark.parametrize("language", ["en", "pl", "pt-br"])
def test_the_page_writes_every_time_in_one_format(client, integration, settings, language):
    connected = dt.datetime(2026, 11, 2, 9, 30, tzinfo=dt.UTC)
    started = dt.datetime(2026, 11, 23, 1, 0, tzinfo=dt.UTC)
    queued = dt.datetime(2026, 11, 24, 0, 27, tzinfo=dt.UTC)
    GoogleDriveIntegration.objects.filter(pk=integration.pk).update(connected_at=connected)
    make_run(integration, status=BackupRun.Status.SUCCEEDED, started_at=started)
    active = make_run(integration, status=BackupRun.Status.QUEUED)
    BackupRun.objects.filter(pk=active.pk).update(queued_at=queued)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = language

    html = client.get(PAGE_URL).content.decode()

    with translation.override(language):
        short = page_times(integration, connected, started, queued)
    for written in short:
        assert written in html
    # The month in words, 24 hours: never "11/02/2026 10:30 a.m.", which reads two ways.
    expected = {
        "en": "2 Nov 2026, 10:30",
        "pt-br": "2 nov. 2026, 10:30",
        "pl": "2 lis 2026, 10:30",
    }[language]
    assert expected in html
    assert not re.search(r"\b\d{1,2}/\d{1,2}/\d{4}\b", html)


def test_the_access_lost_date_is_in_the_same_short_format(client, integration):
    lost = dt.datetime(2026, 11, 20, 3, 15, tzinfo=dt.UTC)
    GoogleDriveIntegration.objects.filter(pk=integration.pk).update(
        status=GoogleDriveIntegration.Status.ACCESS_LOST, access_lost_at=lost
    )

    html = client.get(PAGE_URL).content.decode()

    assert f"was lost on {page_times(integration, lost)[0]}" in html


def run_row(html: str, run: BackupRun) -> str:
    return html.split(f'<tr id="run-{run.pk}">', 1)[1].split("</tr>", 1)[0]


def result_cell(html: str, run: BackupRun) -> str:
    return run_row(html, run).split("<td", 4)[3].split("</td>", 1)[0]


@pytest.mark.parametrize("status", [BackupRun.Status.PARTIAL, BackupRun.Status.FAILED])
def test_a_run_stopped_by_disconnect_says_so_not_failed(client, integration, settings, status):
    run = make_run(
        integration,
        status=status,
        finished_at=timezone.now(),
        errors=[run_errors.error_entry("disconnected")],
    )

    html = client.get(PAGE_URL).content.decode()
    cell = result_cell(html, run)
    assert '<span class="badge">Stopped</span>' in cell
    assert "Google Drive was disconnected" in cell
    assert "badge-error" not in cell and "badge-warn" not in cell
    assert "Failed" not in cell and "Finished with errors" not in cell
    # It is the merchant's own doing, not a problem to look into.
    assert "1 problem" not in html

    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "pt-br"
    html = client.get(PAGE_URL).content.decode()
    cell = result_cell(html, run)
    assert ">Interrompido</span>" in cell
    assert "O Google Drive foi desconectado" in cell


def test_a_stopped_run_still_lists_the_files_that_failed_before(client, integration):
    run = make_run(
        integration,
        status=BackupRun.Status.PARTIAL,
        finished_at=timezone.now(),
        errors=[
            run_errors.error_entry("disconnected"),
            run_errors.error_entry("render_failed", kind="invoice", number="FV 3/11/2026"),
        ],
    )

    html = client.get(PAGE_URL).content.decode()

    assert ">Stopped</span>" in result_cell(html, run)
    assert "1 problem" in html
    assert "FV 3/11/2026: The PDF of this document could not be created." in html


def test_a_running_run_shows_a_progress_bar_that_polls(client, integration):
    run = make_run(
        integration,
        status=BackupRun.Status.RUNNING,
        started_at=timezone.now(),
        progress_total=10,
        progress_done=5,
    )

    html = client.get(PAGE_URL).content.decode()

    assert f'data-progress-url="{progress_url(run)}"' in html
    assert 'value="50"' in html
    assert "fetch(" in html
    assert "<script src" not in html
    assert "disabled" in html.split('id="backup-now"')[1].split(">")[0]


def test_the_progress_box_and_the_row_give_the_same_start(client, integration):
    """A run that waited in the queue is "in progress since" it started, as its row says."""
    queued = dt.datetime(2026, 11, 24, 0, 20, tzinfo=dt.UTC)
    started = dt.datetime(2026, 11, 24, 0, 27, tzinfo=dt.UTC)
    run = make_run(integration, status=BackupRun.Status.RUNNING, started_at=started)
    BackupRun.objects.filter(pk=run.pk).update(queued_at=queued)

    html = client.get(PAGE_URL).content.decode()

    box = html.split('id="active-run"')[1].split("</div>")[0]
    started_text, queued_text = page_times(integration, started, queued)
    assert f"since {started_text}" in box
    assert queued_text not in html


def test_a_run_waiting_for_a_retry_says_when_it_goes_on(client, integration):
    retry_at = dt.datetime(2026, 11, 24, 1, 40, tzinfo=dt.UTC)
    run = make_run(
        integration,
        status=BackupRun.Status.QUEUED,
        started_at=retry_at - dt.timedelta(minutes=6),
        not_before=retry_at,
        errors=[run_errors.error_entry("google_unavailable", detail="HTTP 503")],
    )

    payload = client.get(progress_url(run)).json()
    html = client.get(PAGE_URL).content.decode()

    local = retry_at.astimezone(ZoneInfo(integration.merchant.time_zone))
    expected = f"the backup goes on at {formats.time_format(local, 'TIME_FORMAT')}"
    assert expected == "the backup goes on at 02:40"
    assert expected in payload["text"]
    assert expected in html
    # One story: waiting for its retry, not "queued" nor "in progress" nor "next backup".
    assert payload["status_label"] == "Waiting to retry"
    row = run_row(html, run)
    assert "Waiting to retry" in row and "badge-warn" in row
    assert expected in row, "the trouble so far is what the retry mends"
    assert "next backup" not in row
    box = html.split('id="active-run"')[1].split("</div>")[0]
    assert "Backup paused until its retry" in box and "Backup in progress" not in box
    assert 'value="0"' in box, "the bar stands still, not full nor moving"


def live_cells(html: str, run: BackupRun) -> dict[str, str]:
    """The cells of a run's row that the page's polling keeps up to date, by payload key."""
    cells = {}
    for part in run_row(html, run).split('data-live="')[1:]:
        key, rest = part.split('"', 1)
        cells[key] = rest.split(">", 1)[1].split("<", 1)[0]
    return cells


def test_a_running_row_shows_the_progress_so_far_and_follows_it(client, integration):
    run = make_run(
        integration,
        status=BackupRun.Status.RUNNING,
        started_at=timezone.now(),
        progress_total=24,
        progress_done=5,
        invoices_uploaded=3,
        receipts_uploaded=2,
        files_uploaded=5,
        bytes_uploaded=2_500_000,
    )

    html = client.get(PAGE_URL).content.decode()

    assert "5 of 24 files backed up" in html
    cells = live_cells(html, run)
    assert cells == {
        "status_label": "Running",
        "orders_exported": "0",
        "invoices_uploaded": "3",
        "receipts_uploaded": "2",
        "bytes_label": cells["bytes_label"],
    }
    body = client.get(progress_url(run)).json()
    assert body["bytes_label"] == cells["bytes_label"] != ""
    assert "row.querySelectorAll" in html


def test_a_finished_row_is_not_updated_by_the_page(client, integration):
    run = make_run(integration, status=BackupRun.Status.SUCCEEDED, finished_at=timezone.now())

    assert live_cells(client.get(PAGE_URL).content.decode(), run) == {}


def backup_now_hint(html: str) -> str:
    button = html.split('id="backup-now"', 1)[1].split(">", 1)[0]
    assert "disabled" in button and 'aria-describedby="backup-now-why"' in button
    return html.split('id="backup-now-why">', 1)[1].split("<", 1)[0]


def test_right_after_back_up_now_the_page_does_not_read_as_a_refusal(
    client, queued, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(BACKUP_NOW_URL, follow=True)

    html = response.content.decode()
    assert "The backup has started" in html
    assert "A backup is already in progress" not in html
    assert backup_now_hint(html) == "Backing up now…"


def test_a_nightly_backup_in_progress_disables_the_button_without_a_refusal(client, integration):
    make_run(integration, trigger=BackupRun.Trigger.SCHEDULED, status=BackupRun.Status.RUNNING)

    html = client.get(PAGE_URL).content.decode()

    assert backup_now_hint(html) == "Backing up now…"
    assert "A backup is already in progress" not in html


def test_the_button_explains_why_it_is_disabled(queued):
    integration = make_integration(backup_orders=False, backup_invoices=False,
                                   backup_receipts=False)  # fmt: skip

    html = client_of(integration).get(PAGE_URL).content.decode()

    assert "disabled" in html.split('id="backup-now"')[1].split(">")[0]
    assert "Tick at least one kind of document" in html
    assert "No backups yet" in html


def test_the_button_is_enabled_when_a_backup_can_start(client):
    html = client.get(PAGE_URL).content.decode()

    assert "disabled" not in html.split('id="backup-now"')[1].split(">")[0]
    assert "fetch(" not in html


def test_the_page_shows_only_the_merchants_own_runs(client, integration):
    stranger = make_integration("Sklep Zielony")
    mine = make_run(integration, status=BackupRun.Status.SUCCEEDED)
    theirs = make_run(stranger, status=BackupRun.Status.SUCCEEDED)

    html = client.get(PAGE_URL).content.decode()

    assert f'id="run-{mine.pk}"' in html
    assert f'id="run-{theirs.pk}"' not in html


def started_by_cell(html: str, run: BackupRun) -> str:
    return run_row(html, run).split("<td", 2)[2].split("</td>", 1)[0]


def test_history_says_who_started_each_run(client, integration, settings):
    done = {"status": BackupRun.Status.SUCCEEDED, "finished_at": timezone.now()}
    nightly = make_run(integration, trigger=BackupRun.Trigger.SCHEDULED, **done)
    manual = make_run(integration, trigger=BackupRun.Trigger.MANUAL, **done)

    html = client.get(PAGE_URL).content.decode()
    assert started_by_cell(html, nightly) == ' data-label="Started by">Nightly'
    assert started_by_cell(html, manual) == ' data-label="Started by">Manual'

    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "pt-br"
    html = client.get(PAGE_URL).content.decode()
    assert started_by_cell(html, nightly) == ' data-label="Iniciado por">Noturno'
    assert started_by_cell(html, manual) == ' data-label="Iniciado por">Manual'
