"""pytest fixtures: `pytest_plugins = ["fake_google.pytest_plugin"]`.

- `fake_google_server` (session): one running `FakeGoogle` per test process.
- `fake_google` (function): the same server, reset (state, faults, clock) before the test.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from .server import FakeGoogle


@pytest.fixture(scope="session")
def fake_google_server() -> Iterator[FakeGoogle]:
    fake = FakeGoogle().start()
    try:
        yield fake
    finally:
        fake.stop()


@pytest.fixture
def fake_google(fake_google_server: FakeGoogle) -> FakeGoogle:
    fake_google_server.reset()
    return fake_google_server
