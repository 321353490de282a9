"""The README's promise: the server runs on the standard library alone."""

from __future__ import annotations

import json
import subprocess
import sys
import urllib.error
import urllib.request

from tests.fake_google.helpers import REPO, fake_google_process

# No site-packages: nothing but the standard library can be imported.
STDLIB_ONLY = ("-S",)


def test_without_site_packages_nothing_else_is_importable():
    probe = subprocess.run(
        [sys.executable, *STDLIB_ONLY, "-c", "import requests"],
        cwd=REPO,
        capture_output=True,
        timeout=30,
    )
    assert probe.returncode != 0


def test_the_server_runs_on_the_standard_library_alone():
    with fake_google_process("--port", "0", python_flags=STDLIB_ONLY) as url:
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
