"""Kill rates per module from mutmut's results in mutants/ (run by `make mutation`).

Usage: python scripts/mutation_summary.py [--results DIR]... PATTERN...
(the mutant-name patterns mutmut ran). A mutant counts as killed when a test failed or timed
out under it; "no tests" means no test of the selection ran the mutated function at all.

`--results` (default: mutants) may be given more than once, for a long run shared between
checkouts of the same commit, each running part of the mutants: a mutant's result is taken
from the last directory that tried it.
"""

from __future__ import annotations

import argparse
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


def exit_codes(root: Path, patterns: list[str]) -> dict[str, int | None]:
    """mutmut's exit code of each mutant under ``root`` whose name matches a pattern."""
    codes: dict[str, int | None] = {}
    for meta in sorted(root.rglob("*.py.meta")):
        for mutant, code in json.loads(meta.read_text())["exit_code_by_key"].items():
            if any(fnmatch.fnmatchcase(mutant, p) for p in patterns):
                codes[mutant] = code
    return codes


def collect(roots: list[Path], patterns: list[str]) -> dict[str, Counter[str]]:
    codes: dict[str, int | None] = {}
    for root in roots:
        for mutant, code in exit_codes(root, patterns).items():
            if code is not None or mutant not in codes:
                codes[mutant] = code
    by_module: dict[str, Counter[str]] = defaultdict(Counter)
    for mutant, code in codes.items():
        by_module[module_of(mutant)][outcome(code)] += 1
    return by_module


def table(by_module: dict[str, Counter[str]]) -> str:
    """Per module and for all of them: killed, survived, no tests, not run, and the kill rate
    over the mutants tried and over all mutants (one not run counts as not killed)."""
    header = ("module", "killed", "survived", "no tests", "not run", "tried", "rate", "of all")
    rows = [f"{header[0]:40}" + "".join(f" {h:>9}" for h in header[1:])]
    total = sum(by_module.values(), Counter())
    for module, counts in [*sorted(by_module.items()), ("all", total)]:
        tried = sum(n for status, n in counts.items() if status != "not run")
        everything = tried + counts["not run"]
        rate = f"{counts['killed'] / tried:.1%}" if tried else "-"
        of_all = f"{counts['killed'] / everything:.1%}" if everything else "-"
        cells = (counts["killed"], counts["survived"], counts["no tests"], counts["not run"])
        rows.append(
            f"{module:40}"
            + "".join(f" {n:>9}" for n in (*cells, tried))
            + f" {rate:>9} {of_all:>9}"
        )
    return "\n".join(rows)


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--results", type=Path, action="append", default=None)
    parser.add_argument("patterns", nargs="*")
    args = parser.parse_args(argv)
    by_module = collect(args.results or [Path("mutants")], args.patterns or ["*"])
    if not by_module:
        print("No mutmut results match; run `make mutation` first.")
        return 1
    print(table(by_module))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
