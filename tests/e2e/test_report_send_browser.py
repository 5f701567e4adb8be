"""In headless Chromium at phone size (issue 13, forgiving drafts and the confirmation): a file
the server refuses is named, taken out of the draft, and the rest goes through; a video too long
is refused before upload; every file can be removed; the link can be sent again."""

from __future__ import annotations

import random

from playwright.sync_api import FilePayload, Page, expect
from sqlalchemy import select
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from reports.models import Report, ReportMedia
from tests.e2e.test_report_browser import DRAFT
from tests.reports import media_samples as samples

pytestmark = __import__("pytest").mark.e2e


def test_a_refused_file_is_named_removed_from_the_draft_and_the_rest_goes_through(
    page: Page, live_server: str, engine: Engine
) -> None:
    lat = 10.3736 + random.uniform(-0.0004, 0.0004)
    lon = 107.0950 + random.uniform(-0.0004, 0.0004)
    description = f"Nắp cống vỡ {random.randrange(10**9)}"
    good = samples.jpeg((800, 600), exif=samples.exif_block(gps=(lat, lon)))
    page.set_viewport_size({"width": 360, "height": 740})
    page.goto(f"{live_server}/report")
    page.set_input_files(
        "#photos",
        files=[
            FilePayload(name="IMG_0100.jpg", mimeType="image/jpeg", buffer=good),
            FilePayload(name="hong.jpg", mimeType="image/jpeg", buffer=samples.pdf()),
        ],
    )
    expect(page.locator("#previews li")).to_have_count(2)
    expect(page.get_by_role("button", name="Xóa ảnh 2 (hong.jpg)")).to_be_visible()
    expect(page.locator("#ward")).to_contain_text("Phường Tam Thắng")
    page.locator("label.cat", has=page.locator("input[value='thoat-nuoc']")).click()
    page.fill("#description", description)
    page.locator("details.contact summary").click()
    page.fill("#phone", "0900000013")
    page.click("#send")

    refused = page.locator("[role=alert]", has_text="hong.jpg")
    expect(refused).to_be_visible()
    expect(refused).to_contain_text("Tệp không phải là ảnh hoặc video hợp lệ.")
    expect(page.locator("#previews li")).to_have_count(1)
    assert page.evaluate(DRAFT)["names"] == ["IMG_0100.jpg"]

    # The next visit offers the draft without the refused file, and it goes through.
    page.reload()
    expect(page.locator("#report-form[data-draft=restored]")).to_have_count(1)
    expect(page.locator("#previews li")).to_have_count(1)
    page.click("#draft-send")
    expect(page.locator("#confirmation")).to_be_visible()
    code = page.locator("#confirmation-code").inner_text().strip()
    with Session(engine) as db:
        report = db.scalars(select(Report).where(Report.description == description)).one()
        media = db.scalars(select(ReportMedia).where(ReportMedia.report_id == report.id)).all()
    assert report.tracking_code == code and len(media) == 1
    assert page.evaluate(DRAFT) is None

    # The phone number given: the link can be sent again, once.
    expect(page.locator("#confirmation-resend")).to_contain_text("…0013")
    page.click("#confirmation-resend-button")
    expect(page.locator("#confirmation-resend-status")).to_have_text(
        "Đã gửi lại đường dẫn. Tin nhắn sẽ đến trong ít phút."
    )


def test_a_video_too_long_is_refused_before_upload_and_a_video_can_be_removed(
    page: Page, live_server: str
) -> None:
    uploads: list[str] = []
    page.on(
        "request", lambda r: uploads.append(r.url) if r.url.endswith("/api/v1/reports") else None
    )
    page.set_viewport_size({"width": 360, "height": 740})
    page.goto(f"{live_server}/report")
    long = samples.video("webm", "libvpx", seconds=65, fps=1)
    page.set_input_files(
        "#video", files=[FilePayload(name="dai.webm", mimeType="video/webm", buffer=long)]
    )
    refused = page.locator("[role=alert]", has_text="dai.webm")
    expect(refused).to_contain_text("Video dài hơn 60 giây")
    expect(page.locator("#previews li")).to_have_count(0)

    short = samples.video("webm", "libvpx", seconds=2, fps=2)
    page.set_input_files(
        "#video", files=[FilePayload(name="ngan.webm", mimeType="video/webm", buffer=short)]
    )
    remove = page.get_by_role("button", name="Xóa video (ngan.webm)")
    expect(remove).to_be_visible()
    box = remove.bounding_box()
    assert box is not None and box["width"] >= 24 and box["height"] >= 24
    remove.click()
    expect(page.locator("#previews li")).to_have_count(0)
    assert uploads == []
