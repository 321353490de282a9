"""Kill rates per module from mutmut's results in mutants/ (run by `make mutation`).

Usage: python scripts/mutation_summary.py PATTERN... (the mutant-name patterns mutmut ran).
A mutant counts as killed when a test failed or timed out under it; "no tests" means no test
of the selection ran the mutated function at all.
"""

from __future__ import annotations

import fnmatch
import json
import sys
from collections import Counter, defaultdict
from pathlib import Path

# mutmut's exit codes (mutmut/stats.py), folded into what the summary reports.
KILLED = {1, 3, 24, -24, 36, 152, 255}
SURVIVED = {0}
NO_TESTS = {5, 33}


def outcome(exit_code: int | None) -> str:
    if exit_code is None:
        return "not run"
    if exit_code in KILLED:
        return "killed"
    if exit_code in SURVIVED:
        return "survived"
    if exit_code in NO_TESTS:
        return "no tests"
    return "other"


def module_of(mutant: str) -> str:
    """`integrations.drive_ids.xǁDriveIdPoolǁtake__mutmut_3` -> `integrations.drive_ids`."""
    return mutant.rsplit(".x", 1)[0]


def collect(root: Path, patterns: list[str]) -> dict[str, Counter[str]]:
    by_module: dict[str, Counter[str]] = defaultdict(Counter)
    for meta in sorted(root.rglob("*.py.meta")):
        codes = json.loads(meta.read_text())["exit_code_by_key"]
        for mutant, code in codes.items():
            if any(fnmatch.fnmatchcase(mutant, p) for p in patterns):
                by_module[module_of(mutant)][outcome(code)] += 1
    return by_module


def main(patterns: list[str]) -> int:
    by_module = collect(Path("mutants"), patterns or ["*"])
    if not by_module:
        print("No mutmut results match; run `make mutation` first.")
        return 1
    print(f"{'module':40} {'killed':>7} {'survived':>9} {'no tests':>9} {'total':>6} {'rate':>6}")
    for module, counts in sorted(by_module.items()):
        run = sum(n for status, n in counts.items() if status != "not run")
        rate = f"{counts['killed'] / run:.0%}" if run else "-"
        print(
            f"{module:40} {counts['killed']:>7} {counts['survived']:>9} "
            f"{counts['no tests']:>9} {run:>6} {rate:>6}"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
