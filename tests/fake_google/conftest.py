"""Fixtures for the fake_google tests (helpers live in helpers.py).

`fake_google` / `fake_google_server` come from fake_google.pytest_plugin, which the
project's tests/conftest.py registers.
"""

from __future__ import annotations

from typing import Any

import pytest
from google.oauth2.credentials import Credentials

from fake_google import FakeGoogle
from tests.fake_google.helpers import connect, drive_service, load_drive_discovery


@pytest.fixture(autouse=True)
def _loopback_oauth(monkeypatch: pytest.MonkeyPatch) -> None:
    # oauthlib refuses http:// unless told the endpoints are local.
    monkeypatch.setenv("OAUTHLIB_INSECURE_TRANSPORT", "1")


@pytest.fixture(scope="session")
def drive_discovery() -> dict[str, Any]:
    return load_drive_discovery()


@pytest.fixture
def merchant_credentials(fake_google: FakeGoogle) -> Credentials:
    return connect(fake_google)


@pytest.fixture
def drive(
    fake_google: FakeGoogle, drive_discovery: dict[str, Any], merchant_credentials: Credentials
) -> Any:
    """A Drive v3 client for merchant@example.com with the drive.file scope."""
    return drive_service(fake_google, drive_discovery, merchant_credentials)
