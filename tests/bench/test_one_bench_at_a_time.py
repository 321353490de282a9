"""Two benches on one Redis db or database: the second refuses, saying which and who holds it."""

from __future__ import annotations

import os

import pytest

from bench import harness


@pytest.fixture(autouse=True)
def lock_files_here(tmp_path, monkeypatch):
    monkeypatch.setattr(harness, "LOCK_DIR", tmp_path)


def test_a_second_bench_on_the_same_redis_db_refuses():
    with (
        harness.holding("redis://127.0.0.1:6379/12", "drivebackup_bench"),
        pytest.raises(harness.BenchBusy) as refused,
        harness.holding("redis://127.0.0.1:6379/12"),
    ):
        pytest.fail("two benches held one Redis db")
    message = str(refused.value)
    assert "redis://127.0.0.1:6379/12" in message
    assert f"pid {os.getpid()}" in message


def test_benches_on_other_resources_run_side_by_side_and_a_lock_ends_with_its_bench():
    with harness.holding("redis://127.0.0.1:6379/12"), harness.holding("redis://127.0.0.1:6379/11"):
        pass
    with harness.holding("redis://127.0.0.1:6379/12"):
        pass


def test_a_bench_main_holds_its_resources_while_it_runs():
    @harness.one_at_a_time("drivebackup_bench_dispatch")
    def main() -> int:
        with pytest.raises(harness.BenchBusy), harness.holding("drivebackup_bench_dispatch"):
            pass
        return 7

    assert main() == 7
