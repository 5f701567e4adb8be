"""In headless Chromium: an operator opens a report's panel on its own page and forwards it to
the suggested agency with the keyboard (f, then Enter); the panel is swapped in place, no CSP
violation, no script error."""

from __future__ import annotations

import random

import httpx
import pytest
from playwright.sync_api import Page, expect
from sqlalchemy import select
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from ioc.cli import DEMO_PASSWORD
from reports.models import Report, ReportState
from routing.models import Agency
from tests.reports import media_samples as samples

pytestmark = pytest.mark.e2e

# Phường Tam Thắng, away from where the nearby-hint tests look (this report stays committed).
HERE = (10.3690, 107.1010)
SUGGESTED = "ubnd-26526"
CSP_WATCH = """
window.__csp = [];
document.addEventListener("securitypolicyviolation", (event) => {
  window.__csp.push(event.violatedDirective + " " + (event.blockedURI || "inline"));
});
"""


def _filed(live_server: str) -> str:
    """A pothole sent through the API: waiting for verification."""
    lat = HERE[0] + random.uniform(-0.0004, 0.0004)
    lon = HERE[1] + random.uniform(-0.0004, 0.0004)
    filed = httpx.post(
        f"{live_server}/api/v1/reports",
        data={"category": "giao-thong", "lat": str(lat), "lon": str(lon), "description": "Ổ gà"},
        files=[("photos", ("p.jpg", samples.jpeg((800, 600)), "image/jpeg"))],
        headers={"Accept": "application/json"},
    )
    assert filed.status_code == 201, filed.text
    code: str = filed.json()["tracking_code"]
    return code


def test_an_operator_forwards_from_the_panel_with_the_keyboard(
    page: Page, live_server: str, engine: Engine
) -> None:
    code = _filed(live_server)
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.add_init_script(CSP_WATCH)
    page.goto(f"{live_server}/login?next=/dashboard/reports/{code}")
    page.fill("#username", "operator")
    page.fill("#password", DEMO_PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(f"{live_server}/dashboard/reports/{code}")
    panel = page.locator("#report-panel")
    expect(panel).to_have_attribute("data-state", "submitted")
    expect(
        page.locator("#panel-map .leaflet-container, #panel-map.leaflet-container")
    ).to_have_count(1)

    page.keyboard.press("f")
    expect(page.locator("#forward-suggested")).to_be_focused()
    page.keyboard.press("Enter")

    expect(page.locator("#report-panel")).to_have_attribute("data-state", "assigned")
    expect(page.locator("#panel-notice")).to_be_visible()
    assert page.url == f"{live_server}/dashboard/reports/{code}"  # swapped in place, no reload
    with Session(engine) as db:
        report = db.scalars(select(Report).where(Report.tracking_code == code)).one()
        agency = db.get_one(Agency, report.agency_id)
        assert report.state == ReportState.assigned and agency.code == SUGGESTED
    assert page.evaluate("window.__csp") == []
    assert errors == []
