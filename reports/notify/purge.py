"""Daily purge of the outbox: messages delivered or given up long ago, with their attempts.

Messages carry residents' phone numbers, addresses and names; once delivered (or given up) they
serve only to answer "was I told?", for a few months. The purge keeps ``notify.keep_days`` of
them and deletes the rest in batches, so that it never holds long locks on a busy outbox.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Final

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from ioc import db, jobs
from ioc.logs import get_logger
from reports.notify.models import Message, MessageState

blueprint = jobs.Blueprint()
log = get_logger("reports.notify.purge")
BATCH: Final = 5000


def purge(session: Session, now: datetime, keep: timedelta) -> int:
    """Delete up to one batch of finished messages older than ``keep``; the number deleted."""
    finished_at = func.coalesce(Message.sent_at, Message.give_up_at, Message.created_at)
    batch = (
        select(Message.id)
        .where(Message.state.in_((MessageState.sent, MessageState.failed)))
        .where(finished_at < now - keep)
        .limit(BATCH)
    )
    return db.rows_changed(session, delete(Message).where(Message.id.in_(batch.scalar_subquery())))


@blueprint.periodic(cron="41 3 * * *")
@blueprint.task(name="reports.notify.purge", pass_context=True, lock="reports.notify.purge")
def purge_messages(context: jobs.JobContext, timestamp: int) -> int:
    """Daily: purge the finished messages past the kept period, batch by batch; how many."""
    found = jobs.resources(context)
    keep = timedelta(days=found.settings.notify.keep_days)
    removed = 0
    while True:
        with db.session_scope(found.sessionmaker) as session:
            done = purge(session, db.utcnow(), keep)
        removed += done
        if done < BATCH:
            break
    log.info("notifications_purged", scheduled=timestamp, removed=removed)
    return removed
