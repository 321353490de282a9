"""The README's promise: the server runs on the standard library alone."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import urllib.error
import urllib.request
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]


def _without_site_packages(*args: str, **kwargs) -> subprocess.Popen:
    # -S: no site-packages, so nothing but the standard library can be imported.
    return subprocess.Popen(
        [sys.executable, "-S", *args], cwd=REPO, text=True, stdout=subprocess.PIPE, **kwargs
    )


def test_without_site_packages_nothing_else_is_importable():
    probe = _without_site_packages("-c", "import requests", stderr=subprocess.DEVNULL)
    probe.communicate(timeout=30)
    assert probe.returncode != 0


def test_the_server_runs_on_the_standard_library_alone():
    process = _without_site_packages("-m", "fake_google", "--port", "0")
    try:
        line = process.stdout.readline().strip()
        assert line.startswith("fake_google listening on http://127.0.0.1:"), line
        url = line.rsplit(" ", 1)[1]
        request = urllib.request.Request(
            f"{url}/_fake/config",
            data=json.dumps({"upload_ids": "refuse"}).encode(),
            headers={"Content-Type": "application/json"},
        )
        with urllib.request.urlopen(request, timeout=10) as answer:
            assert json.load(answer)["upload_ids"] == "refuse"
        try:
            urllib.request.urlopen(f"{url}/drive/v3/files", timeout=10)
        except urllib.error.HTTPError as error:
            assert error.code == 401
            assert json.load(error)["error"]["errors"][0]["reason"] == "required"
        else:
            raise AssertionError("an unauthenticated Drive request was answered")
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=10) == 0
    finally:
        if process.poll() is None:
            process.kill()
        process.stdout.close()
