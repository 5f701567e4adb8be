"""The delivery job: deferred with the messages (one waiting job at most) and every 10 seconds.

The periodic run picks up what the deferred one could not: retries whose backoff has passed,
messages whose worker died (their lease has ended), and the rare message committed just after a
waiting job had started (its own defer found that job waiting and was skipped).
"""

from __future__ import annotations

import asyncio

from ioc import db, jobs
from ioc.logs import get_logger
from reports.notify import delivery

blueprint = jobs.Blueprint()
log = get_logger("reports.notify")
TASK = "reports.notify.deliver"


@blueprint.periodic(cron="* * * * * */10")
@blueprint.task(name=TASK, pass_context=True, queueing_lock=TASK)
async def deliver(context: jobs.JobContext, timestamp: int) -> int:
    """Deliver what is due for the configured time; hand over to a new job if more remains."""
    found = jobs.resources(context)
    done = await delivery.drain(
        found.settings, found.sessionmaker, found.settings.notify.job_seconds
    )
    if done.more:
        await asyncio.to_thread(_defer_again, found)
    if done.sent or done.retried or done.failed:
        log.info(
            "notifications_delivered",
            scheduled=timestamp,
            sent=done.sent,
            retried=done.retried,
            failed=done.failed,
            more=done.more,
        )
    return done.sent


def _defer_again(found: jobs.Resources) -> None:
    with db.session_scope(found.sessionmaker) as session:
        jobs.defer(session, deliver, timestamp=0)
