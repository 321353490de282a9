"""axe-core in the browser tests: inject it into a page and fail on any violation.

scripts/ensure-axe.sh fetches axe-core once from npm into var/ (git-ignored); `make test`
calls it, and the first test that needs it calls it too.
"""

from __future__ import annotations

import json
import subprocess
from functools import cache
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
ENSURE_AXE = ROOT / "scripts" / "ensure-axe.sh"


@cache
def axe_source() -> str:
    try:
        path = subprocess.run(
            [str(ENSURE_AXE)], check=True, capture_output=True, text=True, cwd=ROOT
        ).stdout.strip()
    except subprocess.CalledProcessError as exc:
        pytest.fail(f"axe-core is not available: {exc.stderr.strip()}")
    return Path(path).read_text(encoding="utf-8")


def axe_violations(page) -> list[dict]:
    """Every violation axe-core finds in the page as it is now (all rules but experimental)."""
    if not page.evaluate("typeof window.axe !== 'undefined'"):
        # Evaluated through the DevTools protocol, not as a <script> of the page: the panel's
        # Content-Security-Policy (rightly) blocks an inline script without its nonce, and the
        # browser tests fail on any violation.
        page.evaluate(axe_source())
    return page.evaluate(
        """async () => {
            const results = await axe.run(document, {resultTypes: ["violations"]});
            return results.violations.map(v => ({
                id: v.id, impact: v.impact, help: v.help,
                nodes: v.nodes.map(n => n.target.join(" ") + ": " + n.failureSummary),
            }));
        }"""
    )


def assert_accessible(page, where: str) -> None:
    violations = axe_violations(page)
    assert not violations, f"axe-core on {where}:\n" + json.dumps(violations, indent=2)


def contrast_ratio(first: str, second: str) -> float:
    """WCAG contrast of two CSS rgb()/rgba() colours as getComputedStyle writes them."""

    def luminance(colour: str) -> float:
        channels = [float(c) / 255 for c in colour[colour.index("(") + 1 : -1].split(",")[:3]]
        linear = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
        return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]

    lighter, darker = sorted((luminance(first), luminance(second)), reverse=True)
    return (lighter + 0.05) / (darker + 0.05)
