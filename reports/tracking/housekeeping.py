"""Periodic clean-up of the reports' counters: lookup windows by tracking code that have ended."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import delete
from sqlalchemy.orm import Session

from ioc import db, jobs
from ioc.logs import get_logger
from reports.models import LookupCounter

blueprint = jobs.Blueprint()
log = get_logger("reports.tracking.housekeeping")
LOOKUP_WINDOW = timedelta(minutes=1)  # the window reports.queries.count_lookup counts in


def prune_lookups(session: Session, now: datetime) -> int:
    """Delete the lookup counters whose minute has ended; the number removed."""
    ended = delete(LookupCounter).where(LookupCounter.window_start <= now - LOOKUP_WINDOW)
    return db.rows_changed(session, ended)


@blueprint.periodic(cron="29 * * * *")
@blueprint.task(name="reports.prune_lookups", pass_context=True, lock="reports.prune_lookups")
def prune_lookup_counters(context: jobs.JobContext, timestamp: int) -> int:
    """Hourly: prune the lookup counters; the number of rows removed."""
    found = jobs.resources(context)
    with db.session_scope(found.sessionmaker) as session:
        removed = prune_lookups(session, db.utcnow())
    log.info("lookup_counters_pruned", scheduled=timestamp, removed=removed)
    return removed
