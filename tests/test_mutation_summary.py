"""`make mutation`'s summary: kill rates from mutmut's result files, also over two checkouts."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path

from django.conf import settings

SCRIPT = Path(settings.BASE_DIR) / "scripts" / "mutation_summary.py"
spec = importlib.util.spec_from_file_location("mutation_summary", SCRIPT)
summary = importlib.util.module_from_spec(spec)
spec.loader.exec_module(summary)

POOL = "integrations.engine.drive_ids.xǁDriveIdPoolǁtake__mutmut_"
ERRORS = "integrations.google.errors.x_classify__mutmut_"


def results(root: Path, codes: dict[str, int | None]) -> Path:
    meta = root / "integrations" / "engine" / "drive_ids.py.meta"
    meta.parent.mkdir(parents=True)
    meta.write_text(json.dumps({"exit_code_by_key": codes}))
    return root


def test_a_mutant_not_tried_here_takes_the_result_of_the_checkout_that_tried_it(tmp_path):
    first = results(tmp_path / "a", {POOL + "1": 1, POOL + "2": None, POOL + "3": 0})
    second = results(tmp_path / "b", {POOL + "1": None, POOL + "2": 1, POOL + "3": None})

    counts = summary.collect([first, second], ["integrations.engine.drive_ids.*"])

    assert counts == {"integrations.engine.drive_ids": {"killed": 2, "survived": 1}}


def test_the_table_gives_the_rate_over_the_tried_and_over_all(tmp_path):
    root = results(
        tmp_path / "a",
        {POOL + "1": 1, POOL + "2": 0, POOL + "3": None, POOL + "4": -24, ERRORS + "1": 33},
    )

    lines = summary.table(summary.collect([root], ["*"])).splitlines()

    pool = next(line for line in lines if line.startswith("integrations.engine.drive_ids"))
    assert pool.split()[1:] == ["2", "1", "0", "1", "3", "66.7%", "50.0%"]
    errors = next(line for line in lines if line.startswith("integrations.google.errors"))
    assert errors.split()[1:] == ["0", "0", "1", "0", "1", "0.0%", "0.0%"]
    everything = lines[-1].split()
    assert everything == ["all", "2", "1", "1", "1", "4", "50.0%", "40.0%"]


def test_no_matching_result_is_said_plainly(tmp_path, capsys):
    root = results(tmp_path / "a", {POOL + "1": 1})

    assert summary.main(["--results", str(root), "integrations.google.*"]) == 1
    assert "No mutmut results match" in capsys.readouterr().out


def test_under_a_mutant_the_fastest_tests_run_first(tmp_path, monkeypatch):
    from types import SimpleNamespace

    from tests.conftest import pytest_collection_modifyitems

    durations = {"slow_night": 3.0, "quick_rule": 0.1}
    (tmp_path / "mutmut-stats.json").write_text(json.dumps({"duration_by_test": durations}))
    monkeypatch.chdir(tmp_path)

    def order(mutant: str | None) -> list[str]:
        if mutant is None:
            monkeypatch.delenv("MUTANT_UNDER_TEST", raising=False)
        else:
            monkeypatch.setenv("MUTANT_UNDER_TEST", mutant)
        items = [SimpleNamespace(nodeid=n) for n in ("slow_night", "new_test", "quick_rule")]
        pytest_collection_modifyitems(None, items)
        return [item.nodeid for item in items]

    assert order("integrations.engine.ledger.x_f__mutmut_3") == [
        "quick_rule",
        "slow_night",
        "new_test",
    ]
    # The stats phase and ordinary runs keep pytest's order.
    assert order("stats") == order(None) == ["slow_night", "new_test", "quick_rule"]
