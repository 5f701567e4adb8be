"""In headless Chromium: an agency signs in, opens a report the IOC forwarded, accepts it and
resolves it with an after-photo chosen through the page's file input; no CSP violation."""

from __future__ import annotations

import random

import httpx
import pytest
from playwright.sync_api import ConsoleMessage, FilePayload, Page, expect
from sqlalchemy import func, select
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from ioc.auth.models import User
from ioc.cli import DEMO_PASSWORD
from ioc.settings import Settings
from reports.lifecycle.service import ActionInput, Actor, apply_action
from reports.models import ActorKind, Report, ReportMedia, ReportState
from tests.reports import media_samples as samples

pytestmark = pytest.mark.e2e

HERE = (10.3650, 107.1050)
AGENCY = "ubnd-26526"  # UBND Phường Tam Thắng: its demo account is named by its code
# Record every CSP violation, before any script of the page runs.
CSP_WATCH = """
window.__csp = [];
document.addEventListener("securitypolicyviolation", (event) => {
  window.__csp.push(event.violatedDirective + " " + (event.blockedURI || "inline"));
});
"""


def _forwarded_report(live_server: str, engine: Engine, settings: Settings) -> tuple[str, str]:
    """A pothole filed through the API and forwarded by the demo operator to the agency."""
    # In Phường Tam Thắng, but over a kilometre from where the nearby-hint tests look: this
    # report stays committed and open, and must not show up in their hints.
    lat = HERE[0] + random.uniform(-0.0004, 0.0004)
    lon = HERE[1] + random.uniform(-0.0004, 0.0004)
    filed = httpx.post(
        f"{live_server}/api/v1/reports",
        data={"category": "giao-thong", "lat": str(lat), "lon": str(lon), "description": "Ổ gà"},
        files=[("photos", ("p.jpg", samples.jpeg((800, 600)), "image/jpeg"))],
        headers={"Accept": "application/json"},
    )
    assert filed.status_code == 201, filed.text
    with Session(engine) as db:
        operator = db.scalars(select(User).where(User.username == "operator")).one()
        actor = Actor(ActorKind.staff, user_id=operator.id, role=operator.role.value)
        data = ActionInput(agency=AGENCY)
        apply_action(db, settings, filed.json()["id"], "verify_forward", actor, data)
        db.commit()
    code: str = filed.json()["tracking_code"]
    return code, filed.json()["links"]["private_status_page"]


def test_an_agency_accepts_and_resolves_with_an_after_photo(
    page: Page, live_server: str, engine: Engine, settings: Settings
) -> None:
    code, private_page = _forwarded_report(live_server, engine, settings)
    problems: list[str] = []
    page.on("pageerror", lambda error: problems.append(str(error)))
    page.on(
        "console",
        lambda message: problems.append(message.text) if _is_csp_message(message) else None,
    )
    page.add_init_script(CSP_WATCH)
    page.set_viewport_size({"width": 390, "height": 844})

    page.goto(f"{live_server}/login?next=/agency")
    page.fill("#username", AGENCY)
    page.fill("#password", DEMO_PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(f"{live_server}/agency")
    item = page.locator(f'li.inbox-item[data-code="{code}"]')
    expect(item).to_contain_text("Đã chuyển xử lý")
    item.locator("a").click()

    page.wait_for_url(f"{live_server}/agency/reports/{code}")
    expect(page.locator("#report-map .leaflet-marker-icon")).to_be_visible()
    expect(page.locator("#photos img")).to_have_count(1)
    page.click("#form-accept button[type=submit]")
    expect(page.locator("#notice")).to_be_visible()
    expect(page.locator("#state")).to_have_attribute("data-state", "in_progress")

    page.fill("#resolve-note", "Đã vá ổ gà, mặt đường phẳng")
    after = samples.jpeg((1600, 1200), exif=samples.exif_block(gps=(10.3736, 107.095)))
    page.set_input_files(
        "#resolve-photos",
        files=[FilePayload(name="IMG_0100.jpg", mimeType="image/jpeg", buffer=after)],
    )
    page.click("#form-resolve button[type=submit]")
    expect(page.locator("#state")).to_have_attribute("data-state", "resolved")
    expect(page.locator("#state")).to_have_text("Đã xử lý, chờ duyệt")
    shown = page.locator("#result-photos img")
    expect(shown).to_have_count(1)
    shown.scroll_into_view_if_needed()
    page.wait_for_function("document.querySelector('#result-photos img').naturalWidth > 0")
    expect(page.locator("#result")).to_contain_text("Đã vá ổ gà")
    # The copy shown is the pipeline's: no EXIF, so no GPS of the phone that took it.
    link = page.locator("#result-photos a").get_attribute("href")
    assert link
    shown_copy = httpx.get(f"{live_server}{link}")
    assert shown_copy.status_code == 200 and b"Exif" not in shown_copy.content

    with Session(engine) as db:
        report = db.scalars(select(Report).where(Report.tracking_code == code)).one()
        results = db.scalar(
            select(func.count()).where(
                ReportMedia.report_id == report.id, ReportMedia.stage == "result"
            )
        )
    assert report.state == ReportState.resolved and results == 1
    assert page.evaluate("window.__csp") == []
    assert problems == []
    # The watch itself works: an inline script without the nonce is refused and recorded.
    page.evaluate(
        """() => {
            const s = document.createElement("script");
            s.textContent = "window.__ran = 1";
            document.body.appendChild(s);
        }"""
    )
    page.wait_for_function("window.__csp.length > 0")
    assert page.evaluate("window.__ran") is None
    _ioc_publishes_and_the_resident_sees_it(page, live_server, code, private_page)


def _ioc_publishes_and_the_resident_sees_it(
    page: Page, live_server: str, code: str, private_page: str
) -> None:
    """The IOC approves the result through the API; the resident's private page shows it."""
    signed = httpx.post(
        f"{live_server}/api/v1/auth/token",
        json={"username": "operator", "password": DEMO_PASSWORD},
    )
    assert signed.status_code == 200, signed.text
    bearer = {"Authorization": f"Bearer {signed.json()['access_token']}"}
    approved = httpx.post(
        f"{live_server}/api/v1/reports/{code}/actions/approve_result", headers=bearer
    )
    assert approved.status_code == 200 and approved.json()["status"] == "published", approved.text
    page.goto(private_page)
    expect(page.locator("#state")).to_have_text("Đã công bố kết quả")
    expect(page.locator("#result .result-text")).to_have_text("Đã vá ổ gà, mặt đường phẳng")
    expect(page.locator("#result .result-photos img")).to_have_count(1)
    page.wait_for_function("document.querySelector('#result .result-photos img').naturalWidth > 0")


def _is_csp_message(message: ConsoleMessage) -> bool:
    return "Content Security Policy" in message.text
