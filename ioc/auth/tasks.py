"""Periodic clean-up of sign-in records: counter windows that ended, revoked tokens that expired.

Neither is needed once its time is past; without this the tables would keep one row per address
and per token forever.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import delete
from sqlalchemy.orm import Session

from ioc import db, jobs
from ioc.auth.models import LoginThrottle, RevokedToken
from ioc.logs import get_logger
from ioc.settings import Settings

blueprint = jobs.Blueprint()
log = get_logger("ioc.auth.tasks")


def prune(session: Session, settings: Settings, now: datetime) -> int:
    """Delete the throttle windows that have ended and the revocations past their token's expiry."""
    window = timedelta(minutes=settings.login_window_minutes)
    ended = delete(LoginThrottle).where(LoginThrottle.window_start <= now - window)
    expired = delete(RevokedToken).where(RevokedToken.expires_at <= now)
    return sum(db.rows_changed(session, statement) for statement in (ended, expired))


@blueprint.periodic(cron="23 * * * *")
@blueprint.task(name="ioc.prune_sign_in_records", pass_context=True, lock="ioc.prune_sign_in")
def prune_sign_in_records(context: jobs.JobContext, timestamp: int) -> int:
    """Hourly: prune the sign-in records; the number of rows removed."""
    found = jobs.resources(context)
    with db.session_scope(found.sessionmaker) as session:
        removed = prune(session, found.settings, db.utcnow())
    log.info("sign_in_records_pruned", scheduled=timestamp, removed=removed)
    return removed
