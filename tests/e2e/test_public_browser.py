"""In headless Chromium at 360 px: the public site's map draws its reports and the list filters.

Reports are filed and forwarded through the API (committed, in Phường Vũng Tàu like the other
browser tests that commit theirs).
"""

from __future__ import annotations

import pytest
from playwright.sync_api import Page

from tests.e2e.over_http import file_report, forward

pytestmark = pytest.mark.e2e

WAIT_MS = 20_000


def test_the_public_map_draws_and_the_list_filters_at_360_px(page: Page, live_server: str) -> None:
    public = file_report(live_server, "Vỉa hè sụt lún quokkaword", name="Người Bí Mật")
    forward(live_server, public)
    hidden = file_report(live_server, "Chưa xác minh quokkaword", name="Người Bí Mật")
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
