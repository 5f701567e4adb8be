"""In headless Chromium: an administrator clicks the explain map and reads the answer."""

from __future__ import annotations

from playwright.sync_api import Page, expect

pytestmark = __import__("pytest").mark.e2e

TAM_THANG = (10.3736, 107.095)


def _sign_in_as_admin(page: Page, live_server: str) -> None:
    page.goto(f"{live_server}/login?next=/admin/routing/map")
    page.fill("#username", "admin")
    page.fill("#password", "demo12345")
    page.click("button[type=submit]")
    page.wait_for_url(f"{live_server}/admin/routing/map")


def _click_at(page: Page, lat: float, lon: float) -> None:
    """A real mouse click at the screen position of a place on the Leaflet map."""
    point = page.evaluate(
        """([lat, lon]) => {
            const map = Object.values(window).find((v) => v instanceof L.Map);
            map.getContainer().scrollIntoView({block: "center"});
            map.setView([lat, lon], 14, {animate: false});
            const p = map.latLngToContainerPoint([lat, lon]);
            const box = map.getContainer().getBoundingClientRect();
            return {x: box.left + p.x, y: box.top + p.y};
        }""",
        [lat, lon],
    )
    page.mouse.click(point["x"], point["y"])


def test_clicking_the_map_explains_where_a_report_goes(page: Page, live_server: str) -> None:
    _sign_in_as_admin(page, live_server)
    expect(page.locator(".leaflet-container")).to_be_visible()
    page.select_option("#explain-category", "chieu-sang")
    _click_at(page, *TAM_THANG)
    result = page.locator("#explain-result")
    expect(result).to_have_attribute("data-state", "done")
    expect(result).to_contain_text("Đội chiếu sáng khu vực Vũng Tàu")
    expect(result).to_contain_text("Phường Tam Thắng (26526)")
    expect(result).to_have_attribute("data-agency", "chieusang-vungtau")
    expect(page.locator(".leaflet-marker-icon")).to_be_visible()
    # Another category at the same place: the power company's branch.
    page.select_option("#explain-category", "dien-luc")
    _click_at(page, *TAM_THANG)
    expect(result).to_have_attribute("data-agency", "dl-vungtau")
    # At sea: no agency, outside coverage.
    _click_at(page, 10.28, 107.02)
    expect(result).to_have_attribute("data-agency", "")
    expect(result).to_have_attribute("data-ward", "")
    expect(result.locator(".reason")).to_contain_text("IOC")


def test_the_admin_edits_a_category_in_the_browser(page: Page, live_server: str) -> None:
    _sign_in_as_admin(page, live_server)
    page.goto(f"{live_server}/admin/routing/categories/new")
    page.fill("#code", "Sai Mã")
    page.fill("#name_vi", "Thử")
    page.fill("#name_en", "Test")
    page.fill("#icon", "🧪")
    page.click("button.primary")
    expect(page.locator("#form-error")).to_have_attribute("data-field", "code")
