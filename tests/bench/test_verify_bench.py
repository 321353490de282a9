"""`python -m bench.verify_check` end to end at a toy size: it runs alone and writes its JSON."""

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


def test_the_check_bench_counts_one_listing_per_thousand_files(tmp_path):
    out = tmp_path / "verify.json"
    env = {
        **os.environ,
        "BENCH_DATABASE_NAME": session_slot().bench_database_name,
        "BENCH_REDIS_URL": session_slot().bench_redis_url,
    }
    env.pop("DATABASE_URL", None)
    command = [sys.executable, "-m", "bench.verify_check", "--files", "1200"]
    done = subprocess.run(
        [*command, "--json-out", str(out)],
        cwd=BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )

    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    figures = json.loads(out.read_text())["figures"]
    assert figures["counts"]["present"] == 1200
    # 1,200 files and 4 folders: two pages of at most 1000.
    assert figures["drive_requests"] == figures["listing_requests_expected"] == 2
