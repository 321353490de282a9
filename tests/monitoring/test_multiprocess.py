"""Worker processes' counters reach the web's /metrics and the workers' exporter.

Real processes sharing a PROMETHEUS_MULTIPROC_DIR, as scripts/run.sh and the Procfile run them.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
import requests

from .conftest import closed_port, samples

ROOT = Path(__file__).resolve().parents[2]
# Processes of their own, each starting Django: seconds, not milliseconds.
pytestmark = pytest.mark.slow

WORKER = """
import django
django.setup()
from integrations import metrics
metrics.record_upload("invoice", {size})
metrics.record_drive_request("files.create", 200)
"""
SCRAPE = """
import django, sys
django.setup()
from monitoring.exposition import metrics_payload
sys.stdout.write(metrics_payload(with_database=False).decode())
"""


@pytest.fixture
def multiproc_env(tmp_path) -> dict[str, str]:
    return {
        **os.environ,
        "PROMETHEUS_MULTIPROC_DIR": str(tmp_path),
        "DJANGO_SETTINGS_MODULE": "backupsite.settings",
        "METRICS_BEARER_TOKEN": "exporter-token",
    }


def python(code: str, env: dict[str, str]) -> str:
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, result.stderr
    return result.stdout


def run_two_workers(env: dict[str, str]) -> None:
    python(WORKER.format(size=1000), env)
    python(WORKER.format(size=234), env)


def test_the_web_process_adds_up_every_process(multiproc_env):
    run_two_workers(multiproc_env)

    found = samples(python(SCRAPE, multiproc_env))

    assert found[("drivebackup_uploaded_files_total", (("kind", "invoice"),))] == 2
    assert found[("drivebackup_uploaded_bytes_total", (("kind", "invoice"),))] == 1234
    key = ("drivebackup_drive_requests_total", (("method", "files.create"), ("status", "200")))
    assert found[key] == 2


def test_the_exporter_serves_the_workers_metrics_behind_the_token(multiproc_env):
    run_two_workers(multiproc_env)
    port = closed_port()
    exporter = subprocess.Popen(
        [sys.executable, "manage.py", "metrics_exporter", "--port", str(port)],
        cwd=ROOT,
        env=multiproc_env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    try:
        url = f"http://127.0.0.1:{port}/metrics"
        answer = None
        for _ in range(100):
            try:
                answer = requests.get(
                    url, headers={"Authorization": "Bearer exporter-token"}, timeout=5
                )
                break
            except requests.ConnectionError:
                time.sleep(0.1)
        assert answer is not None and answer.status_code == 200
        found = samples(answer.text)
        assert found[("drivebackup_uploaded_bytes_total", (("kind", "invoice"),))] == 1234
        # No database gauges: the web's /metrics has them.
        assert not any(name.startswith("drivebackup_night_runs") for name, _ in found)
        assert requests.get(url, timeout=5).status_code == 403
    finally:
        exporter.terminate()
        exporter.wait(timeout=10)


def test_the_exporter_needs_the_directory(multiproc_env):
    env = {k: v for k, v in multiproc_env.items() if k != "PROMETHEUS_MULTIPROC_DIR"}
    result = subprocess.run(
        [sys.executable, "manage.py", "metrics_exporter"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 1
    assert "PROMETHEUS_MULTIPROC_DIR is not set" in result.stderr
