"""What the engine's counters must say after a backup run against fake_google.

What the wiring has to count: one finished run with its outcome and trigger, each confirmed file
and its bytes by kind, every Drive request the fake answered (by status), and one backoff per
retry.
"""

from __future__ import annotations

from prometheus_client import REGISTRY

from integrations.models import BackedUpFile
from tests.integrations.engine.helpers import NOV, drive_requests, invoice, receipt, run_backup

SERIES = {
    "runs": ("drivebackup_runs_finished_total", {"outcome": "succeeded", "trigger": "manual"}),
    "invoices": ("drivebackup_uploaded_files_total", {"kind": "invoice"}),
    "receipts": ("drivebackup_uploaded_files_total", {"kind": "receipt"}),
    "invoice_bytes": ("drivebackup_uploaded_bytes_total", {"kind": "invoice"}),
    "receipt_bytes": ("drivebackup_uploaded_bytes_total", {"kind": "receipt"}),
    "backoffs": ("drivebackup_drive_backoff_seconds_count", {}),
}


def snapshot() -> dict[str, float]:
    values = {
        key: REGISTRY.get_sample_value(name, labels) or 0.0
        for key, (name, labels) in SERIES.items()
    }
    requests = {}
    for family in REGISTRY.collect():
        if family.name == "drivebackup_drive_requests":
            for sample in family.samples:
                if sample.name.endswith("_total"):
                    status = sample.labels["status"]
                    requests[status] = requests.get(status, 0.0) + sample.value
    values["requests"] = sum(requests.values())
    values["requests_503"] = requests.get("503", 0.0)
    return values


def test_the_engine_counts_a_run_as_it_happened(engine, documents_only, merchant):
    invoice(merchant, "FV 1/11/2026", NOV)
    invoice(merchant, "FV 2/11/2026", NOV)
    receipt(merchant, "PAR 1/11/2026", NOV)
    engine.inject_fault("503", count=1, endpoint="upload.create")
    before = snapshot()
    # Connecting asked Drive who the account is: count from here.
    answered_before = drive_requests(engine)

    run, outcome = run_backup(documents_only)

    after = snapshot()
    delta = {key: after[key] - before[key] for key in before}
    assert outcome.succeeded
    assert run.drive_calls == drive_requests(engine) - answered_before
    done = BackedUpFile.objects.filter(run=run, state=BackedUpFile.State.DONE)
    sizes = {
        kind: sum(done.filter(kind=kind).values_list("size", flat=True))
        for kind in ("invoice", "receipt")
    }
    assert delta == {
        "runs": 1,
        "invoices": 2,
        "receipts": 1,
        "invoice_bytes": sizes["invoice"],
        "receipt_bytes": sizes["receipt"],
        "backoffs": 1,
        "requests": drive_requests(engine) - answered_before,
        "requests_503": 1,
    }
