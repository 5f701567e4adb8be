"""In headless Chromium at 360 × 740 (a small phone): the resident opens the private link of a
published report, rates the result and changes the rating; a second report is reopened with a
note ("not fixed"), ends in state reopened, and the IOC is alerted (the outbox)."""

from __future__ import annotations

import io
import random
from collections.abc import Iterator

import httpx
import pytest
from playwright.sync_api import Browser, Page, expect
from sqlalchemy import select
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from ioc.app import create_app
from ioc.auth.models import User
from ioc.settings import NotifySettings, Settings
from reports.feedback.models import Rating, RatingValue
from reports.lifecycle.service import ActionInput, Actor, apply_action
from reports.media.store import MediaStore, prepare_photo
from reports.models import ActorKind, Report, ReportEvent, ReportState
from reports.notify.models import Audience, Message
from tests.ioc.serving import served
from tests.reports import media_samples as samples

pytestmark = pytest.mark.e2e

HERE = (10.3650, 107.1050)  # Phường Tam Thắng, away from the nearby-hint tests' place
AGENCY = "ubnd-26526"
IOC_EMAIL = "truc-ban-rating@ioc.example.vn"


@pytest.fixture(scope="module")
def server(
    settings: Settings, engine: Engine, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[str]:
    """The app with an IOC duty address, so that a reopening alerts someone."""
    notify = NotifySettings(
        **{
            **settings.notify.model_dump(),
            "ioc_emails": [IOC_EMAIL],
            "log_file": tmp_path_factory.mktemp("rating-notify") / "messages.log",
        }
    )
    changed = settings.model_copy(update={"notify": notify})
    with served(create_app(changed, engine=engine)) as (host, port):
        yield f"http://{host}:{port}"


@pytest.fixture
def phone(browser: Browser, server: str) -> Iterator[Page]:
    context = browser.new_context(viewport={"width": 360, "height": 740}, locale="vi-VN")
    yield context.new_page()
    context.close()


def _actor(db: Session, username: str) -> Actor:
    user = db.scalars(select(User).where(User.username == username)).one()
    return Actor(ActorKind.staff, user_id=user.id, role=user.role.value)


def _published(server: str, engine: Engine, settings: Settings) -> tuple[int, str]:
    """A pothole filed through the API, forwarded, handled and published by the demo staff."""
    lat = HERE[0] + random.uniform(-0.0004, 0.0004)
    lon = HERE[1] + random.uniform(-0.0004, 0.0004)
    filed = httpx.post(
        f"{server}/api/v1/reports",
        data={"category": "giao-thong", "lat": str(lat), "lon": str(lon), "description": "Ổ gà"},
        files=[("photos", ("p.jpg", samples.jpeg((800, 600)), "image/jpeg"))],
        headers={"Accept": "application/json"},
    )
    assert filed.status_code == 201, filed.text
    report_id: int = filed.json()["id"]
    store = MediaStore(settings.media_dir)
    with Session(engine) as db:
        operator = _actor(db, "operator")
        apply_action(
            db, settings, report_id, "verify_forward", operator, ActionInput(agency=AGENCY)
        )
        staff = db.scalars(select(User).where(User.username == AGENCY)).one()
        agency_id = db.scalar(select(Report.agency_id).where(Report.id == report_id))
        agency = Actor(
            ActorKind.staff, user_id=staff.id, role=staff.role.value, agency_id=agency_id
        )
        apply_action(db, settings, report_id, "accept", agency, ActionInput())
        after = [prepare_photo(io.BytesIO(samples.jpeg((640, 480))))]
        done = ActionInput(note="Đã vá ổ gà", photos=after)
        apply_action(db, settings, report_id, "resolve", agency, done, store=store)
        apply_action(db, settings, report_id, "approve_result", operator, ActionInput())
        db.commit()
    return report_id, filed.json()["links"]["private_status_page"]


def _fits(phone: Page) -> None:
    width = phone.evaluate("document.documentElement.scrollWidth")
    assert width <= 360, f"the page is {width} px wide on a 360 px screen"


def test_the_resident_rates_changes_the_rating_and_reopens_another(
    phone: Page, server: str, engine: Engine, settings: Settings
) -> None:
    first_id, first_link = _published(server, engine, settings)
    phone.goto(first_link)
    form = phone.locator("#rating-form")
    expect(form).to_be_visible()
    _fits(phone)
    phone.get_by_label("Hài lòng", exact=True).check()
    phone.get_by_label("Ý kiến (không bắt buộc)").fill("Sửa nhanh, cảm ơn")
    phone.get_by_role("button", name="Gửi đánh giá").click()
    expect(phone.locator("#rating-current")).to_have_text("Đánh giá của bạn: Hài lòng")
    phone.get_by_label("Chấp nhận", exact=True).check()
    phone.get_by_role("button", name="Thay đổi đánh giá").click()
    expect(phone.locator("#rating-current")).to_have_text("Đánh giá của bạn: Chấp nhận")
    with Session(engine) as db:
        rating = db.scalars(select(Rating).where(Rating.report_id == first_id)).one()
        assert rating.value == RatingValue.accepted and rating.changes == 1
        assert rating.follower_id is None and rating.comment == "Sửa nhanh, cảm ơn"

    second_id, second_link = _published(server, engine, settings)
    phone.goto(second_link)
    phone.get_by_label("Điều gì vẫn chưa ổn?").fill("Chưa được khắc phục: ổ gà vẫn còn")
    _fits(phone)
    phone.locator("#reopen-form button[type=submit]").click()
    expect(phone.locator("#state")).to_have_text("Mở lại")
    with Session(engine) as db:
        report = db.get_one(Report, second_id)
        assert report.state == ReportState.reopened
        assert report.suggested_agency_id == report.agency_id  # the same agency suggested
        event = db.scalars(
            select(ReportEvent).where(
                ReportEvent.report_id == second_id, ReportEvent.action == "reopen"
            )
        ).one()
        assert event.note == "Chưa được khắc phục: ổ gà vẫn còn"
        alerts = db.scalars(
            select(Message).where(Message.event_id == event.id, Message.audience == Audience.ioc)
        ).all()
        assert [m.recipient for m in alerts] == [IOC_EMAIL]
        assert "Chưa được khắc phục" in alerts[0].body
