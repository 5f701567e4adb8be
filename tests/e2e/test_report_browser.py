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

from reports.models import Follower, LocationSource, Report, ReportMedia
from routing.models import Agency, Jurisdiction
from tests.reports import media_samples as samples

pytestmark = __import__("pytest").mark.e2e
# The draft kept in IndexedDB (report-send.js), or null.
DRAFT = """() => new Promise((resolve) => {
  const opening = indexedDB.open("ioc-report", 1);
  opening.onupgradeneeded = () => opening.result.createObjectStore("drafts");
  opening.onsuccess = () => {
    const get = opening.result.transaction("drafts").objectStore("drafts").get("current");
    get.onsuccess = () => resolve(get.result ? { names: get.result.names || [],
      photos: get.result.photos.length, key: get.result.key } : null);
  };
})"""


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
    # The confirmation appears in place: the page never navigates away to learn the result.
    expect(page.locator("#confirmation")).to_be_visible()
    expect(page.locator("#report-form")).to_be_hidden()
    expect(page.locator("#confirmation-title")).to_be_focused()
    assert page.url == f"{live_server}/report"
    code = page.locator("#confirmation-code").inner_text().strip()
    private_link = page.locator("#confirmation-link").get_attribute("href")
    assert private_link and "?t=" in private_link

    with Session(engine) as db:
        report = db.scalars(select(Report).where(Report.tracking_code == code)).one()
        at = db.execute(
            select(func.ST_Y(Report.location), func.ST_X(Report.location)).where(
                Report.id == report.id
            )
        ).one()
        agency = db.get_one(Agency, report.suggested_agency_id)
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
    expect(page.locator("#confirmation")).to_be_visible(timeout=30_000)

    assert len(keys) == 2 and keys[0] and keys[0] == keys[1]
    with Session(engine) as db:
        filed = db.scalars(select(Report).where(Report.description == description)).all()
    assert len(filed) == 1
    code = filed[0].tracking_code
    expect(page.locator("#confirmation-code")).to_have_text(code)
    # The next visit: no stale "not sent yet" banner, and the report is among "My reports".
    page.goto(f"{live_server}/report")
    expect(page.locator("#report-form")).to_be_visible()
    expect(page.locator("#report-form[data-draft]")).to_have_count(1)  # the draft was looked for
    expect(page.locator("#draft-banner")).to_be_hidden()
    assert page.evaluate(DRAFT) is None
    page.goto(f"{live_server}/my-reports")
    expect(page.locator("#my-reports li", has_text=code)).to_be_visible()


def test_a_resident_follows_an_unverified_report_nearby_instead(
    page: Page, live_server: str, engine: Engine
) -> None:
    # Someone else reported a problem here a moment ago; it waits for verification, so the hint
    # shows its category, distance and age, never its code, and "follow" goes through a handle.
    lat = 10.3736 + random.uniform(-0.0004, 0.0004)
    lon = 107.0950 + random.uniform(-0.0004, 0.0004)
    earlier = httpx.post(
        f"{live_server}/api/v1/reports",
        data={"category": "cay-xanh", "lat": str(lat), "lon": str(lon), "description": "Cây đổ"},
        files=[("photos", ("", b"", "application/octet-stream"))],
        headers={"Accept": "application/json"},
    )
    assert earlier.status_code == 201, earlier.text
    code = earlier.json()["tracking_code"]
    photo = samples.jpeg((800, 600), exif=samples.exif_block(gps=(lat, lon)))
    page.set_viewport_size({"width": 360, "height": 740})
    page.goto(f"{live_server}/report")
    page.set_input_files(
        "#photos", files=[FilePayload(name="IMG_0003.jpg", mimeType="image/jpeg", buffer=photo)]
    )
    expect(page.locator("#ward")).to_contain_text("Phường Tam Thắng")
    page.locator("label.cat", has=page.locator("input[value='cay-xanh']")).click()
    hints = page.locator("#nearby-list li", has_text="chờ xác minh")
    expect(hints.first).to_be_visible()
    expect(page.locator("#nearby-list")).not_to_contain_text(code)
    expect(page.locator("#nearby-list")).not_to_contain_text("Cây đổ")
    page.locator("details.contact summary").click()
    page.fill("#phone", "0900000003")
    with Session(engine) as db:
        report = db.scalars(select(Report).where(Report.tracking_code == code)).one()
        before = db.scalar(
            select(func.count()).select_from(Follower).where(Follower.report_id == report.id)
        )
    # Follow each waiting report shown until this one has a new follower (others may be near).
    for index in range(hints.count()):
        button = hints.nth(index).locator("button.follow")
        button.click()
        expect(button).to_have_text("Bạn đang theo dõi phản ánh này. Cảm ơn bạn!")
    with Session(engine) as db:
        followers = db.scalars(select(Follower).where(Follower.report_id == report.id)).all()
    assert len(followers) == (before or 0) + 1 and followers[-1].phone == "0900000003"
