"""What the night's meters read: the idle CPU up to the last run's end, the named processes."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from bench import harness
from bench.night import DemandSampler


def sampler_with(points: list[tuple[float, float]]) -> DemandSampler:
    demand = DemandSampler([])
    demand.idle_points = points
    return demand


def test_idle_is_read_up_to_a_moment_between_two_samples():
    # Idle CPU-seconds since boot at 100 s, 102 s and 104 s: 1 s of idle per second, then 2.
    demand = sampler_with([(100.0, 50.0), (102.0, 52.0), (104.0, 56.0)])

    assert demand.idle_until(101.0) == pytest.approx(1.0)
    assert demand.idle_until(103.0) == pytest.approx(4.0)
    assert demand.idle_until(104.0) == pytest.approx(6.0)


def test_idle_before_the_first_sample_is_none_and_after_the_last_is_all():
    demand = sampler_with([(100.0, 50.0), (102.0, 52.0)])

    assert demand.idle_until(99.0) == 0.0
    assert demand.idle_until(500.0) == pytest.approx(2.0)


def test_a_live_sampler_notes_the_machine_idle_with_every_sample():
    demand = DemandSampler([])
    demand.sample()
    demand.sample()

    times = [t for t, _ in demand.idle_points]
    assert len(times) == 3 and times == sorted(times)
    assert demand.idle_until(time.time() + 60) >= 0.0


@pytest.fixture
def sleeper():
    """A process whose command line holds a word no other process has."""
    child = subprocess.Popen(
        [sys.executable, "-c", "import time, sys; time.sleep(60)", "night-meter-probe"]
    )
    # Until the exec, /proc shows the parent's command line (or none): wait for the child's.
    deadline = time.monotonic() + 30
    while b"night-meter-probe" not in Path(f"/proc/{child.pid}/cmdline").read_bytes():
        assert time.monotonic() < deadline, "the probe process never started"
        time.sleep(0.01)
    yield child
    child.kill()
    child.wait()


def test_named_processes_are_found_again_on_every_scan(sleeper):
    processes = harness.NamedProcesses(" night-meter-probe", program="python")

    assert sleeper.pid in processes.cpu_seconds()
    assert sleeper.pid in processes.cpu_seconds()


def test_a_process_not_naming_the_program_is_not_read_again(sleeper):
    processes = harness.NamedProcesses(" night-meter-probe-2", program="no-such-program")

    assert processes.cpu_seconds() == {}
    assert sleeper.pid in processes._never


def test_a_process_naming_the_program_may_match_later_and_is_read_again(sleeper):
    # A PostgreSQL backend names its database only after the fork: until then it is read
    # on every scan.
    processes = harness.NamedProcesses(" night-meter-probe-2", program="night-meter-probe")

    assert processes.cpu_seconds() == {}
    assert sleeper.pid not in processes._never


def test_a_runnable_thread_is_seen_and_a_sleeping_process_has_none(sleeper):
    assert harness.has_runnable_thread(os.getpid())  # this thread is running the test
    time.sleep(0.2)
    assert not harness.has_runnable_thread(sleeper.pid)
    assert not harness.has_runnable_thread(2**22 + 7)  # no such process
