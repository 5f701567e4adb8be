"""The reporting page's weight on a phone (issue 13, Done when): bytes over the wire, base-map
tiles excluded, under 160 KB on a first visit and under 40 KB on a repeat visit."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from playwright.sync_api import Browser
from sqlalchemy.engine import Engine

from ioc.settings import Settings
from tests.e2e.conftest import serving_with_basemap
from tests.e2e.weighing import PHONE, Weighing, report, weigh

pytestmark = pytest.mark.e2e
FIRST_VISIT = 160_000
REPEAT_VISIT = 40_000


def _visits(browser: Browser, url: str) -> tuple[Weighing, Weighing]:
    """A first visit to ``url`` and a repeat visit in the same browser context (its cache kept)."""
    context = browser.new_context(viewport=PHONE, locale="vi-VN")
    try:
        first, repeat = weigh(context, url), weigh(context, url)
    finally:
        context.close()
    assert first.foreign == [] and repeat.foreign == [], "pages requested other hosts"
    return first, repeat


def _check(first: Weighing, repeat: Weighing) -> None:
    """Both visits under their budgets, and the page and its scripts were really weighed."""
    paths = " ".join(url for url, _ in first.responses())
    assert "/report" in paths and "/static/reports/report-core.js" in paths
    assert "/map/jurisdictions" in paths  # the ward outlines are part of the page's weight
    assert first.total() < FIRST_VISIT, report(first)
    assert repeat.total() < REPEAT_VISIT, report(repeat)
    # The repeat visit took the scripts and styles from the browser's cache.
    assert repeat.total() < first.total() / 3, report(repeat)


def test_the_reporting_page_is_light_without_a_base_map(browser: Browser, live_server: str) -> None:
    first, repeat = _visits(browser, f"{live_server}/report")
    _check(first, repeat)


@pytest.fixture(scope="module")
def basemap_server(
    settings: Settings, engine: Engine, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[str]:
    """A server with the shipped extract's base map built."""
    with serving_with_basemap(settings, engine, tmp_path_factory.mktemp("weight-basemap")) as url:
        yield url


def test_the_reporting_page_is_light_with_a_base_map(browser: Browser, basemap_server: str) -> None:
    first, repeat = _visits(browser, f"{basemap_server}/report")
    _check(first, repeat)
    paths = " ".join(url for url, _ in first.responses(without="/none/"))
    assert "/basemap/tiles.json" in paths  # the base map was there to draw
