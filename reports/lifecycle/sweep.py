"""The deadline sweep: every minute, flag the open reports whose stage deadline has passed.

A report waits on one deadline at a time (``due_at``: verify, accept or resolve, see
``steps.stage_due``). Once it has passed, ``service.mark_overdue`` sets ``overdue`` and
``overdue_since``, writes one "overdue" event and queues the alerts; a later action that starts
another stage clears the flag (``steps.set_due``), and the event stays in the timeline.

Candidates come from the (state, due_at) index, in batches ordered by deadline, locked with
``SKIP LOCKED``: a report someone is acting on right now is left for the next run, which is a
minute away, rather than waited for. The job commits after each batch.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Final

from sqlalchemy import Select, select, tuple_
from sqlalchemy.orm import Session

from ioc import db, jobs
from ioc.logs import get_logger
from ioc.settings import Settings
from reports.lifecycle.service import mark_overdue
from reports.lifecycle.steps import WAITING_FOR_IOC
from reports.models import Report, ReportState

blueprint = jobs.Blueprint()
log = get_logger("reports.lifecycle.sweep")

BATCH: Final = 200
# The states that wait on a deadline (the others have none: due_at is None).
TIMED_STATES: Final = (*sorted(WAITING_FOR_IOC), ReportState.assigned, ReportState.in_progress)

Position = tuple[datetime, int]  # (due_at, id) of the last report of a batch


@dataclass(frozen=True)
class Batch:
    """One batch: how many reports it flagged, and where the next one starts (None: done)."""

    marked: int
    last: Position | None


def candidates(now: datetime, after: Position | None, limit: int) -> Select[int, datetime | None]:
    """Unflagged open reports due before ``now``, by deadline, locked unless already locked."""
    stmt = select(Report.id, Report.due_at).where(
        Report.state.in_(TIMED_STATES),
        Report.due_at < now,
        Report.overdue.is_(False),
    )
    if after is not None:
        stmt = stmt.where(tuple_(Report.due_at, Report.id) > after)
    return (
        stmt.order_by(Report.due_at, Report.id)
        .limit(limit)
        .with_for_update(of=Report, skip_locked=True)
    )


def sweep_batch(
    session: Session,
    settings: Settings,
    now: datetime,
    after: Position | None = None,
    limit: int = BATCH,
) -> Batch:
    """Flag one batch of overdue reports (in the caller's transaction)."""
    rows = session.execute(candidates(now, after, limit)).all()
    marked = sum(mark_overdue(session, settings, row.id, now) is not None for row in rows)
    if len(rows) < limit:
        return Batch(marked, None)
    due_at, report_id = rows[-1].due_at, rows[-1].id
    assert due_at is not None  # the query compares it with now
    return Batch(marked, (due_at, report_id))


def _batches(run: Callable[[Position | None], Batch]) -> int:
    """Run batches, each from where the previous one stopped; the number flagged in all."""
    marked, after = 0, None
    while True:
        batch = run(after)
        marked += batch.marked
        if batch.last is None:
            return marked
        after = batch.last


def sweep(session: Session, settings: Settings, now: datetime, limit: int = BATCH) -> int:
    """One whole pass in the caller's transaction; the number of reports flagged."""
    return _batches(lambda after: sweep_batch(session, settings, now, after, limit))


@blueprint.periodic(cron="* * * * *")
@blueprint.task(
    name="reports.sweep_overdue",
    pass_context=True,
    lock="reports.sweep_overdue",
    queueing_lock="reports.sweep_overdue",
)
def sweep_overdue(context: jobs.JobContext, timestamp: int) -> int:
    """Every minute: flag the reports past their deadline, a transaction per batch."""
    found = jobs.resources(context)
    now = db.utcnow()

    def run(after: Position | None) -> Batch:
        with db.session_scope(found.sessionmaker) as session:
            return sweep_batch(session, found.settings, now, after)

    marked = _batches(run)
    if marked:
        log.info("reports_overdue", scheduled=timestamp, marked=marked)
    return marked
