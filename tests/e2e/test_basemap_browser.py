"""In headless Chromium: the base map draws Huế's streets under the reporting page's pin (at
phone size), on the wards map, the operator dashboard and the public map, one tap on the city
switch away, with the attribution, from this server alone; the pin names the street it stands
on; the renderer, added by the page's script, passes the page's CSP."""

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

from ioc.cli import DEMO_PASSWORD
from ioc.settings import Settings
from routing.basemap import extract, queries, service
from routing.basemap.build import SHIPPED_BOUNDS, SHIPPED_EXTRACT
from tests.e2e.conftest import serving_with_basemap

pytestmark = pytest.mark.e2e
LE_LOI = (16.4629, 107.5854)
LAND = (0xF3, 0xF1, 0xEC)  # ioc/static/basemap/basemap.js: C.land
BUILDING = (0xE3, 0xDE, 0xD6)  # C.building
MAJOR_ROAD = (0xFD, 0xF6, 0xE3)  # C.major
# Whether a canvas of the map shows a colour yet (the tiles draw asynchronously).
DRAWN = """([map, r, g, b]) =>
  Array.from(document.querySelectorAll(map + ' canvas')).some((c) => {
  const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
  for (let i = 0; i < d.length; i += 4) {
    if (d[i] === r && d[i + 1] === g && d[i + 2] === b) return true;
  }
  return false;
})"""


@pytest.fixture(scope="module")
def live_server(
    settings: Settings, engine: Engine, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[str]:
    """A server with the shipped extract's base map built (the page fixture guards its origin)."""
    with serving_with_basemap(settings, engine, tmp_path_factory.mktemp("basemap-e2e")) as url:
        yield url


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
    page.wait_for_function(DRAWN, arg=["#place-map", *BUILDING], timeout=30000)
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


def settled_shares(page: Page, selector: str) -> tuple[dict[tuple[int, int, int], float], int]:
    """The map's share of land and major road colours, and its colours, once they have settled
    (at a city's zoom, 14, buildings are too small to count on)."""
    for _ in range(20):
        png = page.locator(selector).screenshot()
        pixels = list(Image.open(io.BytesIO(png)).convert("RGB").get_flattened_data())
        share = {colour: pixels.count(colour) / len(pixels) for colour in (LAND, MAJOR_ROAD)}
        if share[LAND] > 0.05 and share[MAJOR_ROAD] > 0.01:
            break
        page.wait_for_timeout(500)
    return share, len(set(pixels))


def sign_in(page: Page, live_server: str, then: str) -> None:
    page.goto(f"{live_server}/login?next={then}")
    page.fill("#username", "operator")
    page.fill("#password", DEMO_PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(f"{live_server}{then}")


@pytest.mark.parametrize(
    ("path", "selector", "width"),
    [
        ("/report", "#place-map", 360),
        ("/map/jurisdictions", ".folium-map", 1280),
        ("/dashboard", "#dashboard-map", 1280),
        ("/public/map", ".folium-map", 1280),
    ],
)
def test_one_tap_on_hue_shows_its_streets_on_every_map(
    page: Page, live_server: str, path: str, selector: str, width: int
) -> None:
    requests: list[str] = []
    page.on("request", lambda r: requests.append(r.url))
    problems: list[str] = []
    page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: problems.append(str(e)))
    page.set_viewport_size({"width": width, "height": 740})
    if path == "/dashboard":
        sign_in(page, live_server, path)
    else:
        page.goto(f"{live_server}{path}")
    switch = page.locator(f"{selector} .ioc-cities")
    expect(switch).to_have_attribute("aria-label", "Chuyển đến thành phố")
    switch.get_by_role("button", name="Huế").click()
    page.wait_for_function(DRAWN, arg=[selector, *MAJOR_ROAD], timeout=30000)
    expect(page.locator(f"{selector} .leaflet-control-attribution")).to_contain_text(
        "© OpenStreetMap contributors"
    )
    share, colours = settled_shares(page, selector)
    if os.environ.get("IOC_SCREENSHOTS"):
        name = path.strip("/").replace("/", "-")
        page.locator(selector).screenshot(
            path=Path(os.environ["IOC_SCREENSHOTS"], f"hue-{name}.png")
        )
    assert share[LAND] > 0.05 and share[MAJOR_ROAD] > 0.01, share  # not Leaflet's blank grey
    assert colours > 200
    assert any("protomaps-leaflet.js" in url for url in requests)  # added by basemap.js
    assert requests and all(url.startswith(live_server) for url in requests), requests
    assert problems == []  # no CSP refusal, no script error


def test_the_city_switch_works_from_the_keyboard_with_a_visible_focus(
    page: Page, live_server: str
) -> None:
    page.goto(f"{live_server}/map/jurisdictions")
    hue = page.locator(".ioc-cities").get_by_role("button", name="Huế")
    vung_tau = page.locator(".ioc-cities").get_by_role("button", name="Vũng Tàu")
    vung_tau.focus()
    page.keyboard.press("Tab")
    expect(hue).to_be_focused()
    outline = hue.evaluate(
        "(b) => getComputedStyle(b).outlineStyle + ' ' + getComputedStyle(b).outlineWidth"
    )
    assert outline == "solid 3px"
    box = hue.bounding_box()
    assert box is not None and box["width"] >= 24 and box["height"] >= 24
    page.keyboard.press("Enter")
    name = page.locator(".folium-map").get_attribute("id")
    at_hue = f"""() => {{ const m = window['{name}'], c = m.getCenter();
      return m.getZoom() === 14 && Math.abs(c.lat - 16.4637) < 0.01
        && Math.abs(c.lng - 107.5856) < 0.01; }}"""
    page.wait_for_function(at_hue, timeout=10000)  # after the page's own fitting, if any
