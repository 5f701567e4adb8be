"""In headless Chromium at phone size: the base map draws Huế's streets under the pin, with
the attribution, from this server alone; the pin names the street it stands on."""

from __future__ import annotations

import io
import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from PIL import Image
from playwright.sync_api import Page, expect
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from ioc.app import create_app
from ioc.settings import Settings
from routing.basemap import extract, queries, service
from routing.basemap.build import SHIPPED_BOUNDS, SHIPPED_EXTRACT, build
from tests.ioc.serving import served

pytestmark = pytest.mark.e2e
LE_LOI = (16.4629, 107.5854)
LAND = (0xF3, 0xF1, 0xEC)  # ioc/static/basemap/basemap.js: C.land
BUILDING = (0xE3, 0xDE, 0xD6)  # C.building
# Whether a canvas of the place map shows a building yet (the tiles draw asynchronously).
BUILDINGS_DRAWN = """() => Array.from(document.querySelectorAll('#place-map canvas')).some((c) => {
  const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
  for (let i = 0; i < d.length; i += 4) {
    if (d[i] === 0xe3 && d[i + 1] === 0xde && d[i + 2] === 0xd6) return true;
  }
  return false;
})"""


@pytest.fixture(scope="module")
def live_server(
    settings: Settings, engine: Engine, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[str]:
    """A server with the shipped extract's base map built (the page fixture guards its origin)."""
    directory = tmp_path_factory.mktemp("basemap-e2e")
    with Session(engine) as db:
        build(db, directory)
        db.rollback()
    with_map = settings.model_copy(
        update={"map": settings.map.model_copy(update={"basemap_dir": directory})}
    )
    with served(create_app(with_map, engine=engine)) as (host, port):
        yield f"http://{host}:{port}"


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


def test_the_reporting_page_draws_hue_s_streets_under_the_pin(
    page: Page, live_server: str, hue_streets: int
) -> None:
    tiles: list[int] = []
    page.on(
        "response",
        lambda r: tiles.append(r.status) if "/basemap/" in r.url and r.url.count("/") > 5 else None,
    )
    page.set_viewport_size({"width": 360, "height": 740})
    page.goto(f"{live_server}/report")
    page.evaluate(
        "([lat, lon]) => window.IOC_REPORT.map.fire('click', {latlng: L.latLng(lat, lon)})",
        list(LE_LOI),
    )
    page.wait_for_function(BUILDINGS_DRAWN, timeout=30000)
    expect(page.locator("#place-map .leaflet-control-attribution")).to_contain_text(
        "© OpenStreetMap contributors"
    )
    # Tiles of a view still panning may redraw after the first buildings: shoot until settled.
    for _ in range(20):
        png = page.locator("#place-map").screenshot()
        pixels = list(Image.open(io.BytesIO(png)).convert("RGB").get_flattened_data())
        share = {colour: pixels.count(colour) / len(pixels) for colour in (LAND, BUILDING)}
        if share[LAND] > 0.01 and share[BUILDING] > 0.02:
            break
        page.wait_for_timeout(500)
    if os.environ.get("IOC_SCREENSHOTS"):
        Path(os.environ["IOC_SCREENSHOTS"], "basemap-report-360.png").write_bytes(png)
    assert share[LAND] > 0.01 and share[BUILDING] > 0.02, share  # blank would be Leaflet's grey
    assert len(set(pixels)) > 200  # streets, their casings, labels: not a flat picture
    assert tiles and all(status in (200, 204) for status in tiles)
