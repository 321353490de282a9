"""A bench killed outright takes its children with it: no worker is left on its Redis db."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from bench import harness

# A stand-in for the bench: starts one Child (a long sleep), prints its pid, then waits.
BENCH = """
import sys, time
from pathlib import Path
from bench import harness
child = harness.Child("sleeper", [sys.executable, "-c", "import time; time.sleep(120)"],
                      Path(sys.argv[1])).start()
print(child.pid, flush=True)
time.sleep(120)
"""


def alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except FileNotFoundError:
        return False
    return state != "Z"


@pytest.mark.skipif(harness._SETPRIV is None, reason="setpriv (util-linux) is not installed")
def test_a_child_dies_when_the_bench_is_killed(tmp_path):
    bench = subprocess.Popen(
        [sys.executable, "-c", BENCH, str(tmp_path / "sleeper.log")],
        cwd=harness.BASE_DIR,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        child = int(bench.stdout.readline())
        assert alive(child)

        os.kill(bench.pid, signal.SIGKILL)
        bench.wait(timeout=10)

        deadline = time.monotonic() + 10
        while alive(child) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert not alive(child)
    finally:
        bench.kill()
        bench.wait(timeout=10)


def test_without_setpriv_the_command_runs_as_given(monkeypatch):
    monkeypatch.setattr(harness, "_SETPRIV", None)
    assert harness.dies_with_the_bench(["celery", "worker"]) == ["celery", "worker"]
