"""In headless Chromium at phone size: the pin names the street it stands on."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from playwright.sync_api import Page, expect
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from routing.basemap import extract, queries, service
from routing.basemap.build import SHIPPED_BOUNDS, SHIPPED_EXTRACT

pytestmark = pytest.mark.e2e
LE_LOI = (16.4629, 107.5854)


@pytest.fixture
def hue_streets(engine: Engine) -> Iterator[int]:
    """The shipped extract's streets, committed for the live server, removed afterwards."""
    with Session(engine) as db:
        count = service.replace_streets(db, extract.read(SHIPPED_EXTRACT), SHIPPED_BOUNDS)
        db.commit()
    try:
        yield count
    finally:
        with Session(engine) as db:
            db.execute(queries.streets_in(SHIPPED_BOUNDS))
            db.commit()


def test_the_pin_shows_the_street_it_stands_on(
    page: Page, live_server: str, hue_streets: int
) -> None:
    page.set_viewport_size({"width": 360, "height": 740})
    page.goto(f"{live_server}/report")
    expect(page.locator("#report-form")).to_be_visible()
    page.evaluate(
        "([lat, lon]) => window.IOC_REPORT.map.fire('click', {latlng: L.latLng(lat, lon)})",
        list(LE_LOI),
    )
    expect(page.locator("#ward")).to_contain_text("Gần Lê Lợi, Phường")
    expect(page.locator(".leaflet-tooltip.pin-street")).to_have_text("Lê Lợi")
