"""The reporting page for everyone, in headless Chromium at 360×740: the keyboard alone, a screen
reader's view (axe-core), two screens long, errors at their step, the place remembered."""

from __future__ import annotations

import random
from typing import Any

import httpx
from playwright.sync_api import BrowserContext, FilePayload, Page, ViewportSize, expect
from sqlalchemy import select
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from reports.models import LocationSource, Report
from routing.models import Category, Jurisdiction
from tests.e2e.axe import assert_no_serious
from tests.reports import media_samples as samples

pytestmark = __import__("pytest").mark.e2e

PHONE: ViewportSize = {"width": 360, "height": 740}
MAX_TAB_STOPS = 25
TWO_SCREENS = 2 * 740

# What has the focus: its id, and the box and ring of what the resident sees for it (a file input
# or a radio is invisible: its label stands for it).
FOCUSED = """() => {
  const el = document.activeElement;
  const own = el.getBoundingClientRect();
  const shown = own.width < 4 || own.height < 4 ? el.closest("label") || el : el;
  const box = shown.getBoundingClientRect();
  const style = getComputedStyle(shown);
  return { id: el.id, tag: el.tagName, name: el.name || "", width: box.width, height: box.height,
           ring: style.outlineStyle !== "none" && parseFloat(style.outlineWidth) >= 2 };
}"""


def focused(page: Page) -> dict[str, Any]:
    """What has the focus now (see FOCUSED)."""
    found: dict[str, Any] = page.evaluate(FOCUSED)
    return found


def tab_to(page: Page, wanted: str, limit: int = MAX_TAB_STOPS) -> int:
    """Press Tab until the element with id ``wanted`` (or radio name) has the focus; the presses."""
    for presses in range(1, limit + 1):
        page.keyboard.press("Tab")
        now = focused(page)
        if wanted in (now["id"], now["name"]):
            return presses
    raise AssertionError(f"{wanted} not reached in {limit} Tab presses")


def open_report_page(page: Page, live_server: str) -> None:
    """The reporting page at phone size, its map ready."""
    page.set_viewport_size(PHONE)
    page.goto(f"{live_server}/report")
    expect(page.locator("#report-form")).to_be_visible()
    page.wait_for_function("() => window.IOCReport && window.IOCReport.map._loaded")


def test_every_tab_stop_to_send_is_visible_and_large_enough(page: Page, live_server: str) -> None:
    open_report_page(page, live_server)
    stops = []
    for _ in range(MAX_TAB_STOPS):
        page.keyboard.press("Tab")
        stops.append(focused(page))
        if stops[-1]["id"] == "send":
            break
    assert stops[-1]["id"] == "send", [s["id"] or s["tag"] for s in stops]
    assert len(stops) <= MAX_TAB_STOPS
    assert stops[0]["tag"] == "A"  # the skip link comes first
    assert [s["tag"] for s in stops].count("path") == 0  # no ward outline is a stop
    maps = [s for s in stops if s["id"].startswith("map_")]
    assert len(maps) == 1, "the map is one tab stop"
    assert sum(1 for s in stops if s["name"] == "category") == 1, "the categories are one group"
    for stop in stops:
        assert stop["ring"], f"no focus ring on {stop}"
        assert stop["width"] >= 24 and stop["height"] >= 24, f"too small: {stop}"


def test_the_skip_link_leads_to_the_content(page: Page, live_server: str) -> None:
    open_report_page(page, live_server)
    page.keyboard.press("Tab")
    expect(page.locator(".skip-link")).to_be_focused()
    expect(page.locator(".skip-link")).to_be_in_viewport()
    page.keyboard.press("Enter")
    page.keyboard.press("Tab")
    assert focused(page)["id"] == "photos"  # past the header, into step 1


def test_a_whole_report_is_filed_with_the_keyboard_alone(
    page: Page, live_server: str, engine: Engine
) -> None:
    description = f"Lấn chiếm vỉa hè, gửi bằng bàn phím {random.randrange(10**9)}"
    open_report_page(page, live_server)
    presses = tab_to(page, "photos")
    photo = samples.jpeg((800, 600), exif=samples.exif_block(gps=None))  # no GPS: moved by hand
    page.locator("#photos").set_input_files(
        files=[FilePayload(name="via-keyboard.jpg", mimeType="image/jpeg", buffer=photo)]
    )
    expect(page.locator("#previews img")).to_have_count(1)
    start = page.evaluate("() => IOCReport.pin.getLatLng()")
    presses += tab_to(page, page.evaluate("() => IOCReport.map.getContainer().id"))
    for key in ("ArrowRight", "ArrowRight", "ArrowDown", "Shift+ArrowRight"):
        page.keyboard.press(key)
    expect(page.locator("#pin-live")).to_contain_text("Ghim tại")
    expect(page.locator("#pin-live")).to_contain_text("Phường")
    expect(page.locator("#ward")).to_contain_text("Phường")
    moved = page.evaluate("() => IOCReport.pin.getLatLng()")
    assert moved["lng"] > start["lng"] and moved["lat"] < start["lat"], (start, moved)
    presses += tab_to(page, "category")
    page.keyboard.press("Space")  # the first category; the arrows move through the group
    page.keyboard.press("ArrowRight")
    expect(page.locator("input[name=category][value='trat-tu-do-thi']")).to_be_checked()
    presses += tab_to(page, "description")
    page.keyboard.type(description)
    presses += tab_to(page, "send")
    assert presses <= MAX_TAB_STOPS
    page.keyboard.press("Enter")
    # The confirmation appears in place, and takes the focus for a screen reader to read it.
    expect(page.locator("#confirmation")).to_be_visible(timeout=30_000)
    expect(page.locator("#confirmation-title")).to_be_focused()
    code = page.locator("#confirmation-code").inner_text().strip()
    assert_no_serious(page)

    with Session(engine) as db:
        report = db.scalars(select(Report).where(Report.description == description)).one()
        category = db.get_one(Category, report.category_id)
        ward = db.get(Jurisdiction, report.ward_id) if report.ward_id else None
    assert report.tracking_code == code
    assert category.code == "trat-tu-do-thi"
    assert report.location_source is LocationSource.map
    assert ward is not None and ward.full_name == "Phường Vũng Tàu"


CUT_NAMES = """() => Array.from(document.querySelectorAll(".cat .name"))
  .filter(n => n.scrollWidth > n.clientWidth || n.getBoundingClientRect().height > 30)
  .map(n => n.textContent)"""


def test_the_page_fits_in_two_screens_with_one_line_tiles(page: Page, live_server: str) -> None:
    open_report_page(page, live_server)
    height = page.evaluate("() => document.documentElement.scrollHeight")
    assert height < TWO_SCREENS, f"{height} px at 360 px"
    page.locator("label.cat").last.click()  # a chosen tile's thicker border cuts nothing either
    assert page.evaluate(CUT_NAMES) == [], "category names cut or wrapped"
    # The full name of a shortened tile is its radio's description, for screen readers.
    late = page.locator("input[value='ho-so-cham-tre']")
    described = late.get_attribute("aria-describedby")
    assert described and "Hồ sơ, thủ tục hành chính chậm trễ" in (
        page.locator(f"#{described}").inner_text()
    )


def test_an_error_appears_at_its_step_and_takes_the_focus(page: Page, live_server: str) -> None:
    open_report_page(page, live_server)
    page.evaluate("() => IOCReport.showStepError('place', 'Chọn vị trí')")
    box = page.locator("#error-place")
    expect(box).to_be_visible()
    expect(box).to_have_text("Chọn vị trí")
    expect(box).to_be_focused()
    expect(box).to_be_in_viewport()
    assert box.get_attribute("role") == "alert"
    page.evaluate("() => IOCReport.clearStepErrors()")
    expect(box).to_be_hidden()


def test_the_map_opens_on_the_last_place(page: Page, live_server: str) -> None:
    open_report_page(page, live_server)
    start = page.evaluate("() => IOCReport.map.getCenter()")
    assert abs(start["lat"] - 10.346) < 0.01 and abs(start["lng"] - 107.084) < 0.01
    page.evaluate("() => IOCReport.setPlace(10.3736, 107.095, 'map')")
    expect(page.locator("#ward")).to_contain_text("Phường Tam Thắng")
    open_report_page(page, live_server)
    again = page.evaluate("() => IOCReport.pin.getLatLng()")
    assert abs(again["lat"] - 10.3736) < 1e-6 and abs(again["lng"] - 107.095) < 1e-6
    # Shown, not chosen: the resident still confirms the place.
    assert page.evaluate("() => IOCReport.state.lat") is None


def test_an_office_category_preselects_no_office(page: Page, live_server: str) -> None:
    open_report_page(page, live_server)
    page.evaluate("() => IOCReport.setPlace(10.3736, 107.095, 'map')")
    expect(page.locator("#ward")).to_contain_text("Phường Tam Thắng")
    page.locator("label.cat", has=page.locator("input[value='ho-so-cham-tre']")).click()
    office = page.locator("#office")
    expect(office).to_be_visible()
    expect(office.locator("option").nth(1)).to_be_attached()
    assert office.input_value() == ""
    expect(office.locator("option").first).to_have_text("Chọn cơ quan")
    assert office.get_attribute("required") is not None


def _filed(live_server: str) -> tuple[str, str]:
    """A report filed over HTTP: its code and private link."""
    created = httpx.post(
        f"{live_server}/api/v1/reports",
        data={"category": "cay-xanh", "lat": "10.3461", "lon": "107.0761", "description": "Cây"},
        files=[("photos", ("", b"", "application/octet-stream"))],
        headers={"Accept": "application/json"},
    )
    assert created.status_code == 201, created.text
    answer = created.json()
    return answer["tracking_code"], answer["links"]["private_status_page"]


def test_axe_finds_no_serious_violation_on_the_residents_pages(
    page: Page, live_server: str
) -> None:
    open_report_page(page, live_server)
    assert_no_serious(page)
    page.locator("label.cat", has=page.locator("input[value='ho-so-cham-tre']")).click()
    page.evaluate("() => IOCReport.showStepError('what', 'Chọn cơ quan')")
    assert_no_serious(page)  # with the office field and an error shown
    code, link = _filed(live_server)
    page.goto(f"{live_server}/report/sent/{code}#link={link}")
    expect(page.locator("#private-link")).to_be_visible()
    assert_no_serious(page)
    page.goto(link)
    expect(page.locator("h1")).to_be_visible()
    assert_no_serious(page)
    page.goto(f"{live_server}/r/{code}")
    assert_no_serious(page)


def test_the_copy_button_says_copied(page: Page, live_server: str) -> None:
    context: BrowserContext = page.context
    context.grant_permissions(["clipboard-read", "clipboard-write"], origin=live_server)
    code, link = _filed(live_server)
    page.set_viewport_size(PHONE)
    page.goto(f"{live_server}/report/sent/{code}#link={link}")
    page.locator("#copy-link").click()
    expect(page.locator("#copy-link")).to_have_text("Đã sao chép")
    assert page.evaluate("() => navigator.clipboard.readText()") == link


def test_a_refused_clipboard_selects_the_link(page: Page, live_server: str) -> None:
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.add_init_script(
        "navigator.clipboard.writeText = () => Promise.reject(new DOMException('denied'));"
        "document.execCommand = () => false;"
    )
    code, link = _filed(live_server)
    page.set_viewport_size(PHONE)
    page.goto(f"{live_server}/report/sent/{code}#link={link}")
    page.locator("#copy-link").click()
    expect(page.locator("#copy-link")).to_have_text("Đường dẫn đã được chọn: hãy sao chép")
    assert page.evaluate("() => window.getSelection().toString()") == link
    assert errors == []


def test_in_english_too_the_tiles_hold_one_line(page: Page, live_server: str) -> None:
    page.goto(f"{live_server}/lang/en?next=/report")
    open_report_page(page, live_server)
    expect(page.locator("h1")).to_have_text("Send a report")
    assert page.evaluate("() => document.documentElement.scrollHeight") < TWO_SCREENS
    page.locator("label.cat", has=page.locator("input[value='ho-so-cham-tre']")).click()
    assert page.evaluate(CUT_NAMES) == [], "English category names cut or wrapped"
    buttons = page.locator(".media-buttons .big-button")
    for index in range(buttons.count()):  # "Add a video" stays inside its button
        fits = buttons.nth(index).evaluate("b => b.scrollWidth <= b.clientWidth")
        assert fits


def test_the_wards_map_is_one_tab_stop_too(page: Page, live_server: str) -> None:
    # Its outlines keep their hover tooltips, but none of them is a tab stop (see ioc/web/maps.py).
    page.goto(f"{live_server}/map/jurisdictions")
    page.wait_for_function("() => document.querySelectorAll('path.leaflet-interactive').length > 5")
    tags = []
    for _ in range(60):
        page.keyboard.press("Tab")
        tags.append(page.evaluate("() => document.activeElement.tagName.toLowerCase()"))
        if tags[-1] == "body":
            break
    assert tags[-1] == "body" and "path" not in tags, tags
    expect(page.locator(".leaflet-control-zoom-in")).to_have_attribute("aria-label", "Phóng to")
