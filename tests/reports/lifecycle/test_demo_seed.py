"""The demo data along the lifecycle: every state, overdue and on time, consistent timelines.

The seed runs at several moments (a working afternoon, a Monday before work, the first morning
after Tết, now): its stories are placed in working time before that moment, so each must still
reach the state it tells, with deadlines and flags as the sweep would leave them.
"""

from __future__ import annotations

from collections import Counter
from datetime import datetime
from itertools import pairwise
from pathlib import Path

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ioc.auth.models import User
from ioc.db import utcnow
from ioc.settings import Settings
from reports.lifecycle.seed import KEYS, load_demo_lifecycle
from reports.lifecycle.seed_data import STORIES
from reports.models import (
    ExtensionState,
    IdempotencyKey,
    Report,
    ReportEvent,
    ReportMedia,
    ReportState,
)
from routing.models import Agency, AgencyMember
from routing.sla import VN_TZ

S = ReportState
MOMENTS = {
    "wednesday-afternoon": datetime(2026, 6, 17, 15, 10, tzinfo=VN_TZ),
    "monday-before-work": datetime(2026, 6, 15, 6, 45, tzinfo=VN_TZ),
    "after-tet": datetime(2027, 2, 11, 8, 0, tzinfo=VN_TZ),
}


def seeded(dbs: Session) -> list[Report]:
    """The reports of the lifecycle stories."""
    stmt = select(Report).join(IdempotencyKey).where(IdempotencyKey.key.in_(KEYS))
    return list(dbs.scalars(stmt.order_by(Report.id)))


def timeline(dbs: Session, report: Report) -> list[ReportEvent]:
    """A report's events in the order they happened."""
    stmt = select(ReportEvent).where(ReportEvent.report_id == report.id)
    return list(dbs.scalars(stmt.order_by(ReportEvent.at, ReportEvent.id)))


@pytest.fixture
def local(settings: Settings, tmp_path: Path) -> Settings:
    """The settings with a media root of this test's own."""
    return settings.model_copy(update={"media_dir": tmp_path})


@pytest.mark.parametrize("moment", [*MOMENTS, "now"])
def test_every_state_is_shown_with_deadlines_as_the_sweep_leaves_them(
    dbs: Session, local: Settings, moment: str
) -> None:
    now = MOMENTS.get(moment) or utcnow()
    result = load_demo_lifecycle(dbs, local, now=now)
    reports = seeded(dbs)
    assert result.added == len(reports) == len(STORIES)
    states = Counter(r.state for r in reports)
    assert set(states) == set(ReportState), states
    open_ = [r for r in reports if r.due_at is not None]
    for report in open_:
        assert report.overdue == (report.due_at is not None and report.due_at < now)
    assert result.overdue == sum(r.overdue for r in reports) >= 3
    assert any(not r.overdue for r in open_ if r.state != S.submitted)  # some work on time
    extensions = Counter(r.extension_state for r in reports)
    assert {ExtensionState.requested, ExtensionState.approved, ExtensionState.denied} <= set(
        extensions
    )


def test_published_reports_carry_their_after_photos(dbs: Session, local: Settings) -> None:
    load_demo_lifecycle(dbs, local, now=MOMENTS["wednesday-afternoon"])
    published = [r for r in seeded(dbs) if r.state == S.published]
    assert len(published) >= 2
    for report in published:
        [resolve] = [e for e in timeline(dbs, report) if e.action == "resolve"]
        photos = dbs.scalars(select(ReportMedia).where(ReportMedia.event_id == resolve.id)).all()
        assert photos and {p.stage for p in photos} == {"result"}
        assert sorted(resolve.payload["media"]) == sorted(p.id for p in photos)
        assert all((local.media_dir / p.display_path).is_file() for p in photos)
        assert report.result_text and report.published_at is not None


def test_each_timeline_chains_from_state_to_state(dbs: Session, local: Settings) -> None:
    now = MOMENTS["after-tet"]
    load_demo_lifecycle(dbs, local, now=now)
    for report in seeded(dbs):
        events = timeline(dbs, report)
        assert events[0].action == "submit" and events[0].from_state is None
        assert events[0].at == report.created_at
        for before, after in pairwise(events):
            assert after.from_state == before.to_state, (report.tracking_code, after.action)
            assert before.at <= after.at <= now
        assert events[-1].to_state == report.state
        for event in events:
            if event.action == "overdue":
                due = datetime.fromisoformat(event.payload["due"])
                assert event.from_state == event.to_state and due < event.at
        if report.overdue:
            assert events[-1].action == "overdue" and report.due_at is not None
            assert events[-1].payload["due"] == report.due_at.isoformat()


def test_the_agencies_demo_accounts_have_the_work(dbs: Session, local: Settings) -> None:
    result = load_demo_lifecycle(dbs, local, now=MOMENTS["wednesday-afternoon"])
    assert result.agencies
    for code in result.agencies:
        account = dbs.scalar(
            select(User.username)
            .join(AgencyMember, AgencyMember.user_id == User.id)
            .join(Agency, Agency.id == AgencyMember.agency_id)
            .where(Agency.code == code)
        )
        assert account == code  # staff sign in with the agency's code
    for report in seeded(dbs):
        actors = {e.user_id for e in timeline(dbs, report) if e.action in {"accept", "resolve"}}
        if actors:
            [user_id] = actors
            member = dbs.get_one(AgencyMember, user_id)
            assert member.agency_id == report.agency_id


def test_seeding_again_changes_nothing(dbs: Session, local: Settings) -> None:
    now = MOMENTS["wednesday-afternoon"]
    load_demo_lifecycle(dbs, local, now=now)
    tables = (Report, ReportEvent, ReportMedia)
    counts = [dbs.scalar(select(func.count()).select_from(t)) for t in tables]
    assert load_demo_lifecycle(dbs, local, now=now).added == 0
    assert [dbs.scalar(select(func.count()).select_from(t)) for t in tables] == counts
