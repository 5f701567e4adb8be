"""Browser tests: a live server on a free loopback port, driven by Debian's headless Chromium.

Every page is watched: a request to any host other than the app's own fails the test.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import Browser, Page, Playwright, Route, sync_playwright
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from ioc.app import create_app
from ioc.settings import Settings
from routing.basemap.build import build
from tests.ioc.serving import served

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


@contextmanager
def serving(settings: Settings, engine: Engine) -> Iterator[str]:
    """The app served by uvicorn in a thread, on the seeded test database; its address.

    Browser tests file dozens of reports from one address within minutes: the per-address limit
    on reports (tested on its own in tests/reports) is raised out of their way.
    """
    intake = settings.intake.model_copy(update={"rate_limit": 100_000})
    served_settings = settings.model_copy(update={"intake": intake})
    with served(create_app(served_settings, engine=engine)) as (host, port):
        yield f"http://{host}:{port}"


@contextmanager
def serving_with_basemap(settings: Settings, engine: Engine, directory: Path) -> Iterator[str]:
    """The app served with the shipped extract's base map built into ``directory``."""
    with Session(engine) as db:
        build(db, directory)
        db.rollback()
    map_settings = settings.map.model_copy(update={"basemap_dir": directory})
    with serving(settings.model_copy(update={"map": map_settings}), engine) as address:
        yield address


@pytest.fixture(scope="session")
def live_server(settings: Settings, engine: Engine) -> Iterator[str]:
    """The app served by uvicorn in a thread, on the seeded test database."""
    with serving(settings, engine) as address:
        yield address


@pytest.fixture(scope="session")
def playwright_instance() -> Iterator[Playwright]:
    with sync_playwright() as instance:
        yield instance


@pytest.fixture(scope="session")
def browser(playwright_instance: Playwright) -> Iterator[Browser]:
    chromium = playwright_instance.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
    yield chromium
    chromium.close()


@pytest.fixture
def foreign_requests() -> list[str]:
    """Requests that pages made to hosts other than the app's own."""
    return []


@pytest.fixture
def page(browser: Browser, live_server: str, foreign_requests: list[str]) -> Iterator[Page]:
    """A fresh browser context; requests leaving the app's origin are blocked and recorded."""
    own = urlsplit(live_server).netloc
    context = browser.new_context(viewport={"width": 1280, "height": 800}, locale="vi-VN")

    def guard(route: Route) -> None:
        url = route.request.url
        if urlsplit(url).scheme in ("data", "blob") or urlsplit(url).netloc == own:
            route.continue_()
        else:
            foreign_requests.append(url)
            route.abort()

    context.route("**/*", guard)
    browser_page = context.new_page()
    yield browser_page
    context.close()
    assert foreign_requests == [], f"pages requested other hosts: {foreign_requests}"
