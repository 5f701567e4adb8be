"""axe-core in browser tests, from node_modules (a development dependency, never served)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from playwright.sync_api import Page

AXE = Path(__file__).resolve().parents[2] / "node_modules" / "axe-core" / "axe.min.js"
SERIOUS = ("serious", "critical")


def violations(page: Page, impacts: tuple[str, ...] = SERIOUS) -> list[dict[str, Any]]:
    """axe-core's violations of WCAG 2.1 A/AA rules on the page as it is, at these impacts."""
    if not page.evaluate("() => Boolean(window.axe)"):
        # The page's CSP refuses an added <script> tag: the test evaluates the file itself.
        page.evaluate(AXE.read_text(encoding="utf-8") + "\n;true")
    options = {"runOnly": {"type": "tag", "values": ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]}}
    found: list[dict[str, Any]] = page.evaluate(
        "options => axe.run(document, options).then(r => r.violations)", options
    )
    return [v for v in found if v.get("impact") in impacts]


def describe(found: list[dict[str, Any]]) -> str:
    """A readable list of violations: rule, impact and the first few elements."""
    lines = []
    for v in found:
        targets = [" ".join(map(str, node["target"])) for node in v["nodes"][:3]]
        lines.append(f"{v['id']} ({v['impact']}): {v['help']} — {targets}")
    return "\n".join(lines)


def assert_no_serious(page: Page) -> None:
    """No serious or critical WCAG 2.1 AA violation that axe-core can find on the page."""
    found = violations(page)
    assert not found, "axe-core found:\n" + describe(found)
