"""In headless Chromium at 360 px: the open-data page reads without sideways scrolling."""

from __future__ import annotations

from playwright.sync_api import Page, expect

from dashboard.opendata.fields import FIELDS

pytestmark = __import__("pytest").mark.e2e


def test_the_open_data_page_fits_a_phone(page: Page, live_server: str) -> None:
    page.set_viewport_size({"width": 360, "height": 800})
    page.goto(f"{live_server}/open-data")
    expect(page.locator("h1")).to_have_text("Dữ liệu mở")
    expect(page.locator("#dictionary tbody tr")).to_have_count(len(FIELDS))
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    page.click("text=EN")
    expect(page.locator("h1")).to_have_text("Open data")
    expect(page.locator("a[rel=license]")).to_have_attribute(
        "href", "https://creativecommons.org/licenses/by/4.0/"
    )
