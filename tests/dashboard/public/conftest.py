"""Fixtures of the public site's tests: reports in every kind of state, with private contacts."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

import pytest
from sqlalchemy import text, update
from sqlalchemy.orm import Session

from ioc.db import utcnow
from ioc.settings import Settings
from reports.lifecycle.service import mark_overdue
from reports.models import Report
from tests.reports.conftest import PHU_XUAN, Post, photo
from tests.reports.lifecycle.conftest import Act, Cast

NAME, PHONE, EMAIL = "Nguyễn Thị Bí Mật", "0987654321", "bimat@example.vn"


@dataclass(frozen=True)
class World:
    """Reports of the public tests, by role."""

    published: Report  # on time, with an after-photo and the agency's answer
    late: Report  # published after a missed deadline
    in_progress: Report  # in Huế (Phường Phú Xuân), being handled
    submitted: Report  # not verified: never public
    rejected: Report
    duplicate: Report
    started: datetime

    def private(self) -> list[str]:
        """Strings that no public response may contain."""
        return [NAME, PHONE, EMAIL, self.submitted.tracking_code, self.submitted.description]


def file(
    post: Post, dbs: Session, description: str, where: tuple[float, float] | None = None
) -> Report:
    """File a report with the reporter's full identity."""
    fields = {"lat": where[0], "lon": where[1]} if where else {}
    answer = post(
        category="giao-thong",
        description=description,
        photos=[photo(where) if where else photo()],
        name=NAME,
        phone=PHONE,
        email=EMAIL,
        **fields,
    )
    assert answer.status_code == 201, answer.text
    return dbs.get_one(Report, answer.json()["id"])


def publish(act: Act, cast: Cast, report: Report, now: datetime) -> None:
    """Forward, accept, resolve with an after-photo, and publish."""
    act(report, "verify_forward", cast.operator, now=now)
    act(report, "accept", cast.agency_a, now=now + timedelta(minutes=30))
    act(
        report,
        "resolve",
        cast.agency_a,
        photos=1,
        note="Đã vá xong mặt đường",
        now=now + timedelta(hours=1),
    )
    act(report, "approve_result", cast.operator, now=now + timedelta(hours=2))


@pytest.fixture
def world(post: Post, act: Act, cast: Cast, dbs: Session, settings: Settings) -> World:
    """Six reports: two published (one late), one in progress, three never public."""
    started = utcnow() - timedelta(days=10)
    published = file(post, dbs, "Ổ gà lớn trên đường Võ Thị Sáu, Vũng Tàu")
    publish(act, cast, published, started)
    late = file(post, dbs, "Đèn đường hỏng trước chợ")
    act(late, "verify_forward", cast.operator, now=started)
    # Missed by a minute, whatever the weekday and holidays of ``started`` made the deadline.
    assert late.accept_by is not None
    missed = late.accept_by + timedelta(minutes=1)
    assert mark_overdue(dbs, settings, late.id, missed) is not None
    act(late, "accept", cast.agency_a, now=missed + timedelta(hours=1))
    act(
        late,
        "resolve",
        cast.agency_a,
        photos=1,
        note="Đã thay bóng",
        now=missed + timedelta(hours=2),
    )
    act(late, "approve_result", cast.operator, now=missed + timedelta(hours=3))
    in_progress = file(post, dbs, "Cây đổ chắn lối vào Đại Nội", PHU_XUAN)
    act(in_progress, "verify_forward", cast.operator, now=started)
    submitted = file(post, dbs, "Chưa xác minh bí mật xyzzy")
    rejected = file(post, dbs, "Bị từ chối plugh")
    act(rejected, "reject", cast.operator, reason="Thiếu thông tin", now=started)
    duplicate = file(post, dbs, "Trùng lặp frobnitz")
    act(duplicate, "mark_duplicate", cast.operator, of=published.tracking_code, now=started)
    dbs.execute(
        update(Report)
        .values(created_at=started - timedelta(hours=1))
        .where(Report.id.in_([published.id, late.id, in_progress.id]))
    )
    dbs.flush()
    return World(published, late, in_progress, submitted, rejected, duplicate, started)


COPIES = text(
    """
INSERT INTO reports (tracking_code, state, category_id, description, location, location_source,
    ward_id, agency_id, priority, routing_reason, outside_coverage, overdue, version, locale,
    keep_identity_private, status_token_hash, submitter_key, created_at, updated_at)
SELECT 'PX-' || n, 'assigned', category_id, 'Rác thải chất đống số ' || n, location,
    location_source, ward_id, agency_id, priority, '', false, false, 1, 'vi', true,
    status_token_hash, submitter_key, created_at - make_interval(mins => n), updated_at
FROM reports, generate_series(1, :n) AS n WHERE id = :id
"""
)


def copies(dbs: Session, report: Report, n: int) -> None:
    """``n`` public copies of a report with other words (so that a planner sees a real table)."""
    dbs.execute(COPIES, {"n": n, "id": report.id})
    dbs.execute(text("ANALYZE reports"))
