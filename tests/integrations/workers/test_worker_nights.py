"""Nights of backups end to end: dispatcher → Redis → a real `celery worker` → fake Google.

The worker is a separate process (threads pool, as in production) reaching fake_google over
HTTP and the test database through DATABASE_URL; the test process plays Celery beat by
calling the dispatcher with the night's time.
"""

from __future__ import annotations

import pytest

from integrations import dispatcher
from integrations.models import BackedUpFile, BackupRun
from tests.integrations.workers import scenario
from tests.integrations.workers.scenario import (
    assert_pdf_shows,
    content_of,
    copies_per_document,
    csv_rows,
    file_paths,
    folder_paths,
    make_shop,
    month_folder,
    runs_finished,
    tonight,
)
from tests.integrations.workers.worker import wait_for

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]

RUN_TIMEOUT = 90


def three_shops(fake):
    """Three merchants, three Google accounts, three different choices of what to keep."""
    everything = make_shop(fake, "Loja Azul", "azul@example.com")
    invoices_only = make_shop(
        fake, "Sklep Zielony", "zielony@example.com", backup_orders=False, backup_receipts=False
    )
    no_invoices = make_shop(fake, "Casa Rosa", "rosa@example.com", backup_invoices=False)
    for shop in (everything, invoices_only, no_invoices):
        for _ in range(4):
            shop.add_invoice()
            shop.add_receipt()
        for days_ago in (0.1, 3, 12, 29.5):
            shop.add_order(status_changed_days_ago=days_ago)
        # Outside the first run (S9), the 30-day window (S7) or backups at all (S11).
        shop.add_invoice(
            issue_date=scenario.local_today().replace(day=1) - scenario.dt.timedelta(1)
        )
        shop.add_order(status_changed_days_ago=31)
        shop.add_invoice(source="external")
    return everything, invoices_only, no_invoices


def run_night(days_later: int, expected_runs: int) -> list[BackupRun]:
    report = dispatcher.dispatch(tonight(days_later))
    wait_for(runs_finished(expected_runs), timeout=RUN_TIMEOUT, what="the night's runs")
    return list(BackupRun.objects.filter(pk__in=report.created))


def orders_csvs(fake, shop) -> list[dict]:
    return [
        f
        for f in scenario.our_files(fake, shop.google_email)
        if not f["folder"] and f["name"].endswith(".csv")
    ]


def test_a_night_for_three_merchants_fills_each_drive_exactly(google_settings, start_worker):
    fake = google_settings
    shops = three_shops(fake)
    start_worker()

    runs = run_night(0, expected_runs=3)

    assert sorted(r.status for r in runs) == ["succeeded"] * 3, [r.errors for r in runs]
    for shop in shops:
        shop.refresh()
        expected_docs = shop.expected_documents()
        files = file_paths(fake, shop.google_email)
        csvs = orders_csvs(fake, shop)
        expected_csv = [f"{month_folder(scenario.local_today())}/Orders/{f['name']}" for f in csvs]
        assert sorted(files) == sorted([*expected_docs, *expected_csv]), shop.merchant.name
        assert len(csvs) == (1 if shop.integration.backup_orders else 0)

        expected_folders = {root for path in files for root in ancestors(path)}
        assert folder_paths(fake, shop.google_email) == sorted(expected_folders)

        by_path = {f["path"]: f for f in scenario.our_files(fake, shop.google_email)}
        for path, doc in expected_docs.items():
            assert_pdf_shows(content_of(fake, by_path[path]["id"]), doc)
        for csv_file in csvs:
            rows = csv_rows(content_of(fake, csv_file["id"]))
            assert len(rows) == len(shop.orders_in_window()) == 4
            assert {row["external_id"] for row in rows} == shop.orders_in_window()
            assert csv_file["name"].startswith("orders_")


def test_the_second_night_uploads_only_what_is_new(google_settings, start_worker):
    fake = google_settings
    shops = three_shops(fake)
    start_worker()
    run_night(0, expected_runs=3)
    before = {s.google_email: set(file_paths(fake, s.google_email)) for s in shops}
    folders_before = {s.google_email: folder_paths(fake, s.google_email) for s in shops}
    everything, invoices_only, no_invoices = shops
    new_invoice = everything.add_invoice()
    new_receipt = no_invoices.add_receipt()
    everything.add_order(status_changed_days_ago=0.01)

    second = run_night(1, expected_runs=6)

    assert sorted(r.status for r in second) == ["succeeded"] * 3
    # The tree and the reserved ids of the first night serve: one request per uploaded file.
    assert [r.drive_calls for r in second] == [r.files_uploaded for r in second]
    new = {s.google_email: set(file_paths(fake, s.google_email)) - before[s.google_email]
           for s in shops}  # fmt: skip
    new_csvs = {e: sorted(p for p in paths if p.endswith(".csv")) for e, paths in new.items()}
    assert new[everything.google_email] - set(new_csvs[everything.google_email]) == {
        scenario.document_path(new_invoice, "Invoices")
    }
    assert new[invoices_only.google_email] == set()
    assert new[no_invoices.google_email] - set(new_csvs[no_invoices.google_email]) == {
        scenario.document_path(new_receipt, "Receipts")
    }
    assert len(new_csvs[everything.google_email]) == 1
    assert len(new_csvs[no_invoices.google_email]) == 1
    for shop in shops:
        assert folder_paths(fake, shop.google_email) == folders_before[shop.google_email]
        assert all(n == 1 for n in copies_per_document(fake, shop.google_email).values())
    assert not BackedUpFile.objects.exclude(state=BackedUpFile.State.DONE).exists()


def ancestors(path: str) -> list[str]:
    parts = path.strip("/").split("/")[:-1]
    return ["/" + "/".join(parts[: i + 1]) for i in range(len(parts))]
