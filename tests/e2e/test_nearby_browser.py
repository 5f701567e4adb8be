"""The duplicate hint at phone size (issue 13, item 6): a public report nearby shows its category,
age, distance, public thumbnail and public page; one waiting for verification only what DOMAIN.md
allows (category, rounded distance, age), each with a follow button named after it."""

from __future__ import annotations

import random
import re

import httpx
from playwright.sync_api import Page, expect

from tests.e2e.over_http import PLACE, forward
from tests.reports import media_samples as samples

pytestmark = __import__("pytest").mark.e2e
CATEGORY = "vien-thong"  # Viễn thông: no other browser test files it


def _file(live_server: str, at: tuple[float, float], description: str, photo: bool) -> str:
    """File a telecom-cable report at ``at`` over HTTP; its tracking code."""
    content = samples.jpeg((800, 600)) if photo else b""
    created = httpx.post(
        f"{live_server}/api/v1/reports",
        data={
            "category": CATEGORY,
            "lat": str(at[0]),
            "lon": str(at[1]),
            "description": description,
        },
        files=[("photos", ("cap.jpg" if photo else "", content, "image/jpeg"))],
        headers={"Accept": "application/json"},
    )
    assert created.status_code == 201, created.text
    code: str = created.json()["tracking_code"]
    return code


def test_the_hint_shows_what_each_nearby_report_may_show(page: Page, live_server: str) -> None:
    here = (PLACE[0] + random.uniform(-0.0003, 0.0003), PLACE[1] + random.uniform(-0.0003, 0.0003))
    public = _file(live_server, (here[0] + 0.0002, here[1]), "Dây cáp võng thấp", photo=True)
    forward(live_server, public)
    waiting = _file(
        live_server, (here[0] - 0.0002, here[1]), "Cáp đứt trước nhà số 12", photo=False
    )
    page.set_viewport_size({"width": 360, "height": 740})
    page.goto(f"{live_server}/report")
    expect(page.locator("#report-form")).to_be_visible()
    page.evaluate(
        "([lat, lon]) => window.IOC_REPORT.map.fire('click', {latlng: L.latLng(lat, lon)})",
        list(here),
    )
    expect(page.locator("#ward")).not_to_be_empty()
    page.locator("label.cat", has=page.locator(f"input[value='{CATEGORY}']")).click()
    hint = page.locator("#nearby")
    expect(hint).to_be_visible()

    shown = hint.locator("li", has=page.get_by_role("link", name=f"Xem phản ánh {public}"))
    expect(shown.get_by_role("heading", level=4)).to_contain_text("📡 Viễn thông · Đã chuyển")
    expect(shown).to_contain_text("trong vòng một giờ qua")
    expect(shown).to_contain_text(re.compile(r"cách \d+ m"))
    expect(shown.locator("img")).to_have_attribute("src", re.compile(r"/media/thumbnails/"))
    link = shown.get_by_role("link", name=f"Xem phản ánh {public}")
    expect(link).to_have_attribute("href", f"{live_server}/public/reports/{public}")

    # The waiting report: its category, a distance in steps of 50 m and its age; nothing else.
    waits = hint.locator("li", has_text="chờ xác minh")
    expect(waits.first).to_be_visible()
    expect(waits.first.get_by_role("heading", level=4)).to_have_text("📡 Viễn thông · chờ xác minh")
    expect(waits.first).to_contain_text(re.compile(r"cách (0|\d*[05]0) m · "))
    expect(hint).not_to_contain_text(waiting)
    expect(hint).not_to_contain_text("Cáp đứt")
    expect(waits.first.locator("img")).to_have_count(0)
    expect(waits.first.get_by_role("link")).to_have_count(0)
    # Every follow button is named after the report it follows (not just "Theo dõi" each).
    buttons = hint.get_by_role("button", name=re.compile(r"^Theo dõi phản ánh này: Viễn thông, "))
    expect(buttons).to_have_count(hint.locator("li").count())
