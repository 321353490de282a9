"""The accessibility checker of the browser tests (axe-core) does find violations."""

from __future__ import annotations

import pytest

from tests.browser.accessibility import axe_violations

pytestmark = pytest.mark.browser


def test_axe_core_finds_what_it_should(browser):
    """The accessibility checker of the browser tests can fail: an image without a text
    alternative and a status role on a list item are violations."""
    page = browser.new_page()
    page.set_content(
        '<!doctype html><html lang="en"><head><title>t</title></head><body><main>'
        '<h1>t</h1><img src="data:,"><ul><li role="status">Saved</li></ul></main></body></html>'
    )
    found = {violation["id"] for violation in axe_violations(page)}
    assert {"image-alt", "list"} <= found
