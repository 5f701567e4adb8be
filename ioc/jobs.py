"""The job queue: procrastinate, its queue in the project's PostgreSQL.

Feature packages declare their tasks on a ``procrastinate.Blueprint`` of their own, named
``package.what`` (``reports.sweep_media``); the composition root hands the blueprints to
``make_app``. A job is enqueued with ``defer`` through the caller's session, so it exists only if
the change that caused it commits. Tasks receive their ``Resources`` (settings, a session
factory) through the job context and open their own session.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Final

import procrastinate
from procrastinate.job_context import JobContext
from sqlalchemy import text
from sqlalchemy.engine import Connection, make_url
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from ioc.logs import get_logger
from ioc.settings import Settings

__all__ = [
    "Blueprint",
    "JobContext",
    "Resources",
    "blueprint",
    "defer",
    "make_app",
    "resources",
    "retry_stalled",
    "run_worker",
]

Blueprint = procrastinate.Blueprint
log = get_logger("ioc.jobs")
# A worker sends a heartbeat every 10 s; one silent for a minute has died (SIGKILL, power cut).
STALLED_AFTER_SECONDS: Final = 60.0

_RESOURCES_KEY: Final = "ioc"
# procrastinate's own SQL entry point for deferring (procrastinate/sql/queries.sql, "defer_jobs").
_DEFER = text(
    "SELECT unnest(procrastinate_defer_jobs_v1(ARRAY[ROW(:queue, :task, :priority, :lock, "
    ":queueing_lock, CAST(:args AS jsonb), :scheduled_at)::procrastinate_job_to_defer_v1])) AS id"
)


@dataclass(frozen=True)
class Resources:
    """What a task may use: the settings and a factory of its own sessions."""

    settings: Settings
    sessionmaker: sessionmaker[Session]


def conninfo(database_url: str) -> str:
    """The libpq URI of an SQLAlchemy URL (procrastinate's connector speaks plain psycopg)."""
    return make_url(database_url).set(drivername="postgresql").render_as_string(False)


def make_app(database_url: str, blueprints: Iterable[procrastinate.Blueprint]) -> procrastinate.App:
    """A procrastinate app over the given database with the tasks of the given blueprints.

    Nothing connects until the app is opened (``run_worker`` does). Task names carry their package
    already, so blueprints join without a namespace; the last app built owns them (procrastinate
    links each task to one app), which is the one app a worker process builds.
    """
    app = procrastinate.App(
        connector=procrastinate.PsycopgConnector(conninfo=conninfo(database_url)),
        periodic_defaults={"max_delay": 3600},  # a worker restarted within the hour catches up
    )
    for blueprint in blueprints:
        app.add_tasks_from(blueprint, namespace="")
    return app


def defer(
    session: Session | Connection,
    task: procrastinate.tasks.Task[Any, Any, Any],
    *,
    schedule_at: datetime | None = None,
    **task_kwargs: Any,
) -> int | None:
    """Enqueue a job of ``task`` in the caller's transaction; its id, or None if one with the
    task's queueing lock is already waiting.

    procrastinate's connectors open connections of their own; this runs its defer function on the
    caller's connection instead, so a rolled-back request leaves no job behind.
    """
    params = {
        "queue": task.queue,
        "task": task.name,
        "priority": task.priority,
        "lock": task.lock,
        "queueing_lock": task.queueing_lock,
        "args": json.dumps(task_kwargs),
        "scheduled_at": schedule_at,
    }
    if task.queueing_lock is None:
        return int(session.execute(_DEFER, params).scalar_one())
    try:
        # A waiting job with the same queueing lock refuses the insert; only the savepoint is lost.
        with session.begin_nested():
            return int(session.execute(_DEFER, params).scalar_one())
    except IntegrityError:
        return None


def resources(context: JobContext) -> Resources:
    """The resources a worker started by ``run_worker`` hands to its tasks."""
    found = context.additional_context.get(_RESOURCES_KEY)
    if not isinstance(found, Resources):
        raise RuntimeError("this task needs a worker started by ioc.jobs.run_worker")
    return found


def run_worker(
    app: procrastinate.App,
    found: Resources,
    *,
    wait: bool = True,
    install_signal_handlers: bool = True,
) -> None:
    """Run jobs and defer the periodic ones until stopped (SIGINT/SIGTERM); with ``wait=False``,
    until the queue is empty."""
    app.run_worker(
        additional_context={_RESOURCES_KEY: found},
        concurrency=found.settings.jobs.concurrency,
        # Finished jobs would pile up in the queue table; failed ones stay for inspection.
        delete_jobs="successful",
        wait=wait,
        install_signal_handlers=install_signal_handlers,
        listen_notify=wait,
    )


async def retry_stalled(
    app: procrastinate.App, seconds_since_heartbeat: float = STALLED_AFTER_SECONDS
) -> int:
    """Put back in the queue the jobs that a dead worker left ``doing``; how many.

    A worker killed mid-job (SIGKILL, a crash, the machine losing power) cannot mark its job
    failed: without this, a video's public copy or a snapshot would never be made. A job is
    stalled when its worker has sent no heartbeat for ``seconds_since_heartbeat`` (or is gone);
    it runs again from the start, so tasks are written to be safe to run twice.
    """
    manager = app.job_manager
    stalled = list(await manager.get_stalled_jobs(seconds_since_heartbeat=seconds_since_heartbeat))
    for job in stalled:
        await manager.retry_job(job)
        log.warning("stalled_job_retried", job_id=job.id, task=job.task_name, worker=job.worker_id)
    return len(stalled)


blueprint = Blueprint()


@blueprint.periodic(cron="*/5 * * * *")
@blueprint.task(
    name="ioc.retry_stalled_jobs", pass_context=True, queueing_lock="ioc.retry_stalled_jobs"
)
async def retry_stalled_jobs(context: JobContext, timestamp: int) -> int:
    """Every five minutes: the jobs of dead workers run again."""
    return await retry_stalled(context.app)


def include_object(obj: object, name: str | None, obj_type: str, *_: object) -> bool:
    """Alembic's filter: the queue's tables are procrastinate's, not the models'."""
    return not (obj_type == "table" and (name or "").startswith("procrastinate_"))
