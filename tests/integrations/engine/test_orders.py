"""S7: one orders CSV per run, in the Orders folder of the run's month in the merchant's zone."""

from __future__ import annotations

import csv
import datetime as dt
import io

import pytest

from integrations.engine.ledger import Ledger
from integrations.engine.run import execute_run
from integrations.models import BackedUpFile, BackupRun
from tests.factories import make_order, make_run
from tests.integrations.conftest import NIGHT

from .helpers import ROOT, content_of, counter, drive_files, md5


def csv_rows(content: bytes) -> list[list[str]]:
    assert content.startswith(b"\xef\xbb\xbf")
    return list(csv.reader(io.StringIO(content.decode("utf-8-sig"), newline="")))


def orders_files(fake) -> list[dict]:
    return [f for f in drive_files(fake) if f["name"].startswith("orders_")]


def test_orders_csv_holds_the_orders_whose_status_changed_in_the_last_30_days(
    engine, integration, merchant
):
    integration.backup_invoices = integration.backup_receipts = False
    integration.save()
    inside = [
        make_order(merchant, status_changed_at=NIGHT - dt.timedelta(days=d, hours=1))
        for d in (0, 3, 29)
    ]
    make_order(merchant, status_changed_at=NIGHT - dt.timedelta(days=30, minutes=1))
    make_order(merchant, status_changed_at=NIGHT + dt.timedelta(minutes=5))

    run = make_run(integration)
    outcome = execute_run(run.pk, now=NIGHT)
    run.refresh_from_db()

    assert outcome.succeeded
    (stored,) = orders_files(engine)
    assert stored["path"] == f"{ROOT}/2026/11/Orders/orders_2026-11-23_02-00-13.csv"
    assert stored["mimeType"] == "text/csv"
    content = content_of(engine, stored["id"])
    assert stored["md5Checksum"] == md5(content)
    rows = csv_rows(content)
    assert len(rows) - 1 == len(inside) == run.orders_exported
    assert stored["appProperties"]["kind"] == "orders"
    assert stored["appProperties"]["run"] == str(run.pk)
    row = BackedUpFile.objects.get(kind="orders")
    assert (row.state, row.run_id, row.md5) == ("done", run.pk, md5(content))


def test_month_and_name_follow_the_merchant_time_zone(engine, integration, merchant):
    integration.backup_invoices = integration.backup_receipts = False
    integration.time_zone = "America/Sao_Paulo"
    integration.save()
    # 02:30 UTC on 1 December is still 30 November, 23:30, in São Paulo.
    moment = dt.datetime(2026, 12, 1, 2, 30, tzinfo=dt.UTC)

    run = make_run(integration)
    execute_run(run.pk, now=moment)

    (stored,) = orders_files(engine)
    assert stored["path"] == f"{ROOT}/2026/11/Orders/orders_2026-11-30_23-30-00.csv"


def test_each_run_writes_a_new_csv_and_a_retried_run_does_not(
    engine, integration, merchant, monkeypatch
):
    integration.backup_invoices = integration.backup_receipts = False
    integration.save()
    make_order(merchant, status_changed_at=NIGHT - dt.timedelta(days=1))
    first = make_run(integration)
    execute_run(first.pk, now=NIGHT)

    second = make_run(integration)
    original = Ledger.complete

    def crash(self, row):
        raise SystemError("worker killed")

    monkeypatch.setattr(Ledger, "complete", crash)
    with pytest.raises(SystemError):
        execute_run(second.pk, now=NIGHT + dt.timedelta(days=1))
    monkeypatch.setattr(Ledger, "complete", original)
    outcome = execute_run(second.pk, now=NIGHT + dt.timedelta(days=1, minutes=5))

    assert outcome.status == BackupRun.Status.SUCCEEDED
    names = sorted(f["name"] for f in orders_files(engine))
    assert names == ["orders_2026-11-23_02-00-13.csv", "orders_2026-11-24_02-00-13.csv"]
    assert counter(engine, "upload.create") == 2
