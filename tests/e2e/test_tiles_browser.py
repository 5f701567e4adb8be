"""In headless Chromium: the map layer of ``/static/dashboard/tiles.js`` on a bare Leaflet map
draws clusters with their counts and reports as circles; a click on a cluster zooms in, a click
on a report selects it, and ``setQuery`` draws the tiles again under new filters.

The page around the map is the dashboard's to test (ui); here a minimal page is answered by the
browser itself at an address of the served app, so that its requests go to the real server.
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterator
from datetime import timedelta

import pytest
from playwright.sync_api import Page
from sqlalchemy import delete, func, select
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from dashboard.operator.importmap import IMPORT_MAP
from ioc.cli import DEMO_PASSWORD
from ioc.db import utcnow
from reports.models import LocationSource, Report, ReportState
from routing.models import Category
from routing.sla import Priority
from tests.dashboard.operator.conftest import tile_of

pytestmark = pytest.mark.e2e


def _middle_of_tile(lat: float, lon: float, z: int) -> tuple[float, float]:
    """The centre of the zoom-z tile that holds a place."""
    _, x, y = tile_of(lat, lon, z)
    n = 1 << z
    lat_c = math.degrees(math.atan(math.sinh(math.pi * (1 - 2 * (y + 0.5) / n))))
    return lat_c, (x + 0.5) / n * 360 - 180


# At sea off Khánh Hoà (nothing else is drawn there), in the middle of a 64 px cell of zoom 14
# (a zoom-16 tile), so that the reports make one cluster.
SPOT = _middle_of_tile(11.7, 109.55, 16)
PAGE = """<!doctype html>
<html><head><meta charset="utf-8">
<link rel="stylesheet" href="/static/vendor/leaflet/leaflet.css">
<script type="importmap">%(importmap)s</script>
<script src="/static/vendor/leaflet/leaflet.js"></script>
</head><body style="margin:0"><div id="map" style="width:800px;height:600px"></div>
<script type="module">
import { reportLayer } from "/static/dashboard/tiles.js";
const map = L.map("map").setView([%(lat)s, %(lon)s], 14);
window.selected = [];
window.map = map;
window.layer = reportLayer(map, {
  url: "/dashboard/tiles/{z}/{x}/{y}.mvt",
  onSelect: (code) => window.selected.push(code),
});
window.layer.on("load", () => { window.loaded = (window.loaded || 0) + 1; });
</script></body></html>
"""


@pytest.fixture
def reports_at_sea(engine: Engine) -> Iterator[list[str]]:
    """Three open reports (one overdue) and a published one, committed; deleted afterwards."""
    with Session(engine) as db:
        category = db.scalars(select(Category.id).where(Category.code == "cay-xanh")).one()
        top = db.scalar(select(func.count()).select_from(Report)) or 0
        made = []
        for i, (state, overdue) in enumerate(
            [
                (ReportState.submitted, True),
                (ReportState.submitted, False),
                (ReportState.assigned, False),
                (ReportState.published, False),
            ]
        ):
            report = Report(
                tracking_code=f"PA-2097-{top + i + 1:06d}",
                state=state,
                category_id=category,
                description="",
                location=func.ST_SetSRID(
                    func.ST_MakePoint(SPOT[1] + i * 0.0002, SPOT[0] + i * 0.0001), 4326
                ),
                location_source=LocationSource.given,
                priority=Priority.normal,
                due_at=utcnow() + timedelta(hours=-1 if overdue else 2),
                overdue=overdue,
                status_token_hash="0" * 64,
                submitter_key="browser-test",
            )
            db.add(report)
            made.append(report)
        db.commit()
        codes = [r.tracking_code for r in made]
    yield codes
    with Session(engine) as db:
        db.execute(delete(Report).where(Report.tracking_code.in_(codes)))
        db.commit()


def _sign_in(page: Page, live_server: str) -> None:
    page.goto(f"{live_server}/login")
    page.fill("#username", "operator")
    page.fill("#password", DEMO_PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_load_state()


def _open_map(page: Page, live_server: str) -> list[str]:
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    html = PAGE % {"importmap": json.dumps(IMPORT_MAP), "lat": SPOT[0], "lon": SPOT[1]}
    page.route(
        f"{live_server}/tiles-test",
        lambda route: route.fulfill(body=html, content_type="text/html; charset=utf-8"),
    )
    page.goto(f"{live_server}/tiles-test")
    return errors


def test_clusters_points_and_filters(
    page: Page, live_server: str, reports_at_sea: list[str]
) -> None:
    _sign_in(page, live_server)
    errors = _open_map(page, live_server)
    page.wait_for_function("window.loaded > 0")
    cluster = page.locator(".ioc-cluster")
    assert cluster.all_inner_texts() == ["3"]  # the open ones (the default filters)
    style = cluster.first.locator("span").get_attribute("style") or ""
    assert "border:3px solid #d50000" in style  # one of them is overdue

    page.evaluate("window.loaded = 0; window.layer.setQuery('state=all')")
    page.wait_for_function("window.loaded > 0")
    assert page.locator(".ioc-cluster").all_inner_texts() == ["4"]

    page.locator(".ioc-cluster").first.click()  # zooms in by two
    page.wait_for_function("window.map.getZoom() === 16")
    page.evaluate("window.loaded = 0; window.map.setZoom(17)")
    page.wait_for_function("window.loaded > 0 && window.layer.drawnCount() === 4")
    assert page.locator(".ioc-cluster").count() == 0  # reports one by one: circles on a canvas

    overdue = reports_at_sea[0]
    where = page.evaluate(
        "([lat, lon]) => { const p = window.map.latLngToContainerPoint([lat, lon]);"
        " const box = document.getElementById('map').getBoundingClientRect();"
        " return [box.left + p.x, box.top + p.y]; }",
        list(SPOT),
    )
    page.mouse.click(where[0], where[1])
    page.wait_for_function("window.selected.length > 0")
    assert page.evaluate("window.selected") == [overdue]
    assert errors == []
