"""The browser fixture leaves no database connection behind."""

from __future__ import annotations

import pytest
from django.db import connections

from tests.conftest import CHROMIUM, debian_chromium

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not CHROMIUM.exists(), reason=f"no Debian chromium at {CHROMIUM}"),
]


def test_connections_opened_while_the_browser_runs_are_closed_with_it(
    transactional_db, monkeypatch
):
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    outside = connections["default"]

    with debian_chromium():
        inside = connections["default"]
        inside.ensure_connection()

    # Under Playwright's running event loop Django hands out another connection object than
    # without it; that one must not stay open once the loop is gone.
    assert inside is not outside
    assert inside.connection is None
    assert connections["default"] is outside
