"""The daily rollups, kept by the job queue: today and yesterday every five minutes, plus days
never rolled up (oldest history last); ``ioc kpi rebuild`` recomputes any range.

Rolling up a range deletes its rows and writes them again from the events in one transaction,
so running it twice, or after late events, gives the same rows. An advisory lock keeps the job
and the command from rolling up at the same time.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime, timedelta
from typing import Any, Final

from sqlalchemy import delete, func, select, text
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.orm import Session

from dashboard.kpi import queries as q
from dashboard.kpi.figures import today
from dashboard.kpi.models import KpiDaily, KpiDuration, KpiRollupDay
from ioc import db, jobs
from ioc.logs import get_logger

blueprint = jobs.Blueprint()
log = get_logger("dashboard.kpi.rollup")

CHUNK_DAYS: Final = 31  # days rolled up by one statement (a month of events)
MISSING_PER_RUN: Final = 31  # days never rolled up that one run of the job fills in
_LOCK = text("SELECT pg_advisory_xact_lock(hashtext('dashboard.kpi_rollup'))")
_MISSING = text(
    """
    SELECT d::date AS day FROM generate_series(CAST(:first AS date), CAST(:last AS date),
                                               interval '1 day') AS d
    WHERE NOT EXISTS (
        SELECT 1 FROM kpi_rollup_days k WHERE k.day = d::date
        AND k.computed_at >= ((d::date + 1)::timestamp AT TIME ZONE 'Asia/Ho_Chi_Minh') + :grace)
    ORDER BY d DESC LIMIT :limit
    """
)


def roll_up(session: Session, first: date, last: date, now: datetime) -> int:
    """Recompute the rollups of the Vietnam days ``first`` to ``last``; the rows written."""
    session.execute(_LOCK)
    for model in (KpiDaily, KpiDuration):
        session.execute(delete(model).where(model.day.between(first, last)))
    counts: list[dict[str, Any]] = []
    durations: list[dict[str, Any]] = []
    for row in session.execute(q.facts(first, last)):
        keys = {"day": row.day, "agency_id": row.agency_id, "category_id": row.category_id}
        if row.whole:
            counts.append(keys | {name: getattr(row, name) for name in q.COUNTS})
        elif row.bucket is not None:
            durations.append(keys | {"bucket": row.bucket, "n": row.n})
    for model, rows in ((KpiDaily, counts), (KpiDuration, durations)):
        if rows:
            session.execute(insert(model), rows)
    done = [{"day": day, "computed_at": now} for day in _days(first, last)]
    stmt = insert(KpiRollupDay).values(done)
    session.execute(stmt.on_conflict_do_update(index_elements=["day"], set_={"computed_at": now}))
    return len(counts) + len(durations)


def _days(first: date, last: date) -> Iterable[date]:
    return (first + timedelta(days=n) for n in range((last - first).days + 1))


def missing_days(session: Session, until: date, limit: int) -> list[date]:
    """Days since the first event, up to ``until``, with no final rollup (newest first)."""
    first = session.scalar(q.first_event_day())
    if first is None or first > until:
        return []
    params = {"first": first, "last": until, "grace": q.GRACE, "limit": limit}
    return list(session.scalars(_MISSING, params))


def refresh(session: Session, now: datetime) -> list[date]:
    """One run of the job: today, yesterday and some missing days; the days rolled up."""
    current = today(now)
    yesterday = current - timedelta(days=1)
    roll_up(session, yesterday, current, now)
    missing = [d for d in missing_days(session, yesterday, MISSING_PER_RUN) if d < yesterday]
    for day in missing:
        roll_up(session, day, day, now)
    return [yesterday, current, *missing]


def rebuild(session: Session, first: date | None, last: date | None, now: datetime) -> int:
    """Recompute a range (default: from the first event to today) a month at a time."""
    last = last or today(now)
    first = first or session.scalar(q.first_event_day()) or last
    days, start = 0, first
    while start <= last:
        end = min(last, start + timedelta(days=CHUNK_DAYS - 1))
        roll_up(session, start, end, now)
        session.commit()
        days += (end - start).days + 1
        start = end + timedelta(days=1)
    return days


def rolled_up_rows(session: Session) -> int:
    """How many rollup rows there are (for the command's summary)."""
    return session.scalar(select(func.count()).select_from(KpiDaily)) or 0


@blueprint.periodic(cron="*/5 * * * *")
@blueprint.task(
    name="dashboard.kpi_rollup",
    pass_context=True,
    lock="dashboard.kpi_rollup",
    queueing_lock="dashboard.kpi_rollup",
)
def kpi_rollup(context: jobs.JobContext, timestamp: int) -> int:
    """Every five minutes: roll up yesterday and today, and fill in some missing days."""
    found = jobs.resources(context)
    with db.session_scope(found.sessionmaker) as session:
        days = refresh(session, db.utcnow())
    log.info("kpi_rolled_up", scheduled=timestamp, days=len(days))
    return len(days)
