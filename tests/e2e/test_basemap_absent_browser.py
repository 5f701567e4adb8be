"""In headless Chromium, on a server without a base map: pages do not load the renderer
(protomaps-leaflet, 128 KB), keep their ward outlines, and still offer the city switch."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from playwright.sync_api import Page, expect
from sqlalchemy.engine import Engine

from ioc.app import create_app
from ioc.settings import Settings
from tests.ioc.serving import served

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def live_server(
    settings: Settings, engine: Engine, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[str]:
    """A server whose base map directory is empty (the page fixture guards its origin)."""
    empty = tmp_path_factory.mktemp("no-basemap")
    without = settings.model_copy(
        update={"map": settings.map.model_copy(update={"basemap_dir": empty})}
    )
    with served(create_app(without, engine=engine)) as (host, port):
        yield f"http://{host}:{port}"


@pytest.mark.parametrize("path", ["/report", "/map/jurisdictions"])
def test_without_a_base_map_the_renderer_is_never_loaded(
    page: Page, live_server: str, path: str
) -> None:
    requests: list[str] = []
    page.on("request", lambda r: requests.append(r.url))
    with page.expect_response(lambda r: r.url.endswith("/basemap/tiles.json")) as answer:
        page.goto(f"{live_server}{path}")
    assert answer.value.status == 404
    expect(page.locator(".leaflet-interactive").first).to_be_attached()  # the ward outlines
    page.locator(".ioc-cities").get_by_role("button", name="Huế").click()
    page.wait_for_load_state("networkidle")
    assert not any("protomaps" in url for url in requests), requests
    assert page.evaluate("() => window.protomapsL === undefined")
    assert page.locator(".leaflet-control-attribution").inner_text().find("OpenStreetMap") < 0
