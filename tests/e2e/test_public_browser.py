"""In headless Chromium at 360 px: the public site's map draws its reports and the list filters.

Reports are filed and forwarded through the API (committed, in Phường Vũng Tàu like the other
browser tests that commit theirs).
"""

from __future__ import annotations

import httpx
import pytest
from playwright.sync_api import Page

from ioc.cli import DEMO_PASSWORD

pytestmark = pytest.mark.e2e

PLACE = (10.3461, 107.0761)  # Phường Vũng Tàu
WAIT_MS = 20_000


def _file(live_server: str, description: str) -> str:
    fields = {"category": "giao-thong", "description": description}
    fields |= {"lat": str(PLACE[0]), "lon": str(PLACE[1]), "name": "Người Bí Mật"}
    created = httpx.post(
        f"{live_server}/api/v1/reports",
        data=fields,
        files=[("photos", ("", b"", "application/octet-stream"))],
        headers={"Accept": "application/json"},
    )
    assert created.status_code == 201, created.text
    code: str = created.json()["tracking_code"]
    return code


def _forward(live_server: str, code: str) -> None:
    body = {"username": "operator", "password": DEMO_PASSWORD}
    token = httpx.post(f"{live_server}/api/v1/auth/token", json=body).json()["access_token"]
    answer = httpx.post(
        f"{live_server}/api/v1/reports/{code}/actions/verify_forward",
        data={"agency": "ubnd-26506"},
        headers={"Authorization": f"Bearer {token}", "Accept": "application/json"},
    )
    assert answer.status_code == 200, answer.text


def test_the_public_map_draws_and_the_list_filters_at_360_px(page: Page, live_server: str) -> None:
    public = _file(live_server, "Vỉa hè sụt lún quokkaword")
    _forward(live_server, public)
    hidden = _file(live_server, "Chưa xác minh quokkaword")
    page.set_viewport_size({"width": 360, "height": 740})
    page.goto(f"{live_server}/public")
    frame = page.frame_locator("iframe.pub-map")
    drawn = frame.locator("body[data-drawn]")
    drawn.wait_for(state="attached", timeout=WAIT_MS)
    assert int(drawn.get_attribute("data-drawn") or "0") > 0
    page.fill("input[name=q]", "QUOKKAWORD")
    page.click(".pub-filters button[type=submit]")
    page.wait_for_url("**/public?*q=QUOKKAWORD*")
    items = page.locator(".pub-item")
    assert items.count() == 1
    assert public in items.first.inner_text() and hidden not in page.content()
    assert "Người Bí Mật" not in page.content()
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 360  # no sideways scrolling on a phone
