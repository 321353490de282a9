"""`make audit`: known vulnerabilities fail it; an advisory database out of reach is said, and
passes only with AUDIT_OFFLINE_OK=1 (pip-audit alone exits 0 having checked nothing)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

AUDIT = Path(__file__).resolve().parents[2] / "scripts" / "audit.py"


@pytest.fixture
def fake_pip_audit(tmp_path):
    """A stand-in pip-audit that writes the given JSON report where --output says."""

    def make(report: dict | None, exit_code: int = 0, stderr: str = "") -> Path:
        script = tmp_path / "pip-audit"
        script.write_text(
            textwrap.dedent(f"""\
            #!{sys.executable}
            import sys
            args = sys.argv[1:]
            assert {{"--no-deps", "--disable-pip"}} <= set(args), args
            report = {json.dumps(report)!r}
            if report != "null":
                open(args[args.index("--output") + 1], "w").write(report)
            sys.stderr.write({stderr!r})
            sys.exit({exit_code})
            """)
        )
        script.chmod(0o755)
        return script

    return make


def audit(pip_audit: Path, **env: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, str(AUDIT), "requirements.txt"],
        env={**os.environ, "PIP_AUDIT": str(pip_audit), "AUDIT_OFFLINE_OK": "", **env},
        capture_output=True,
        text=True,
        timeout=60,
    )


def dependency(name, vulns=(), skip_reason=None):
    entry = {"name": name, "version": "1.0", "vulns": list(vulns)}
    if skip_reason:
        entry = {"name": name, "skip_reason": skip_reason}
    return entry


def test_no_known_vulnerability_passes(fake_pip_audit):
    done = audit(fake_pip_audit({"dependencies": [dependency("django")], "fixes": []}))

    assert done.returncode == 0
    assert "No known vulnerabilities in 1 pinned packages" in done.stdout


def test_a_known_vulnerability_fails_and_is_named(fake_pip_audit):
    vuln = {"id": "PYSEC-2026-1", "fix_versions": ["1.1"], "aliases": [], "description": ""}
    report = {"dependencies": [dependency("django", [vuln]), dependency("celery")], "fixes": []}

    done = audit(fake_pip_audit(report, exit_code=1))

    assert done.returncode == 1
    assert "django 1.0: PYSEC-2026-1 (fixed in 1.1)" in done.stderr


def test_packages_pip_audit_could_not_look_up_are_not_a_pass(fake_pip_audit):
    skipped = dependency("django", skip_reason="Dependency not found on PyPI")
    pip_audit = fake_pip_audit({"dependencies": [skipped], "fixes": []})

    refused = audit(pip_audit)
    allowed = audit(pip_audit, AUDIT_OFFLINE_OK="1")

    assert refused.returncode == 2
    assert "could not be reached" in refused.stderr
    assert "AUDIT_OFFLINE_OK=1" in refused.stderr
    assert allowed.returncode == 0
    assert "Nothing was audited" in allowed.stdout


def test_no_answer_at_all_is_offline_too(fake_pip_audit):
    pip_audit = fake_pip_audit(None, exit_code=1, stderr="ConnectionError: pypi.org")

    done = audit(pip_audit)

    assert done.returncode == 2
    assert "ConnectionError: pypi.org" in done.stderr
    assert audit(pip_audit, AUDIT_OFFLINE_OK="1").returncode == 0
