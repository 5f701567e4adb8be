"""In headless Chromium: names from the database reach the page as text, and the
Content-Security-Policy runs only scripts that carry the response's nonce."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from playwright.sync_api import Page, expect
from sqlalchemy import update
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from routing.models import Agency
from tests.e2e.test_routing_browser import TAM_THANG, _sign_in_as_admin

pytestmark = pytest.mark.e2e

PAYLOAD = '<img src=x onerror="window.__xss=1">'
AGENCY = "dl-vungtau"  # a power branch whose service area covers Tam Thắng


@pytest.fixture
def hostile_agency(engine: Engine) -> Iterator[str]:
    """The power branch renamed to a script payload (committed: the live server must see it)."""
    with Session(engine) as db:
        agency = db.query(Agency).filter_by(code=AGENCY).one()
        original = agency.name
        db.execute(update(Agency).where(Agency.code == AGENCY).values(name=PAYLOAD))
        db.commit()
    try:
        yield PAYLOAD
    finally:
        with Session(engine) as db:
            db.execute(update(Agency).where(Agency.code == AGENCY).values(name=original))
            db.commit()


def _hover_at(page: Page, lat: float, lon: float) -> None:
    point = page.evaluate(
        """([lat, lon]) => {
            const map = Object.values(window).find((v) => v instanceof L.Map);
            map.getContainer().scrollIntoView({block: "center"});
            map.setView([lat, lon], 13, {animate: false});
            const p = map.latLngToContainerPoint([lat, lon]);
            const box = map.getContainer().getBoundingClientRect();
            return {x: box.left + p.x, y: box.top + p.y};
        }""",
        [lat, lon],
    )
    page.mouse.move(point["x"] - 5, point["y"] - 5)
    page.mouse.move(point["x"], point["y"])


def test_an_agency_name_with_markup_shows_as_text(
    page: Page, live_server: str, hostile_agency: str
) -> None:
    _sign_in_as_admin(page, live_server)
    response = page.goto(f"{live_server}/admin/routing/map?province=79")
    assert response is not None
    policy = response.headers["content-security-policy"]
    script_src = next(d for d in policy.split(";") if d.strip().startswith("script-src"))
    assert "'unsafe-inline'" not in script_src and "'nonce-" in script_src
    # The service-areas layer is off by default: switch it on, then point at the branch's area.
    page.locator(".leaflet-control-layers-overlays label").nth(1).click()
    _hover_at(page, *TAM_THANG)
    tooltip = page.locator(".leaflet-tooltip", has_text="onerror")  # the ward's one is there too
    expect(tooltip).to_contain_text(hostile_agency)
    expect(tooltip.locator("img")).to_have_count(0)
    assert page.evaluate("window.__xss") is None


def test_an_injected_inline_handler_does_not_run(page: Page, live_server: str) -> None:
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.goto(f"{live_server}/map/jurisdictions")
    # Markup that slipped past escaping: the policy still refuses its handler and its script.
    page.evaluate(
        """() => {
            const markup = '<img src="data:," onerror="window.__xss=1">';
            document.body.insertAdjacentHTML("beforeend", markup);
            const s = document.createElement("script");
            s.textContent = "window.__xss = 2";
            document.body.appendChild(s);
        }"""
    )
    page.wait_for_timeout(300)
    assert page.evaluate("window.__xss") is None
    # While the page's own (nonced) scripts ran: the map is there, without errors.
    expect(page.locator("#wards-map path.leaflet-interactive").first).to_be_visible()
    assert errors == []
