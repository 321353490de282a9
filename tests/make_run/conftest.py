"""scripts/run.sh with a stand-in honcho: what `make run` would start, and with what settings."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest
from django.conf import settings

BASE_DIR = Path(settings.BASE_DIR)
RUN_SH = BASE_DIR / "scripts" / "run.sh"
FAKE_GOOGLE_KEYS = (
    "GOOGLE_OAUTH_CLIENT_ID",
    "GOOGLE_OAUTH_CLIENT_SECRET",
    "GOOGLE_OAUTH_AUTH_URI",
    "GOOGLE_OAUTH_TOKEN_URI",
    "GOOGLE_OAUTH_REVOKE_URI",
    "GOOGLE_API_ROOT",
)
# Instead of starting the processes, prints its arguments and the environment they would get.
HONCHO = """#!/bin/sh
echo "honcho $*"
env | grep -E '^(GOOGLE_|SITE_URL=|PORT=|DATABASE_URL=)' | sed 's/^/env /'
"""


@dataclass
class Started:
    returncode: int
    stdout: str
    stderr: str
    root: Path

    @property
    def honcho_args(self) -> list[str]:
        [line] = [line for line in self.stdout.splitlines() if line.startswith("honcho ")]
        return line.split()[1:]

    @property
    def env(self) -> dict[str, str]:
        lines = [line[4:] for line in self.stdout.splitlines() if line.startswith("env ")]
        return dict(line.split("=", 1) for line in lines)

    @property
    def procfile(self) -> str:
        args = self.honcho_args
        return (self.root / args[args.index("--procfile") + 1]).read_text()

    @property
    def fake_env_file(self) -> Path:
        return self.root / "var" / "fake-google.env"


@pytest.fixture
def checkout(tmp_path) -> Path:
    """A directory laid out like the project for run.sh: Procfile, the scripts it calls and,
    in .venv/bin, this test's Python and a stand-in honcho."""
    shutil.copy(BASE_DIR / "Procfile", tmp_path / "Procfile")
    (tmp_path / "scripts").mkdir()
    for script in ("dotenv_exports.py", "local_secrets.py"):
        shutil.copy(BASE_DIR / "scripts" / script, tmp_path / "scripts")
    bin_dir = tmp_path / ".venv" / "bin"
    bin_dir.mkdir(parents=True)
    (bin_dir / "honcho").write_text(HONCHO)
    (bin_dir / "honcho").chmod(0o755)
    # A script, not a symlink: a symlinked venv Python outside its venv loses the venv's packages.
    (bin_dir / "python").write_text(f'#!/bin/sh\nexec "{sys.executable}" "$@"\n')
    (bin_dir / "python").chmod(0o755)
    return tmp_path


@pytest.fixture
def make_run(checkout):
    """Run scripts/run.sh in `checkout` with only the given variables set."""

    def start(**variables: str) -> Started:
        env = {
            "PATH": os.environ["PATH"],
            "HOME": str(checkout),
            **variables,
        }
        done = subprocess.run(
            ["bash", str(RUN_SH)],
            cwd=checkout,
            env=env,
            capture_output=True,
            text=True,
            timeout=30,
        )
        return Started(done.returncode, done.stdout, done.stderr, checkout)

    return start


@pytest.fixture
def clean_google_environ():
    """No Google variable in this process's environment; afterwards, the ones it had."""
    saved = {key: os.environ.pop(key) for key in FAKE_GOOGLE_KEYS if key in os.environ}
    yield os.environ
    for key in FAKE_GOOGLE_KEYS:
        os.environ.pop(key, None)
    os.environ.update(saved)
