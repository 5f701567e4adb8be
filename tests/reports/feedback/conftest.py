"""Fixtures of the rating tests: a report whose result is published, with its private token."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from reports.feedback.models import Rating
from reports.models import Report
from tests.reports.conftest import Post, photo
from tests.reports.lifecycle.conftest import Act, Cast, act, cast

__all__ = ["act", "cast"]  # the lifecycle's fixtures, used here too
PHONE = "0901234567"


@dataclass(frozen=True)
class Filed:
    """A report, its tracking code and the reporter's private token."""

    report: Report
    code: str
    token: str


def file(post: Post, dbs: Session, **fields: Any) -> Filed:
    """A pothole report in Phường Tam Thắng, filed through the API."""
    created = post(category="giao-thong", description="Ổ gà", photos=[photo()], **fields)
    assert created.status_code == 201, created.text
    body = created.json()
    token = parse_qs(urlsplit(body["links"]["private_api"]).query)["token"][0]
    return Filed(dbs.get_one(Report, body["id"]), body["tracking_code"], token)


def publish(dbs: Session, act: Act, cast: Cast, report: Report) -> None:
    """Forward, accept, resolve and publish (each step committed to the test's savepoint)."""
    act(report, "verify_forward", cast.operator)
    act(report, "accept", cast.agency_a)
    act(report, "resolve", cast.agency_a, note="Đã vá ổ gà", photos=1)
    act(report, "approve_result", cast.operator)
    dbs.commit()


@pytest.fixture
def filed(post: Post, dbs: Session) -> Filed:
    """A submitted report with the reporter's phone."""
    return file(post, dbs, phone=PHONE)


@pytest.fixture
def published(filed: Filed, dbs: Session, act: Act, cast: Cast) -> Filed:
    """The report, its result published just now."""
    publish(dbs, act, cast, filed.report)
    return filed


def ratings(dbs: Session, report: Report) -> list[tuple[Any, ...]]:
    """The report's ratings as (follower, value, comment, changes), read afresh."""
    dbs.expire_all()
    rows = dbs.execute(
        select(Rating.follower_id, Rating.value, Rating.comment, Rating.changes)
        .where(Rating.report_id == report.id)
        .order_by(Rating.id)
    )
    return [tuple(row) for row in rows]


def rating_count(dbs: Session) -> int:
    """How many ratings this test wrote (browser tests commit theirs: those came before ``now()``,
    the start of the test's transaction)."""
    written = select(func.count()).select_from(Rating).where(Rating.created_at >= func.now())
    return dbs.scalar(written) or 0
