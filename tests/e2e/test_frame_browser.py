"""In headless Chromium: the wards map shows a ward on click, and staff sign in."""

from __future__ import annotations

from playwright.sync_api import Page, expect

pytestmark = __import__("pytest").mark.e2e


def test_wards_map_shows_a_ward_on_click(page: Page, live_server: str) -> None:
    page.goto(f"{live_server}/map/jurisdictions?province=46")
    expect(page.locator("h1")).to_have_text("Bản đồ phường, xã")
    paths = page.locator("#wards-map path.leaflet-interactive")
    expect(paths.first).to_be_visible()
    assert paths.count() >= 40
    # Click the middle of the map's first ward shape and read the popup.
    paths.nth(0).click(force=True)
    popup = page.locator(".leaflet-popup-content")
    expect(popup).to_be_visible()
    expect(popup).to_contain_text("Phường, xã")
    expect(popup).to_contain_text("Mã")


def test_staff_sign_in_through_the_form(page: Page, live_server: str) -> None:
    page.goto(f"{live_server}/login")
    page.fill("#username", "supervisor")
    page.fill("#password", "wrong-password")
    page.click("button[type=submit]")
    expect(page.locator(".alert")).to_have_text("Sai tên đăng nhập hoặc mật khẩu.")
    page.fill("#password", "demo12345")
    page.click("button[type=submit]")
    expect(page.locator(".card strong").last).to_have_text("Đã đăng nhập: supervisor")
    page.click("text=EN")
    expect(page.locator("h1")).to_have_text("City field reports and operations centre")
    page.click("button:has-text('Sign out')")
    expect(page.locator("a:has-text('Staff sign-in')").first).to_be_visible()


def test_api_docs_load_from_the_app_itself(page: Page, live_server: str) -> None:
    page.goto(f"{live_server}/api/docs")
    expect(page.locator(".swagger-ui .info .title")).to_contain_text("Phản ánh hiện trường")
    expect(page.get_by_text("/api/v1/reports", exact=True).first).to_be_visible()
