"""In headless Chromium: the operators' dashboard. An operator signs in, the filters change the
URL and the queue, a bookmarked URL restores the view, the keyboard moves through the queue and
opens the panel, ``?`` shows the help; agency staff get a 403; no page asks another host (the
``page`` fixture records every request)."""

from __future__ import annotations

import random
import re
from datetime import datetime
from urllib.parse import parse_qs, quote_plus, urlsplit

import httpx
import pytest
from playwright.sync_api import Browser, Page, expect
from sqlalchemy import select
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from ioc.cli import DEMO_PASSWORD
from reports.models import Report, ReportState
from routing.sla import VN_TZ
from tests.reports import media_samples as samples

pytestmark = pytest.mark.e2e

HERE = (10.3650, 107.1050)  # Phường Tam Thắng, as the agency's browser test
AGENCY = "ubnd-26526"  # the suggested agency of a pothole there
WORDS = "đèn tín hiệu hỏng"


def _file(live_server: str, category: str, description: str) -> str:
    """A report filed through the API (committed); its tracking code."""
    filed = httpx.post(
        f"{live_server}/api/v1/reports",
        data={
            "category": category,
            "lat": str(HERE[0] + random.uniform(-0.0004, 0.0004)),
            "lon": str(HERE[1] + random.uniform(-0.0004, 0.0004)),
            "description": description,
        },
        files=[("photos", ("p.jpg", samples.jpeg((640, 480)), "image/jpeg"))],
        headers={"Accept": "application/json"},
    )
    assert filed.status_code == 201, filed.text
    code: str = filed.json()["tracking_code"]
    return code


def _sign_in(page: Page, live_server: str, username: str, then: str = "/dashboard") -> None:
    page.goto(f"{live_server}/login?next={then}")
    page.fill("#username", username)
    page.fill("#password", DEMO_PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(f"{live_server}{then}")


def _params(page: Page) -> dict[str, list[str]]:
    return parse_qs(urlsplit(page.url).query)


def _row(page: Page, code: str):  # type: ignore[no-untyped-def]
    return page.locator(f'#queue .queue-row[data-code="{code}"]')


def _click_on_the_map(page: Page, code: str) -> None:
    """Zoom the map to a report of the queue, where tiles.js draws it as a point, and click it."""
    row = _row(page, code)
    lat, lon = float(row.get_attribute("data-lat") or 0), float(row.get_attribute("data-lon") or 0)
    with page.expect_response(lambda r: "/dashboard/tiles/17/" in r.url):
        page.evaluate(
            """([lat, lon]) => {
                const name = document.getElementById("dashboard-map").dataset.mapName;
                window[name].setView([lat, lon], 17, {animate: false});
            }""",
            [lat, lon],
        )
    page.wait_for_timeout(300)  # the tile's points are drawn on the canvas
    point = page.evaluate(
        """([lat, lon]) => {
            const map = window[document.getElementById("dashboard-map").dataset.mapName];
            const p = map.latLngToContainerPoint([lat, lon]);
            const box = map.getContainer().getBoundingClientRect();
            return {x: box.left + p.x, y: box.top + p.y};
        }""",
        [lat, lon],
    )
    page.mouse.click(point["x"], point["y"])


def _watch(page: Page) -> list[str]:
    """Script errors of the page."""
    problems: list[str] = []
    page.on("pageerror", lambda error: problems.append(str(error)))
    return problems


def test_filters_live_in_the_url_and_a_bookmark_restores_them(page: Page, live_server: str) -> None:
    tag = f"{WORDS} {random.randint(10_000, 99_999)}"
    road = _file(live_server, "giao-thong", tag)
    rubbish = _file(live_server, "ve-sinh-moi-truong", tag)
    unrelated = _file(live_server, "giao-thong", "Ổ gà")
    problems = _watch(page)
    tiles: list[str] = []
    page.on("request", lambda r: tiles.append(r.url) if "/dashboard/tiles/" in r.url else None)
    _sign_in(page, live_server, "operator")
    expect(page.locator("#dashboard-map .leaflet-container")).to_be_visible()
    expect(_row(page, unrelated)).to_be_visible()
    expect(page.locator(".ioc-cluster").first).to_be_visible()  # tiles.js drew the reports

    page.fill("#filter-q", tag)
    expect(page).to_have_url(re.compile(r"[?&]q="))
    expect(_row(page, unrelated)).to_have_count(0)
    expect(_row(page, road)).to_be_visible()
    expect(_row(page, rubbish)).to_be_visible()
    expect(page.locator("#queue .queue-row")).to_have_count(2)
    assert _params(page)["q"] == [tag]

    page.select_option("#filter-category", "giao-thong")
    expect(page).to_have_url(re.compile(r"[?&]category=giao-thong"))
    expect(_row(page, rubbish)).to_have_count(0)
    expect(_row(page, road)).to_be_visible()
    assert _params(page)["category"] == ["giao-thong"]
    page.wait_for_timeout(500)
    assert any("category=giao-thong" in url and "q=" in url for url in tiles), tiles[-3:]
    expect(page.locator('#state-counts [data-state="submitted"] .count')).to_have_text("1")
    bookmark = page.url

    other = page.context.new_page()
    other.goto(bookmark)
    expect(other.locator("#filter-category")).to_have_value("giao-thong")
    expect(other.locator("#filter-q")).to_have_value(tag)
    expect(other.locator("#queue .queue-row")).to_have_count(1)
    expect(_row(other, road)).to_contain_text("Chờ xác minh")
    other.close()

    _click_on_the_map(page, road)
    expect(page.locator("#panel")).to_be_visible()
    expect(page.locator("#panel-body")).to_contain_text(road)
    assert _params(page)["report"] == [road]

    page.click("#filters-reset")
    expect(page).to_have_url(f"{live_server}/dashboard?report={road}")  # the panel stays open
    assert problems == []


def test_the_keyboard_moves_through_the_queue_and_opens_the_panel(
    page: Page, live_server: str
) -> None:
    tag = f"{WORDS} {random.randint(10_000, 99_999)}"
    first, second = _file(live_server, "giao-thong", tag), _file(live_server, "giao-thong", tag)
    problems = _watch(page)
    _sign_in(page, live_server, "operator")
    page.keyboard.press("/")
    expect(page.locator("#filter-q")).to_be_focused()
    page.keyboard.type(tag)
    expect(page.locator("#queue .queue-row")).to_have_count(2)
    page.keyboard.press("Escape")
    expect(page.locator("#filter-q")).not_to_be_focused()

    # The order depends on the deadlines, which depend on the time of day: read it.
    top, below = page.locator("#queue .queue-row").evaluate_all(
        "rows => rows.map(r => r.dataset.code)"
    )
    assert {top, below} == {first, second}
    page.keyboard.press("j")
    expect(_row(page, top)).to_have_attribute("aria-selected", "true")
    expect(_row(page, top).locator(".row-link")).to_be_focused()
    page.keyboard.press("j")
    expect(_row(page, below)).to_have_attribute("aria-selected", "true")
    page.keyboard.press("k")
    expect(_row(page, top)).to_have_attribute("aria-selected", "true")

    page.keyboard.press("Enter")
    expect(page.locator("#panel")).to_be_visible()
    expect(page.locator("#panel-body")).to_contain_text(top)
    expect(_row(page, top)).to_have_class(re.compile(r"\bopen\b"))
    assert _params(page)["report"] == [top]

    page.keyboard.press("?")
    help_dialog = page.locator("#help")
    expect(help_dialog).to_be_visible()
    expect(help_dialog).to_contain_text("j")
    for _ in range(4):  # focus stays in the modal dialog
        page.keyboard.press("Tab")
        assert page.evaluate("document.getElementById('help').contains(document.activeElement)")
    page.keyboard.press("Escape")
    expect(help_dialog).to_be_hidden()
    expect(page.locator("#panel")).to_be_visible()  # Esc closed the help only

    page.keyboard.press("Escape")
    expect(page.locator("#panel")).to_be_hidden()
    assert "report" not in _params(page)
    expect(_row(page, top).locator(".row-link")).to_be_focused()

    # A bookmark with report=CODE opens the panel.
    page.goto(f"{live_server}/dashboard?state=all&report={first}")
    expect(page.locator("#panel")).to_be_visible()
    expect(page.locator("#panel-body")).to_contain_text(first)
    assert problems == []


def test_focus_rings_are_visible(page: Page, live_server: str) -> None:
    _sign_in(page, live_server, "operator")
    page.keyboard.press("Tab")
    page.focus("#filter-state")
    page.keyboard.press("Tab")
    outline = page.evaluate("getComputedStyle(document.activeElement).outlineStyle")
    assert outline not in ("", "none")


def test_agency_staff_get_403(page: Page, live_server: str) -> None:
    page.goto(f"{live_server}/login?next=/agency")
    page.fill("#username", AGENCY)
    page.fill("#password", DEMO_PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(f"{live_server}/agency")
    response = page.goto(f"{live_server}/dashboard")
    assert response is not None and response.status == 403


# --- Issue 10's "Done when" -----------------------------------------------------------------
# The operator and the supervisor, end to end: live strip, keyboard forward, KPI table.
KPI_CELL = f'#kpi-agencies tr[data-agency="{AGENCY}"] td[data-col="received"]'


def _kpi_count(browser: Browser, live_server: str) -> int:
    """The agency's reports received today, in the supervisor's table (0 without a row)."""
    context = browser.new_context(locale="vi-VN")
    try:
        page = context.new_page()
        _sign_in(page, live_server, "supervisor", then="/dashboard/kpi")
        today = datetime.now(VN_TZ).date().isoformat()
        page.goto(f"{live_server}/dashboard/kpi?from={today}&to={today}")
        cell = page.locator(KPI_CELL)
        return int(cell.inner_text().strip()) if cell.count() else 0
    finally:
        context.close()


def test_done_when_a_new_report_appears_live_is_forwarded_by_keyboard_and_counted(
    page: Page, browser: Browser, live_server: str, engine: Engine
) -> None:
    before = _kpi_count(browser, live_server)
    problems = _watch(page)
    _sign_in(page, live_server, "operator")
    expect(page.locator("#live-status")).to_have_attribute("data-status", "live", timeout=10_000)

    code = _file(live_server, "giao-thong", f"{WORDS} {random.randint(10_000, 99_999)}")
    expect(page.locator("#new-strip")).to_contain_text(code, timeout=10_000)
    page.keyboard.press("n")
    expect(page.locator("#queue .queue-row").first).to_have_attribute("data-code", code)
    page.keyboard.press("Enter")
    expect(page.locator("#panel-body")).to_contain_text(code)
    # The panel's forms arrive with the fragment: the key acts once they are there.
    forward = page.locator('#panel-body [data-key="f"]')
    expect(forward).to_be_visible()
    expect(page.locator("#panel-body")).not_to_have_attribute("aria-busy", "true")
    page.keyboard.press("f")
    expect(forward).to_be_focused()
    page.keyboard.press("Enter")
    expect(_row(page, code)).to_have_attribute("data-state", "assigned", timeout=10_000)
    with Session(engine) as db:
        state = db.scalar(select(Report.state).where(Report.tracking_code == code))
    assert state == ReportState.assigned
    assert _kpi_count(browser, live_server) == before + 1
    assert problems == []


def _bearer(live_server: str, username: str) -> dict[str, str]:
    signed = httpx.post(
        f"{live_server}/api/v1/auth/token",
        json={"username": username, "password": DEMO_PASSWORD},
    )
    assert signed.status_code == 200, signed.text
    return {"Authorization": f"Bearer {signed.json()['access_token']}"}


def test_live_changes_update_rows_in_place_and_new_ones_wait_in_the_strip(
    page: Page, live_server: str
) -> None:
    tag = f"{WORDS} {random.randint(10_000, 99_999)}"
    first, second = _file(live_server, "giao-thong", tag), _file(live_server, "giao-thong", tag)
    problems = _watch(page)
    _sign_in(page, live_server, "operator")
    page.goto(f"{live_server}/dashboard?q={quote_plus(tag)}")
    expect(page.locator("#live-status")).to_have_attribute("data-status", "live", timeout=10_000)
    rows = page.locator("#queue .queue-row")
    expect(rows).to_have_count(2)
    order = [rows.nth(i).get_attribute("data-code") for i in range(2)]

    # Another operator rejects one: its badge changes where it is; nothing moves.
    rejected = httpx.post(
        f"{live_server}/api/v1/reports/{first}/actions/reject",
        data={"reason": "Không thuộc phạm vi"},
        headers=_bearer(live_server, "operator"),
    )
    assert rejected.status_code == 200, rejected.text
    expect(_row(page, first)).to_have_attribute("data-state", "rejected", timeout=10_000)
    expect(_row(page, first).locator(".state")).to_have_text("Từ chối")
    assert [rows.nth(i).get_attribute("data-code") for i in range(2)] == order

    # A new report waits in the strip; the list takes it only when the operator asks.
    third = _file(live_server, "giao-thong", tag)
    expect(page.locator("#new-strip")).to_contain_text(third, timeout=10_000)
    expect(rows).to_have_count(2)
    page.click("#new-strip")
    expect(rows).to_have_count(3)
    expect(rows.first).to_have_attribute("data-code", third)
    expect(page.locator("#new-strip")).to_be_hidden()
    assert second in order and problems == []
