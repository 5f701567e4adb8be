"""In headless Chromium: live.js follows the operators' feed (new reports, changes, reloads).

The dashboard page itself is tested with it elsewhere; here the module runs on a plain page of
the app, signed in as the seed's demo operator, and reports are filed through the API (committed,
in Phường Vũng Tàu like the other tests that commit theirs).
"""

from __future__ import annotations

import pytest
from playwright.sync_api import Page
from sqlalchemy import text
from sqlalchemy.engine import Engine

from ioc.cli import DEMO_PASSWORD
from tests.e2e.over_http import file_report, forward

pytestmark = pytest.mark.e2e

WAIT_MS = 20_000

CONNECT = """async () => {
    const { connect } = await import("/static/dashboard/live.js");
    window.live = { got: [], statuses: [], reloads: 0 };
    window.feed = connect("/dashboard/events", {
        onNew: (report, id) => window.live.got.push({ kind: "new", id, ...report }),
        onChange: (report, id) => window.live.got.push({ kind: "changed", id, ...report }),
        onBulk: () => { window.live.reloads += 1; },
        onStatus: (status) => window.live.statuses.push(status),
    });
}"""


def _wait_for(page: Page, condition: str, arg: object = None) -> None:
    """Poll a function of the page until it is true (wait_for_function would need eval, which
    the page's CSP forbids)."""
    for _ in range(WAIT_MS // 100):
        if page.evaluate(condition, arg):
            return
        page.wait_for_timeout(100)
    raise AssertionError(f"still false after {WAIT_MS} ms: {condition}")


def test_live_js_delivers_new_reports_changes_and_reloads(
    page: Page, live_server: str, engine: Engine
) -> None:
    page.goto(f"{live_server}/login")
    page.fill("#username", "operator")
    page.fill("#password", DEMO_PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(f"{live_server}/")
    page.evaluate(CONNECT)
    _wait_for(page, "() => window.live.statuses.includes('live')")
    assert page.evaluate("window.live.statuses[0]") == "connecting"
    code = file_report(live_server, "Trực tiếp trình duyệt")
    _wait_for(page, "(code) => window.live.got.some((r) => r.code === code)", code)
    forward(live_server, code)
    _wait_for(page, "(code) => window.live.got.filter((r) => r.code === code).length === 2", code)
    mine = page.evaluate("(code) => window.live.got.filter((r) => r.code === code)", code)
    assert [(r["kind"], r["state"]) for r in mine] == [
        ("new", "submitted"),
        ("changed", "assigned"),
    ]
    assert mine[1]["agency"] == "ubnd-26506" and mine[0]["id"] < mine[1]["id"]
    assert page.evaluate("window.feed.lastId") >= mine[1]["id"]
    with engine.connect() as conn:  # the server's listener loses its connection: pages reload
        conn.execute(
            text(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
                " WHERE application_name LIKE 'ioc-live-%' AND datname = current_database()"
            )
        )
    _wait_for(page, "() => window.live.reloads >= 1")
    page.evaluate("window.feed.close()")
    assert page.evaluate("window.live.statuses.at(-1)") == "closed"
