"""The deadline sweep with a frozen clock: weekends, Tết, urgent nights, moved and closed deadlines.

Reports are filed through the real intake at a given moment (``submit(at=...)``), so that their
deadlines come from routing's working-time calendar exactly as a resident's would.
"""

from __future__ import annotations

import hashlib
from datetime import datetime, timedelta
from itertools import count

import pytest
from sqlalchemy import select, text
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.orm import Session, sessionmaker

from ioc import db, jobs
from ioc.app import job_app
from ioc.settings import Settings
from reports.intake import service as intake
from reports.intake.submission import Submission
from reports.lifecycle import sweep as deadline_sweep
from reports.media.store import MediaStore
from reports.models import ActorKind, LocationSource, Report, ReportEvent, ReportState
from routing.sla import VN_TZ, _official_days
from tests.ioc.test_jobs import clear_queue, run_until_empty
from tests.reports.conftest import TAM_THANG, photo
from tests.reports.lifecycle.conftest import Act, Cast

_keys = count(1)


def vn(year: int, month: int, day: int, hour: int, minute: int = 0) -> datetime:
    """A moment on Vietnam's clock."""
    return datetime(year, month, day, hour, minute, tzinfo=VN_TZ)


def file_at(dbs: Session, settings: Settings, at: datetime, category: str = "giao-thong") -> Report:
    """A report filed through the real intake at ``at`` (a pothole in Phường Tam Thắng)."""
    key = f"sweep-test-{next(_keys)}"
    sub = Submission(
        category=category,
        description="Ổ gà",
        lat=TAM_THANG[0],
        lon=TAM_THANG[1],
        location_source=LocationSource.map,
        office=None,
        name=None,
        phone=None,
        email=None,
        keep_private=True,
        photos=[photo()],
        video=None,
        idempotency_key=key,
        fingerprint=hashlib.sha256(key.encode()).hexdigest(),
    )
    store = MediaStore(settings.media_dir)
    return intake.submit(dbs, store, settings, sub, "198.51.100.7", at=at).report


def overdue_events(dbs: Session, report: Report) -> list[ReportEvent]:
    """The report's "overdue" events, oldest first."""
    stmt = (
        select(ReportEvent)
        .where(ReportEvent.report_id == report.id, ReportEvent.action == "overdue")
        .order_by(ReportEvent.id)
    )
    return list(dbs.scalars(stmt))


def sweep_at(dbs: Session, settings: Settings, now: datetime, report: Report) -> bool:
    """Run one pass at ``now``; whether ``report`` is overdue afterwards."""
    deadline_sweep.sweep(dbs, settings, now)
    dbs.refresh(report)
    return report.overdue


def test_a_report_filed_on_friday_afternoon_is_not_overdue_over_the_weekend(
    dbs: Session, settings: Settings
) -> None:
    filed = vn(2026, 6, 12, 16)  # a Friday
    report = file_at(dbs, settings, filed)
    # 2 working hours: 16:00-17:00 on Friday, then 07:30-08:30 on Monday.
    assert report.due_at == report.verify_by == vn(2026, 6, 15, 8, 30)
    for now in (vn(2026, 6, 13, 10), vn(2026, 6, 14, 23), vn(2026, 6, 15, 7, 45)):
        assert not sweep_at(dbs, settings, now, report), now
    assert not sweep_at(dbs, settings, vn(2026, 6, 15, 8, 30), report)  # due, not yet past
    late = vn(2026, 6, 15, 8, 31)
    assert sweep_at(dbs, settings, late, report)
    assert report.verify_by is not None and report.overdue_since == report.verify_by
    [event] = overdue_events(dbs, report)
    assert event.at == late and event.actor_kind == ActorKind.system
    assert event.from_state == event.to_state == ReportState.submitted
    assert event.payload == {"stage": "verify", "due": report.verify_by.isoformat(), "agency": None}


def test_a_report_filed_just_before_tet_is_due_after_the_holiday(
    dbs: Session, settings: Settings
) -> None:
    days_off, _ = _official_days(2027)
    tet = [vn(2027, 2, day, 12).date() for day in range(4, 11)]
    assert set(tet) <= days_off  # the calendar's Tết of 2027: Thursday 4 to Wednesday 10 February
    report = file_at(dbs, settings, vn(2027, 2, 3, 16, 30))  # the last working afternoon
    # Half an hour on 3 February, then 07:30-09:00 on the first working day after Tết.
    assert report.verify_by == vn(2027, 2, 11, 9)
    holiday = (vn(2027, 2, 4, 8), vn(2027, 2, 8, 10), vn(2027, 2, 10, 16, 59), vn(2027, 2, 11, 8))
    for now in holiday:
        assert not sweep_at(dbs, settings, now, report), now
    assert sweep_at(dbs, settings, vn(2027, 2, 11, 9, 1), report)
    assert len(overdue_events(dbs, report)) == 1


def test_an_urgent_report_counts_calendar_hours_and_is_overdue_at_night(
    dbs: Session, settings: Settings
) -> None:
    report = file_at(dbs, settings, vn(2026, 6, 12, 22), category="dien-luc")  # urgent
    assert report.priority == "urgent" and report.verify_by == vn(2026, 6, 13, 0)
    assert not sweep_at(dbs, settings, vn(2026, 6, 12, 23, 59), report)
    assert sweep_at(dbs, settings, vn(2026, 6, 13, 0, 1), report)  # Saturday, after midnight


def test_running_the_sweep_twice_makes_one_event(dbs: Session, settings: Settings) -> None:
    report = file_at(dbs, settings, vn(2026, 6, 12, 16))
    late = vn(2026, 6, 16, 9)
    assert deadline_sweep.sweep(dbs, settings, late) >= 1
    assert deadline_sweep.sweep(dbs, settings, late + timedelta(minutes=1)) == 0
    assert sweep_at(dbs, settings, late + timedelta(hours=5), report)
    assert len(overdue_events(dbs, report)) == 1


def test_a_forwarded_report_is_judged_against_its_new_deadline(
    dbs: Session, settings: Settings, act: Act, cast: Cast
) -> None:
    report = file_at(dbs, settings, vn(2026, 6, 12, 16))
    act(report, "verify_forward", cast.operator, now=vn(2026, 6, 15, 8))  # before 08:30
    # 8 working hours from Monday 08:00: 3.5 h + 4 h on Monday, half an hour on Tuesday.
    assert report.due_at == report.accept_by == vn(2026, 6, 16, 8)
    assert not sweep_at(dbs, settings, vn(2026, 6, 15, 16), report)  # verify_by has passed
    assert sweep_at(dbs, settings, vn(2026, 6, 16, 8, 1), report)
    assert [e.payload["stage"] for e in overdue_events(dbs, report)] == ["accept"]
    assert overdue_events(dbs, report)[0].payload["agency"] == cast.agency_a.agency_id


def test_a_new_stage_clears_the_flag_and_can_be_overdue_again(
    dbs: Session, settings: Settings, act: Act, cast: Cast
) -> None:
    report = file_at(dbs, settings, vn(2026, 6, 12, 16))
    assert sweep_at(dbs, settings, vn(2026, 6, 15, 9), report)  # verification late
    act(report, "verify_forward", cast.operator, now=vn(2026, 6, 15, 9, 30))
    assert not report.overdue and report.overdue_since is None
    assert not sweep_at(dbs, settings, vn(2026, 6, 15, 17), report)
    act(report, "accept", cast.agency_a, now=vn(2026, 6, 15, 17, 30))
    resolve_by = report.resolve_by
    assert resolve_by is not None and report.due_at == resolve_by
    assert not sweep_at(dbs, settings, resolve_by, report)
    assert sweep_at(dbs, settings, resolve_by + timedelta(minutes=1), report)
    stages = [e.payload["stage"] for e in overdue_events(dbs, report)]
    assert stages == ["verify", "resolve"]


@pytest.mark.parametrize("ending", ["reject", "publish"])
def test_a_closed_report_is_never_marked(
    dbs: Session, settings: Settings, act: Act, cast: Cast, ending: str
) -> None:
    report = file_at(dbs, settings, vn(2026, 6, 12, 16))
    monday = vn(2026, 6, 15, 8)
    if ending == "reject":
        act(report, "reject", cast.operator, reason="Không đủ thông tin", now=monday)
    else:
        act(report, "verify_forward", cast.operator, now=monday)
        act(report, "accept", cast.agency_a, now=monday + timedelta(hours=1))
        act(report, "resolve", cast.agency_a, note="Đã vá", photos=1, now=monday.replace(hour=10))
        act(report, "approve_result", cast.operator, now=monday.replace(hour=11))
    assert report.due_at is None
    for now in (vn(2026, 6, 16, 9), vn(2026, 12, 31, 23)):
        assert not sweep_at(dbs, settings, now, report)
    assert overdue_events(dbs, report) == []


def test_small_batches_reach_every_overdue_report(dbs: Session, settings: Settings) -> None:
    reports = [file_at(dbs, settings, vn(2026, 6, 12, 14 + i)) for i in range(3)]
    assert deadline_sweep.sweep(dbs, settings, vn(2026, 6, 16, 12), limit=1) >= 3
    for report in reports:
        dbs.refresh(report)
        assert report.overdue and len(overdue_events(dbs, report)) == 1


def test_the_sweep_runs_on_the_real_job_queue(
    dbs: Session, connection: Connection, engine: Engine, settings: Settings
) -> None:
    # Filed a month ago: its verification deadline has passed, whatever the holidays.
    report = file_at(dbs, settings, db.utcnow() - timedelta(days=30))
    dbs.flush()
    # The task's sessions join this test's transaction (rolled back at the end); the job itself
    # is committed, since the worker fetches it through procrastinate's own connection.
    found = jobs.Resources(
        settings,
        sessionmaker(bind=connection, join_transaction_mode="create_savepoint"),
    )
    try:
        with db.session_scope(db.make_sessionmaker(engine)) as session:
            job_id = jobs.defer(session, deadline_sweep.sweep_overdue, timestamp=0)
        assert job_id is not None
        run_until_empty(jobs.make_app(db.database_url(settings), [deadline_sweep.blueprint]), found)
        with engine.connect() as other:
            left = other.execute(
                text("SELECT count(*) FROM procrastinate_jobs WHERE id = :id"), {"id": job_id}
            ).scalar_one()
        assert left == 0  # it succeeded
    finally:
        clear_queue(engine)
    dbs.refresh(report)
    assert report.overdue and [e.payload["stage"] for e in overdue_events(dbs, report)] == [
        "verify"
    ]


def test_the_worker_runs_the_sweep_every_minute(settings: Settings) -> None:
    app = job_app(settings)
    assert app.tasks["reports.sweep_overdue"] is deadline_sweep.sweep_overdue
    periodic = app.periodic_registry.periodic_tasks[("reports.sweep_overdue", "")]
    assert periodic.cron == "* * * * *"
