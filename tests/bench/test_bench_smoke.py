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
        "--scale-merchants",
        # Three waves of two runs: the kill at half the runs lands with work left.
        "6",
        "--json-out",
        str(out),
    ]
    done = subprocess.run(
        command, cwd=BASE_DIR, env=env, capture_output=True, text=True, timeout=600, check=False
    )
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    return done, json.loads(out.read_text())


@pytest.fixture(scope="module")
def bench_run(tmp_path_factory) -> tuple[subprocess.CompletedProcess, dict]:
    """One toy-sized bench for every test of this module: it takes minutes."""
    return run_bench(tmp_path_factory.mktemp("bench"))


def test_bench_prints_the_table_and_writes_the_same_figures_as_json(bench_run):
    done, payload = bench_run

    figures = payload["figures"]
    assert set(figures) == {
        "pdf",
        "pdf_large",
        "csv",
        "night",
        "projection",
        "next_night",
        "scale",
    }
    renderers = ("first", "naive", "unbatched", "fast")
    assert {figures["pdf"][r]["documents"] for r in renderers} == {3}
    assert figures["pdf"]["bytes_ratio_vs_naive"] == 1.0
    assert figures["pdf"]["bytes_ratio_vs_first"] > 0
    assert figures["pdf"]["speedup_cpu_same_templates"] > 0
    assert set(figures["pdf_large"]["sizes"]) == {"10", "40"}
    assert figures["pdf_large"]["two_page"]["pages"] == 2
    assert figures["pdf_large"]["page_cost_ratio"] > 0
    assert set(figures["csv"]) == {"200", "2000"}
    assert figures["csv"]["2000"]["rows"] == 2000
    night = figures["night"]
    assert night["all_finished"] and night["runs_by_status"] == {"succeeded": 2}
    assert night["files_uploaded"] > 0 and night["requests"]["writes"] > 0
    assert night["lower_bound"]["bound_s"] > 0
    assert len(night["celery_workers_answering"]) == 1  # --workers 1
    next_night = figures["next_night"]
    assert next_night["runs_by_status"] == {"succeeded": 2}
    # Two invoices, a receipt and the orders CSV per merchant, all new since the first night.
    assert next_night["files_uploaded"] == 2 * 4
    assert next_night["requests"]["files_uploaded"] == 2 * 4
    assert payload["machine"]["cores"] and payload["machine"]["commit"]
    for row in payload["table"]:
        assert row["figure"] in done.stdout and row["measured"] in done.stdout
    assert {row["number"] for row in payload["table"]} == {"1", "1b", "2", "3", "4", "5"}


def test_the_scale_night_survives_a_killed_worker_with_every_document_once(bench_run):
    _done, payload = bench_run

    scale = payload["figures"]["scale"]
    assert scale["merchants"] == 6 and set(scale["sizes"]) == {"6"}
    assert scale["all_finished"] and scale["runs_by_status"] == {"succeeded": 6}
    # The worker was killed with work left, and started again.
    assert scale["kill"]["signal"] == "SIGKILL"
    assert 3 <= scale["kill"]["after_runs_finished"] < 6
    assert len(scale["worker_peak_rss_mib_by_process"]) == 2
    # Only the scale night's own worker took its runs: the nights' worker was stopped before
    # (left running on the same broker, it took runs whose CPU nobody counted).
    assert len(scale["celery_workers_answering"]) == 1  # --workers 1
    # A day's documents each (2 invoices, 1 receipt) and the orders CSV, each in Drive once.
    assert scale["documents"] == scale["documents_in_drive"] == 6 * 3
    assert scale["orders_csvs"] == 6
    assert (scale["lost"], scale["duplicates"]) == (0, 0)
    assert scale["files_uploaded"] == 6 * 4
    for key in ("wall_over_bound", "worker_peak_rss_mib"):
        assert scale[key] > 0
    assert scale["dedicated_machine_estimate"]["wall_over_bound"] > 0
    assert set(scale["per_merchant"]) >= {"worker_cpu_s", "drive_requests", "writes"}
    assert payload["figures"]["projection"]["basis"].startswith("scale")
