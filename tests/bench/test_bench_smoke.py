"""`python -m bench` end to end at toy sizes: the harness runs and reports every figure.

Timings are the benchmark's business, never a test's: nothing here looks at a number's value.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.isolation import session_slot

pytestmark = pytest.mark.slow

BASE_DIR = Path(__file__).resolve().parents[2]


def run_bench(tmp_path: Path) -> tuple[subprocess.CompletedProcess, dict]:
    out = tmp_path / "bench.json"
    env = {
        **os.environ,
        # Its own database and Redis db: neither a `make bench` nor another test session
        # running meanwhile is disturbed.
        "BENCH_DATABASE_NAME": session_slot().bench_database_name,
        "BENCH_REDIS_URL": session_slot().bench_redis_url,
    }
    env.pop("DATABASE_URL", None)
    command = [
        sys.executable,
        "-m",
        "bench",
        "--quick",
        "--merchants",
        "2",
        "--workers",
        "1",
        "--concurrency",
        "2",
        "--csv-orders",
        "200,2000",
        "--pdf-docs",
        "3",
        "--pdf-large-items",
        "10,40",
        "--json-out",
        str(out),
    ]
    done = subprocess.run(
        command, cwd=BASE_DIR, env=env, capture_output=True, text=True, timeout=600, check=False
    )
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    return done, json.loads(out.read_text())


def test_bench_prints_the_table_and_writes_the_same_figures_as_json(tmp_path):
    done, payload = run_bench(tmp_path)

    figures = payload["figures"]
    assert set(figures) == {"pdf", "pdf_large", "csv", "night", "projection", "next_night"}
    assert {figures["pdf"][r]["documents"] for r in ("naive", "unbatched", "fast")} == {3}
    assert figures["pdf"]["bytes_ratio_vs_naive"] == 1.0
    assert set(figures["pdf_large"]["sizes"]) == {"10", "40"}
    assert figures["pdf_large"]["two_page"]["pages"] == 2
    assert figures["pdf_large"]["page_cost_ratio"] > 0
    assert set(figures["csv"]) == {"200", "2000"}
    assert figures["csv"]["2000"]["rows"] == 2000
    night = figures["night"]
    assert night["all_finished"] and night["runs_by_status"] == {"succeeded": 2}
    assert night["files_uploaded"] > 0 and night["requests"]["writes"] > 0
    assert night["lower_bound"]["bound_s"] > 0
    next_night = figures["next_night"]
    assert next_night["runs_by_status"] == {"succeeded": 2}
    # Two invoices, a receipt and the orders CSV per merchant, all new since the first night.
    assert next_night["files_uploaded"] == 2 * 4
    assert next_night["requests"]["files_uploaded"] == 2 * 4
    assert payload["machine"]["cores"] and payload["machine"]["commit"]
    for row in payload["table"]:
        assert row["figure"] in done.stdout and row["measured"] in done.stdout
    assert {row["number"] for row in payload["table"]} == {"1", "1b", "2", "3", "4"}
