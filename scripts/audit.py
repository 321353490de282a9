"""`make audit`: the pinned requirements against the advisory database, by pip-audit.

    python scripts/audit.py requirements.txt

pip-audit asks PyPI's JSON API, which lists each release's known vulnerabilities. A package it
cannot look up is skipped and, left alone, still exits 0, which would read as "no known
vulnerability" when nothing was checked. So: every vulnerability found is listed and exits 1;
a database that could not be reached (a package skipped, or pip-audit failing without an
answer) is said plainly and exits 2, or 0 when AUDIT_OFFLINE_OK=1 (a machine without that
access); otherwise it exits 0.

The requirements are fully pinned, so nothing is resolved or installed (--no-deps,
--disable-pip). PIP_AUDIT names the pip-audit to run (by default the one beside this Python).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

OFFLINE, VULNERABLE = 2, 1


def pip_audit_command() -> list[str]:
    return [os.environ.get("PIP_AUDIT") or str(Path(sys.executable).with_name("pip-audit"))]


def run_pip_audit(requirements: str) -> tuple[dict | None, str]:
    """pip-audit's JSON report (None when it gave none) and what it printed on stderr."""
    with tempfile.TemporaryDirectory() as folder:
        report = Path(folder) / "report.json"
        done = subprocess.run(
            [
                *pip_audit_command(),
                "--requirement",
                requirements,
                "--no-deps",
                "--disable-pip",
                "--progress-spinner",
                "off",
                "--format",
                "json",
                "--output",
                str(report),
            ],
            capture_output=True,
            text=True,
        )
        text = report.read_text() if report.exists() else ""
    try:
        return (json.loads(text) if text else None), done.stderr
    except ValueError:
        return None, done.stderr


def verdict(report: dict | None, stderr: str, offline_ok: bool) -> tuple[int, list[str]]:
    if report is None:
        lines = ["pip-audit gave no report: the advisory database could not be reached."]
        lines += [f"  {line}" for line in stderr.strip().splitlines()[-5:]]
        return offline_verdict(lines, offline_ok)
    dependencies = report.get("dependencies", [])
    vulnerable = [d for d in dependencies if d.get("vulns")]
    skipped = [d for d in dependencies if d.get("skip_reason")]
    lines = [
        f"{d['name']} {d['version']}: {v['id']} (fixed in {', '.join(v['fix_versions']) or '-'})"
        for d in vulnerable
        for v in d["vulns"]
    ]
    if vulnerable:
        return VULNERABLE, [*lines, f"{len(vulnerable)} package(s) with known vulnerabilities."]
    if skipped:
        lines = [
            f"{len(skipped)} of {len(dependencies)} packages could not be checked: the advisory "
            "database (PyPI's JSON API) could not be reached or does not know them.",
            *(f"  {d['name']}: {d['skip_reason']}" for d in skipped[:5]),
        ]
        return offline_verdict(lines, offline_ok)
    return 0, [f"No known vulnerabilities in {len(dependencies)} pinned packages."]


def offline_verdict(lines: list[str], offline_ok: bool) -> tuple[int, list[str]]:
    if offline_ok:
        return 0, [*lines, "AUDIT_OFFLINE_OK=1: not counted as a failure. Nothing was audited."]
    return OFFLINE, [*lines, "Run it where PyPI is reachable, or set AUDIT_OFFLINE_OK=1."]


def main(requirements: str) -> int:
    report, stderr = run_pip_audit(requirements)
    code, lines = verdict(report, stderr, os.environ.get("AUDIT_OFFLINE_OK") == "1")
    print("\n".join(lines), file=sys.stderr if code else sys.stdout)
    return code


if __name__ == "__main__":
    sys.exit(main(sys.argv[1] if len(sys.argv) > 1 else "requirements.txt"))
