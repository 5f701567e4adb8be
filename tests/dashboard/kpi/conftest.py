"""Fixtures of the KPI tests: a small story set on days far from any other data."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

import pytest
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from ioc.settings import Settings
from reports.lifecycle.service import mark_overdue
from reports.models import Report
from routing.models import Agency
from routing.sla import VN_TZ
from tests.reports.conftest import Post, photo
from tests.reports.lifecycle.conftest import AGENCY_A, AGENCY_B, Act, Cast

DAY = date(2030, 3, 4)  # a Monday with no other event in the test database


def at(days: int, hour: int, minute: int = 0) -> datetime:
    """A moment ``days`` after DAY, Vietnam time."""
    return datetime.combine(DAY + timedelta(days=days), datetime.min.time(), tzinfo=VN_TZ).replace(
        hour=hour, minute=minute
    )


@dataclass(frozen=True)
class Stories:
    """The agencies' ids and the reports of the story set."""

    a: int
    b: int
    reports: dict[str, Report]


def _filed(post: Post, dbs: Session, created: datetime) -> Report:
    answer = post(category="giao-thong", description="Ổ gà", photos=[photo()])
    report = dbs.get_one(Report, answer.json()["id"])
    dbs.execute(update(Report).where(Report.id == report.id).values(created_at=created))
    return report


@pytest.fixture
def stories(post: Post, act: Act, cast: Cast, dbs: Session, settings: Settings) -> Stories:
    """Five reports along the lifecycle over DAY .. DAY+2 (see test_rollup.EXPECTED)."""
    r = {name: _filed(post, dbs, at(0, 8)) for name in ("on_time", "late", "moved", "again", "ioc")}
    act(r["on_time"], "verify_forward", cast.operator, now=at(0, 8, 30))
    act(r["on_time"], "accept", cast.agency_a, now=at(0, 9))
    act(r["on_time"], "resolve", cast.agency_a, photos=1, note="Xong", now=at(0, 10))
    act(r["on_time"], "approve_result", cast.operator, now=at(0, 11))  # 3 h
    act(r["late"], "verify_forward", cast.operator, now=at(0, 8, 10))
    assert mark_overdue(dbs, settings, r["late"].id, at(2, 9)) is not None
    act(r["late"], "accept", cast.agency_a, now=at(2, 10))
    act(r["late"], "resolve", cast.agency_a, photos=1, note="Xong", now=at(2, 11))
    act(r["late"], "approve_result", cast.operator, now=at(2, 14))  # 54 h, late
    act(r["moved"], "verify_forward", cast.operator, now=at(0, 9))
    act(r["moved"], "return", cast.agency_a, reason="Không phải của tôi", now=at(0, 10))
    act(r["moved"], "verify_forward", cast.operator, agency=AGENCY_B, now=at(0, 11))
    act(r["moved"], "accept", cast.agency_b, now=at(0, 13))
    act(r["moved"], "resolve", cast.agency_b, photos=1, note="Xong", now=at(0, 14))
    act(r["moved"], "approve_result", cast.operator, now=at(0, 15))  # 7 h, agency B
    act(r["again"], "verify_forward", cast.operator, now=at(0, 8, 30))
    act(r["again"], "accept", cast.agency_a, now=at(0, 9))
    act(r["again"], "resolve", cast.agency_a, photos=1, note="Xong", now=at(0, 12))
    act(r["again"], "approve_result", cast.operator, now=at(0, 16))  # 8 h
    act(r["again"], "reopen", cast.resident, note="Chưa sửa", now=at(1, 9))
    act(r["again"], "verify_forward", cast.operator, now=at(1, 10))
    assert mark_overdue(dbs, settings, r["ioc"].id, at(1, 8)) is not None  # the IOC's own
    dbs.flush()
    found = dbs.execute(select(Agency.code, Agency.id).where(Agency.code.in_([AGENCY_A, AGENCY_B])))
    ids = {code: agency_id for code, agency_id in found}
    return Stories(ids[AGENCY_A], ids[AGENCY_B], r)
