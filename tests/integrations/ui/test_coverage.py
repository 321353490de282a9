"""What of the merchant's documents is in Drive, why the rest is not, and the start date (S9)."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.test import Client

from documents.models import Invoice
from integrations import coverage, page
from integrations.forms import BACKFILL_MONTHS, BackupStartForm
from integrations.models import BackedUpFile, BackupRun, GoogleDriveIntegration
from tests.factories import make_integration
from tests.integrations.ui.documents import copy_in_drive, invoice, receipt

pytestmark = pytest.mark.django_db

# 10:00 in Warsaw on 6 December 2026.
NOW = dt.datetime(2026, 12, 6, 9, 0, tzinfo=dt.UTC)
PAGE_URL = "/integrations/google-drive/"
START_URL = "/integrations/google-drive/start/"


@pytest.fixture
def integration() -> GoogleDriveIntegration:
    return make_integration(documents_since=dt.date(2026, 12, 1))


@pytest.fixture
def documents(integration):
    """December: 3 invoices (2 in Drive, 1 failed) and 2 receipts (1 in Drive); November: 2
    invoices before the start; an external invoice; and one invoice of 2024."""
    merchant = integration.merchant
    dec = [invoice(merchant, f"FV {n}/12/2026", dt.date(2026, 12, n)) for n in (1, 2, 3)]
    copy_in_drive(integration, dec[0])
    copy_in_drive(integration, dec[1])
    copy_in_drive(integration, dec[2], BackedUpFile.State.FAILED)
    dec_receipts = [receipt(merchant, f"PAR {n}/12/2026", dt.date(2026, 12, n)) for n in (4, 5)]
    copy_in_drive(integration, dec_receipts[0])
    for n in (10, 20):
        invoice(merchant, f"FV {n}/11/2026", dt.date(2026, 11, n))
    invoice(merchant, "EXT 1", dt.date(2026, 12, 2), source=Invoice.Source.EXTERNAL)
    invoice(merchant, "FV 1/3/2024", dt.date(2024, 3, 1))


def test_each_month_counts_copies_and_the_reasons_for_the_rest(integration, documents):
    report = coverage.coverage_for(integration, NOW)

    assert [m.month for m in report.months][:2] == [dt.date(2026, 12, 1), dt.date(2026, 11, 1)]
    assert len(report.months) == 12
    december, november = report.months[0], report.months[1]
    assert (december.invoices.documents, december.invoices.in_drive) == (3, 2)
    assert (december.invoices.failed, december.invoices.waiting) == (1, 0)
    assert december.invoices.external == 1, "counted apart, never among those to back up"
    assert (december.receipts.documents, december.receipts.waiting) == (2, 1)
    assert (november.invoices.documents, november.invoices.before_start) == (2, 2)
    assert report.earlier.invoices.documents == 1
    assert (report.total.invoices.documents, report.total.invoices.in_drive) == (6, 2)
    assert report.start == dt.date(2026, 12, 1) and not report.start_is_default


def test_the_reasons_read_in_words(integration, documents):
    report = coverage.coverage_for(integration, NOW)
    december, november = report.months[0], report.months[1]

    assert page.missing_reasons(december, "tonight at 02:14") == [
        "1 invoice from your external accounting system: not kept by the platform, so never "
        "backed up",
        "1 invoice failed to upload; tried again in the next backup",
        "1 receipt waiting for the next backup, tonight at 02:14",
    ]
    assert page.missing_reasons(november, "") == ["2 invoices issued before the start date"]
    assert page.copies_text(december.invoices) == "2 of 3"


def test_a_kind_not_ticked_says_so(integration, documents):
    integration.backup_receipts = False
    report = coverage.coverage_for(integration, NOW)
    assert page.missing_reasons(report.months[0], "")[1:] == [
        "1 receipt: not ticked under “What to back up”",
        "1 invoice failed to upload; tried again in the next backup",
    ]


def test_a_copy_in_another_google_account_s_drive_does_not_count(integration, documents):
    integration.google_account_id = "perm-another-account"
    report = coverage.coverage_for(integration, NOW)
    assert report.total.invoices.in_drive == 0


def test_coverage_costs_the_same_few_queries_for_many_documents(
    integration, documents, django_assert_max_num_queries
):
    merchant = integration.merchant
    for n in range(40):
        invoice(merchant, f"FV X{n}", dt.date(2025, 1 + n % 12, 1 + n % 27))
    with django_assert_max_num_queries(4):
        coverage.coverage_for(integration, NOW)


def test_the_last_orders_csv_is_named_with_its_time_and_rows(integration):
    run = BackupRun.objects.create(
        integration=integration, trigger="scheduled", status="succeeded", orders_exported=120
    )
    BackedUpFile.objects.create(
        integration=integration,
        google_account_id=integration.google_account_id,
        run=run,
        kind=BackedUpFile.Kind.ORDERS,
        fingerprint="f",
        name="orders_2026-12-06_02-14-00.csv",
        folder_path="x",
        drive_file_id="d",
        state=BackedUpFile.State.DONE,
        completed_at=dt.datetime(2026, 12, 6, 1, 14, tzinfo=dt.UTC),
    )
    export = coverage.last_orders_export(integration)
    assert (export.orders, export.name) == (120, "orders_2026-12-06_02-14-00.csv")


# --- The start date -----------------------------------------------------------------------


def test_before_the_first_run_the_start_is_s9_s_default_in_the_backup_s_zone():
    integration = make_integration(time_zone="Pacific/Auckland")
    # 14:48 UTC on 30 November is 03:48 on 1 December in Auckland.
    start, is_default = coverage.backup_start(
        integration, dt.datetime(2026, 11, 30, 14, 48, tzinfo=dt.UTC)
    )
    assert (start, is_default) == (dt.date(2026, 12, 1), True)


def test_the_start_can_move_to_the_first_of_any_month_five_years_back(integration):
    form = BackupStartForm(integration=integration, now=NOW)
    values = [value for value, _label in form.fields["documents_since"].choices]
    assert values[0] == "2026-12-01" and values[-1] == "2021-12-01"
    assert len(values) == BACKFILL_MONTHS + 1
    assert dict(form.fields["documents_since"].choices)["2025-10-01"] == "1 October 2025"

    too_old = BackupStartForm({"documents_since": "2021-11-01"}, integration=integration, now=NOW)
    assert not too_old.is_valid()
    mid_month = BackupStartForm({"documents_since": "2025-10-15"}, integration=integration, now=NOW)
    assert not mid_month.is_valid()

    form = BackupStartForm({"documents_since": "2025-10-01"}, integration=integration, now=NOW)
    assert form.is_valid() and form.save()
    integration.refresh_from_db()
    assert integration.documents_since == dt.date(2025, 10, 1)


def test_saving_s9_s_default_unchanged_stores_nothing():
    integration = make_integration()
    form = BackupStartForm({"documents_since": "2026-12-01"}, integration=integration, now=NOW)
    assert form.is_valid() and not form.save()
    integration.refresh_from_db()
    assert integration.documents_since is None, "the first run still picks its own month"


@time_machine.travel(NOW, tick=False)
def test_moving_the_start_back_on_the_page_turns_before_start_into_waiting(integration, documents):
    client = Client()
    client.force_login(integration.merchant.users.get())
    html = client.get(PAGE_URL).content.decode()
    assert 'issued since <time datetime="2026-12-01">1 December 2026</time>' in html
    assert "2 invoices issued before the start date" in html

    response = client.post(START_URL, {"documents_since": "2026-11-01"}, follow=True)

    html = response.content.decode()
    assert "Invoices and receipts issued since 1 November 2026 are backed up now" in html
    assert "2 invoices issued before the start date" not in html
    assert "2 invoices waiting for the next backup" in html


@time_machine.travel(NOW, tick=False)
def test_a_bad_start_date_is_refused_with_a_message_and_nothing_changes(integration):
    client = Client()
    client.force_login(integration.merchant.users.get())

    response = client.post(START_URL, {"documents_since": "1999-01-01"})

    assert response.status_code == 200
    assert "The start date was not saved" in response.content.decode()
    integration.refresh_from_db()
    assert integration.documents_since == dt.date(2026, 12, 1)


def test_the_table_starts_at_the_oldest_month_with_documents(integration, documents):
    report = coverage.coverage_for(integration, NOW)
    # A document of 2024 makes "Earlier" non-empty: all twelve months stay.
    assert len(page.shown_months(report)) == 12

    Invoice.objects.filter(issue_date__year=2024).delete()
    report = coverage.coverage_for(integration, NOW)
    assert [m.month for m in page.shown_months(report)] == [
        dt.date(2026, 12, 1),
        dt.date(2026, 11, 1),
    ]
    rows = page.coverage_rows(report, "")
    assert [r.label for r in rows] == ["December 2026", "November 2026", "Total"]
