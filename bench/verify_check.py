"""``python -m bench.verify_check``: what "Check my backup" costs for a large backup.

Seeds N files of ours (default 10,000) with their ledger rows into a fake_google subprocess
(20 ms per request, as the night's bench) and its own SQLite database, runs one check, and
reports its Drive requests (one listing per 1000 files plus the token) and its time. Writes
the figures as JSON to bench/results/verify-<timestamp>.json (``--json-out`` to choose).
Runs alone: nothing else of the bench is needed.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import math
import sys
import time
from pathlib import Path
from typing import Any

import requests

from bench import harness

EMAIL = "verify.bench@example.com"
# Its own database (a SQLite file under var/bench), beside the night bench's.
DB_NAME = f"{harness.BENCH_DB_NAME}_verify"
FOLDERS = ("2026", "2026/11", "2026/11/Invoices")


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench.verify_check", description=__doc__)
    parser.add_argument("--files", type=int, default=10_000)
    parser.add_argument("--json-out", type=Path, default=None)
    return parser.parse_args(argv)


@harness.one_at_a_time(harness.REDIS_URL, DB_NAME)
def main(argv: list[str] | None = None) -> dict[str, Any]:
    args = parse_args(argv)
    fake, fake_url = harness.start_fake_google(write_limit=False, log_name="fake_google_verify")
    try:
        harness.prepare_environment(harness.recreate_sqlite_database(DB_NAME), fake_url)
        import django

        django.setup()
        from bench import dataset

        dataset.migrate()
        integration = harness.timed_step("connect", lambda: _connect(dataset))
        harness.timed_step(
            f"seed {args.files:,} files", lambda: _seed(fake_url, integration, args.files)
        )
        figures = harness.timed_step("check", lambda: _check(integration, args.files))
    finally:
        fake.stop()
    payload = {"bench": "verify_check", "figures": figures, "machine": harness.machine_info()}
    out = args.json_out or harness.DEFAULT_RESULTS_DIR / (
        f"verify-{dt.datetime.now():%Y%m%d-%H%M%S}.json"
    )
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(payload, indent=2) + "\n")
    print(json.dumps(figures, indent=2))
    print(f"written to {out}")
    return payload


def _connect(dataset):
    from accounts.models import Merchant
    from fake_google import FakeGoogle

    merchant = Merchant.objects.create(name="Verify bench")
    return dataset.connect(merchant, EMAIL, FakeGoogle())


def _seed(fake_url: str, integration, count: int) -> None:
    """Our tree and `count` invoices in it, made through the fake's control API, and their
    done ledger rows."""
    from django.conf import settings

    from integrations.engine.folders import display_path, folder_app_properties
    from integrations.engine.plan import md5_hex
    from integrations.models import BackedUpFile

    session = requests.Session()

    def seed(name: str, parent: str | None, **fields) -> str:
        body = {"name": name, "created_by_client": harness.FAKE_CLIENT_ID, **fields}
        if parent:
            body["parent"] = parent
        answer = session.post(f"{fake_url}/_fake/users/{EMAIL}/files", json=body, timeout=30)
        answer.raise_for_status()
        return answer.json()["id"]

    root = folder_app_properties(integration.pk, ())
    parent = seed(settings.BACKUP_ROOT_FOLDER_NAME, None, appProperties=root)
    for path in FOLDERS:
        props = folder_app_properties(integration.pk, tuple(path.split("/")))
        parent = seed(path.rsplit("/", 1)[-1], parent, appProperties=props)
    folder = display_path(tuple(FOLDERS[-1].split("/")))
    rows = []
    for n in range(count):
        content = f"%PDF-1.7 invoice {n}"
        name = f"FV {n}_11_2026.pdf"
        drive_id = seed(
            name,
            parent,
            mimeType="application/pdf",
            content=content,
            appProperties={"app": "drivebackup", "kind": "invoice"},
        )
        rows.append(
            BackedUpFile(
                integration=integration,
                google_account_id=integration.google_account_key,
                kind=BackedUpFile.Kind.INVOICE,
                fingerprint=f"{n:064d}",
                name=name,
                folder_path=folder,
                drive_file_id=drive_id,
                md5=md5_hex(content.encode()),
                state=BackedUpFile.State.DONE,
            )
        )
    BackedUpFile.objects.bulk_create(rows, batch_size=1000)


def _check(integration, files: int) -> dict[str, Any]:
    from integrations import verify
    from integrations.models import VerifyReport

    report = verify.request_check(integration.pk, VerifyReport.Trigger.COMMAND)
    started = time.perf_counter()
    report = verify.execute_check(report.pk)
    seconds = time.perf_counter() - started
    listed = files + 1 + len(FOLDERS)
    return {
        "files": files,
        "status": report.status,
        "counts": report.counts(),
        "drive_requests": report.drive_calls,
        "listing_requests_expected": math.ceil(listed / 1000),
        "drive_requests_per_1000_files": round(report.drive_calls / files * 1000, 3),
        "seconds": round(seconds, 2),
        "files_per_second": round(files / seconds),
        "fake_latency_ms": harness.FAKE_LATENCY_MS,
    }


if __name__ == "__main__":
    main(sys.argv[1:])
