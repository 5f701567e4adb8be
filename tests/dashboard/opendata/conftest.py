"""Fixtures of the open-data tests: public and private reports with a reporter's identity."""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from reports.models import Report, ReportMedia
from tests.reports.conftest import Post, photo
from tests.reports.lifecycle.conftest import Act, Cast

NAME, PHONE, EMAIL = "Nguyễn Thị Bí Mật", "0912345678", "bi.mat@example.vn"


@dataclass(frozen=True)
class Story:
    """Reports in each kind of state: two public, three that must never be published."""

    forwarded: Report  # assigned: public, no result yet
    published: Report  # its result published
    submitted: Report  # not verified yet
    rejected: Report
    duplicate: Report

    @property
    def public(self) -> list[Report]:
        return [self.forwarded, self.published]

    @property
    def hidden(self) -> list[Report]:
        return [self.submitted, self.rejected, self.duplicate]


def _file(post: Post, dbs: Session, description: str, category: str = "giao-thong") -> Report:
    answer = post(
        category=category,
        description=description,
        photos=[photo()],
        name=NAME,
        phone=PHONE,
        email=EMAIL,
    )
    assert answer.status_code == 201, answer.text
    return dbs.get_one(Report, answer.json()["id"])


@pytest.fixture
def story(post: Post, act: Act, cast: Cast, dbs: Session) -> Story:
    """Each report with the reporter's name, phone and email, and a description of its own."""
    forwarded = _file(post, dbs, "Ổ gà lớn trước chợ")
    act(forwarded, "verify_forward", cast.operator)
    published = _file(post, dbs, "Đèn đường hỏng ở hẻm 5")
    act(published, "verify_forward", cast.operator)
    act(published, "accept", cast.agency_a)
    act(published, "resolve", cast.agency_a, photos=1, note="Đã thay bóng đèn")
    act(published, "approve_result", cast.operator)
    submitted = _file(post, dbs, "Bí mật chưa xác minh số một")
    rejected = _file(post, dbs, "Bí mật bị từ chối số hai")
    act(rejected, "reject", cast.operator, reason="Không đủ thông tin")
    duplicate = _file(post, dbs, "Bí mật trùng lặp số ba")
    act(duplicate, "mark_duplicate", cast.operator, of=forwarded.tracking_code)
    dbs.commit()
    for report in (forwarded, published, submitted, rejected, duplicate):
        dbs.refresh(report)
    return Story(forwarded, published, submitted, rejected, duplicate)


def secrets_of(dbs: Session, story: Story) -> list[str]:
    """What no open-data response may contain."""
    found = [NAME, PHONE, EMAIL]
    for report in story.hidden:
        found += [report.tracking_code, report.description]
    originals = select(ReportMedia.original_path).where(
        ReportMedia.report_id.in_([r.id for r in [*story.public, *story.hidden]])
    )
    found += list(dbs.scalars(originals))
    return found
