"""In headless Chromium at phone size: file a report from a photo that carries its place."""

from __future__ import annotations

import io
import random

import httpx
from PIL import Image
from playwright.sync_api import FilePayload, Page, Route, expect
from sqlalchemy import func, select
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from reports.models import LocationSource, Report, ReportMedia
from routing.models import Agency, Jurisdiction
from tests.reports import media_samples as samples

pytestmark = __import__("pytest").mark.e2e


def test_a_resident_files_a_report_from_a_photo_with_exif_gps(
    page: Page, live_server: str, engine: Engine
) -> None:
    # A place near Vũng Tàu airport, in Phường Tam Thắng; randomised a little so that the
    # assertions find this report among whatever earlier runs committed.
    lat = 10.3736 + random.uniform(-0.0004, 0.0004)
    lon = 107.0950 + random.uniform(-0.0004, 0.0004)
    photo = samples.jpeg((2000, 1500), exif=samples.exif_block(gps=(lat, lon)))
    page.set_viewport_size({"width": 360, "height": 740})
    page.goto(f"{live_server}/report")
    expect(page.locator("#report-form")).to_be_visible()
    page.set_input_files(
        "#photos", files=[FilePayload(name="IMG_0001.jpg", mimeType="image/jpeg", buffer=photo)]
    )
    expect(page.locator("#previews img")).to_have_count(1)
    expect(page.locator("#ward")).to_contain_text("Phường Tam Thắng")
    page.locator("label.cat", has=page.locator("input[value='giao-thong']")).click()
    page.fill("#description", "Ổ gà lớn trên đường vào sân bay")
    page.click("#send")
    page.wait_for_url(f"{live_server}/report/sent/**")
    code = page.locator("#tracking-code").inner_text().strip()
    expect(page.locator("#private-link")).to_be_visible()
    private_link = page.locator("#private-link").get_attribute("href")
    assert private_link and "?t=" in private_link

    with Session(engine) as db:
        report = db.scalars(select(Report).where(Report.tracking_code == code)).one()
        at = db.execute(
            select(func.ST_Y(Report.location), func.ST_X(Report.location)).where(
                Report.id == report.id
            )
        ).one()
        agency = db.get_one(Agency, report.agency_id)
        ward = db.get_one(Jurisdiction, report.ward_id)
        media = db.scalars(select(ReportMedia).where(ReportMedia.report_id == report.id)).all()
    assert abs(at[0] - lat) < 1e-5 and abs(at[1] - lon) < 1e-5
    assert report.location_source is LocationSource.exif
    assert ward.full_name == "Phường Tam Thắng"
    assert agency.code == "ubnd-26526"
    assert len(media) == 1 and max(media[0].width, media[0].height) <= 1600

    status = httpx.get(private_link.replace("/r/", "/api/v1/reports/").replace("?t=", "?token="))
    display_url = status.json()["photos"][0]["display_url"]
    published = httpx.get(display_url)
    assert published.status_code == 200 and published.headers["content-type"] == "image/jpeg"
    image = Image.open(io.BytesIO(published.content))
    assert not image.getexif() and "exif" not in image.info
    for marker in (b"Exif", samples.SERIAL.encode(), b"PhoneMaker"):
        assert marker not in published.content


def test_a_lost_answer_is_retried_into_one_report_not_two(
    page: Page, live_server: str, engine: Engine
) -> None:
    # The server files the first attempt, but its answer never reaches the phone (a dropped 3G
    # link); the page must send again by itself, with the same Idempotency-Key.
    description = f"Đèn đường hỏng, thử lại {random.randrange(10**9)}"
    keys: list[str] = []

    def drop_first_answer(route: Route) -> None:
        keys.append(route.request.headers.get("idempotency-key", ""))
        if len(keys) == 1:
            route.fetch()  # the server receives and files it
            route.abort("connectionreset")
        else:
            route.continue_()

    page.route("**/api/v1/reports", drop_first_answer)
    lat = 10.3736 + random.uniform(-0.0004, 0.0004)
    lon = 107.0950 + random.uniform(-0.0004, 0.0004)
    photo = samples.jpeg((1200, 900), exif=samples.exif_block(gps=(lat, lon)))
    page.set_viewport_size({"width": 360, "height": 740})
    page.goto(f"{live_server}/report")
    page.set_input_files(
        "#photos", files=[FilePayload(name="IMG_0002.jpg", mimeType="image/jpeg", buffer=photo)]
    )
    expect(page.locator("#ward")).to_contain_text("Phường Tam Thắng")
    page.locator("label.cat", has=page.locator("input[value='chieu-sang']")).click()
    page.fill("#description", description)
    page.click("#send")
    expect(page.locator("#progress-text")).to_contain_text("Mất kết nối")
    page.wait_for_url(f"{live_server}/report/sent/**", timeout=30_000)

    assert len(keys) == 2 and keys[0] and keys[0] == keys[1]
    with Session(engine) as db:
        filed = db.scalars(select(Report).where(Report.description == description)).all()
    assert len(filed) == 1
    expect(page.locator("#tracking-code")).to_have_text(filed[0].tracking_code)
