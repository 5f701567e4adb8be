"""The job queue: deferring in the caller's transaction, and jobs run by a real worker.

Jobs deferred in a test's rolled-back transaction never reach a worker, which has connections of
its own; the tests that run a worker commit their jobs and empty the queue afterwards.
"""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import procrastinate
from click.testing import CliRunner, Result
from procrastinate.schema import SchemaManager
from sqlalchemy import create_engine, text
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.orm import Session

from ioc import db, jobs
from ioc.app import job_app
from ioc.cli import main
from ioc.cli_context import CliContext
from ioc.settings import PROJECT_ROOT, Settings
from reports.media.sweep import sweep_media

FROZEN_SCHEMA = PROJECT_ROOT / "migrations" / "versions" / "0004_procrastinate_3.10.0.sql"
COUNT = text("SELECT count(*) FROM procrastinate_jobs WHERE id = :id")
ORPHAN = "public/display/ab/cd/" + "abcd" * 16 + ".jpg"

blueprint = jobs.Blueprint()


@blueprint.task(name="tests.write_marker", pass_context=True)
def write_marker(context: jobs.JobContext, path: str, greeting: str) -> None:
    """Write the greeting and the database the task's own session reaches."""
    with jobs.resources(context).sessionmaker() as session:
        database = session.scalar(text("SELECT current_database()"))
    Path(path).write_text(f"{greeting} {database}", encoding="utf-8")


@blueprint.task(name="tests.coalesced", queueing_lock="tests.coalesced")
def coalesced() -> None:
    """A task of which one job at most waits in the queue."""


@blueprint.task(name="tests.hang_once")
def hang_once(path: str) -> None:
    """The first run leaves a mark and hangs (its worker is killed); the next run finishes."""
    marker = Path(path)
    if marker.exists():
        marker.write_text("finished", encoding="utf-8")
        return
    marker.write_text("started", encoding="utf-8")
    time.sleep(600)


# A worker process with this module's tasks (the hanging one among them).
HANGING_WORKER = """
from ioc import db, jobs
from ioc.settings import get_settings
from tests.ioc.test_jobs import blueprint
settings = get_settings()
engine = db.make_engine(db.database_url(settings))
jobs.run_worker(
    jobs.make_app(db.database_url(settings), [blueprint]),
    jobs.Resources(settings, db.make_sessionmaker(engine)),
)
"""


def clear_queue(engine: Engine) -> None:
    """Empty the queue tables of what a test committed."""
    with engine.begin() as conn:
        conn.execute(text("DELETE FROM procrastinate_periodic_defers"))
        conn.execute(text("DELETE FROM procrastinate_jobs"))
        conn.execute(text("DELETE FROM procrastinate_workers"))


def run_until_empty(app: procrastinate.App, found: jobs.Resources) -> None:
    """Run a worker in-process until the queue is empty.

    In a thread of its own: the browser tests' Playwright keeps an event loop running in the main
    thread, and the worker runs one of its own.
    """
    failures: list[BaseException] = []

    def work() -> None:
        try:
            jobs.run_worker(app, found, wait=False, install_signal_handlers=False)
        except BaseException as exc:  # handed to the test's thread
            failures.append(exc)

    thread = threading.Thread(target=work, name="test-worker")
    thread.start()
    thread.join(timeout=60)
    assert not thread.is_alive(), "the worker did not empty the queue within a minute"
    if failures:
        raise failures[0]


def count(conn: Session | Engine, job_id: int) -> int:
    if isinstance(conn, Engine):
        with conn.connect() as other:
            return int(other.execute(COUNT, {"id": job_id}).scalar_one())
    return int(conn.execute(COUNT, {"id": job_id}).scalar_one())


def test_the_migration_applies_procrastinates_own_schema(dbs: Session) -> None:
    # A newer procrastinate needs a migration applying its scripts: this fails until there is one.
    assert FROZEN_SCHEMA.read_text(encoding="utf-8") == SchemaManager.get_schema()
    assert dbs.scalar(text("SELECT to_regclass('procrastinate_jobs') IS NOT NULL")) is True
    finish = dbs.scalar(
        text("SELECT prosrc FROM pg_proc WHERE proname = :n"), {"n": "procrastinate_finish_job_v1"}
    )
    assert finish is not None and "(job id: %)" in finish  # percent signs survived the migration


def test_a_job_exists_only_once_its_transaction_commits(dbs: Session, engine: Engine) -> None:
    savepoint = dbs.begin_nested()
    job_id = jobs.defer(dbs, write_marker, path="/nonexistent", greeting="hello")
    assert job_id is not None and count(dbs, job_id) == 1
    assert count(engine, job_id) == 0  # a worker's own connection cannot see it yet
    savepoint.rollback()
    assert count(dbs, job_id) == 0  # the request failed: no job


def test_a_rolled_back_session_leaves_no_job(engine: Engine) -> None:
    factory = db.make_sessionmaker(engine)
    job_ids: list[int | None] = []
    try:
        with db.session_scope(factory) as session:
            job_ids.append(jobs.defer(session, write_marker, path="/nonexistent", greeting="x"))
            raise LookupError("the change that caused the job failed")
    except LookupError:
        pass
    assert job_ids[0] is not None and count(engine, job_ids[0]) == 0


def test_a_second_job_with_a_waiting_queueing_lock_is_not_deferred(dbs: Session) -> None:
    first = jobs.defer(dbs, coalesced)
    assert first is not None
    assert jobs.defer(dbs, coalesced) is None
    assert count(dbs, first) == 1  # the caller's transaction is intact
    assert (
        dbs.scalar(
            text("SELECT count(*) FROM procrastinate_jobs WHERE task_name = 'tests.coalesced'")
        )
        == 1
    )


def test_a_committed_job_runs_on_the_real_queue(
    engine: Engine, settings: Settings, tmp_path: Path
) -> None:
    marker = tmp_path / "marker.txt"
    try:
        with db.session_scope(db.make_sessionmaker(engine)) as session:
            job_id = jobs.defer(session, write_marker, path=str(marker), greeting="xin chào")
        assert job_id is not None
        app = jobs.make_app(db.database_url(settings), [blueprint])
        found = jobs.Resources(settings, db.make_sessionmaker(engine))
        run_until_empty(app, found)
        assert marker.read_text(encoding="utf-8") == "xin chào ioc_test"
        assert count(engine, job_id) == 0  # succeeded jobs leave the queue
    finally:
        clear_queue(engine)


def _status(engine: Engine, job_id: int) -> str:
    with engine.connect() as conn:
        found = conn.execute(
            text("SELECT status FROM procrastinate_jobs WHERE id = :id"), {"id": job_id}
        )
        return str(found.scalar_one_or_none())


def _wait_for(marker: Path, content: str, worker: subprocess.Popen[bytes] | None = None) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and (worker is None or worker.poll() is None):
        if marker.exists() and marker.read_text(encoding="utf-8") == content:
            return
        time.sleep(0.2)
    raise AssertionError(f"the marker never read {content!r}")


def test_a_job_of_a_killed_worker_runs_again(
    engine: Engine, settings: Settings, tmp_path: Path
) -> None:
    marker = tmp_path / "marker.txt"
    assert settings.database_url
    env = dict(
        os.environ, IOC_DATABASE_URL=settings.database_url, IOC_SECRET_KEY=settings.secret_key
    )
    app = jobs.make_app(db.database_url(settings), [blueprint])
    try:
        with db.session_scope(db.make_sessionmaker(engine)) as session:
            job_id = jobs.defer(session, hang_once, path=str(marker))
        assert job_id is not None
        worker = subprocess.Popen(
            [sys.executable, "-c", HANGING_WORKER],
            env=env,
            cwd=PROJECT_ROOT,
            stderr=subprocess.DEVNULL,
        )
        try:
            _wait_for(marker, "started", worker)
        finally:
            worker.kill()  # SIGKILL: the worker cannot mark its job
            worker.wait(timeout=30)
        assert _status(engine, job_id) == "doing"

        def retry(after: float) -> int:
            """In a thread of its own: browser tests keep an event loop running in this one."""

            async def run() -> int:
                async with app.open_async():
                    return await jobs.retry_stalled(app, seconds_since_heartbeat=after)

            with ThreadPoolExecutor(max_workers=1) as pool:
                return pool.submit(asyncio.run, run()).result(timeout=60)

        # A worker that sent a heartbeat within the last minute may still be running its job.
        assert retry(jobs.STALLED_AFTER_SECONDS) == 0
        assert _status(engine, job_id) == "doing"
        assert retry(0) == 1  # as if a minute had passed without a heartbeat
        assert _status(engine, job_id) == "todo"
        run_until_empty(app, jobs.Resources(settings, db.make_sessionmaker(engine)))
        assert marker.read_text(encoding="utf-8") == "finished"
        assert count(engine, job_id) == 0
    finally:
        clear_queue(engine)


def test_the_worker_app_has_the_feature_packages_tasks(settings: Settings) -> None:
    app = job_app(settings)
    assert app.tasks["reports.sweep_media"] is sweep_media
    assert ("reports.sweep_media", "") in app.periodic_registry.periodic_tasks
    assert ("ioc.retry_stalled_jobs", "") in app.periodic_registry.periodic_tasks


def test_ioc_worker_runs_jobs_and_stops_on_sigterm(
    engine: Engine, settings: Settings, tmp_path: Path
) -> None:
    orphan = tmp_path / ORPHAN
    orphan.parent.mkdir(parents=True)
    orphan.write_bytes(b"left behind by a rolled-back request")
    os.utime(orphan, (time.time() - 3 * 86400,) * 2)
    assert settings.database_url
    env = dict(
        os.environ,
        IOC_DATABASE_URL=settings.database_url,
        IOC_SECRET_KEY=settings.secret_key,
        IOC_MEDIA_DIR=str(tmp_path),
    )
    try:
        with db.session_scope(db.make_sessionmaker(engine)) as session:
            jobs.defer(session, sweep_media, timestamp=0)
        log = (tmp_path / "worker.log").open("w")
        worker = subprocess.Popen([sys.executable, "-m", "ioc", "worker"], env=env, stderr=log)
        try:
            deadline = time.monotonic() + 60
            while orphan.exists() and time.monotonic() < deadline and worker.poll() is None:
                time.sleep(0.2)
            assert not orphan.exists(), "the worker did not run the sweep"
        finally:
            worker.send_signal(signal.SIGTERM)
            worker.wait(timeout=30)
            log.close()
        errors = (tmp_path / "worker.log").read_text(encoding="utf-8")
        assert worker.returncode == 0, errors
        assert '"media_swept"' in errors and '"removed": 1' in errors
    finally:
        clear_queue(engine)


def test_ioc_worker_on_an_unmigrated_database_says_what_to_do(settings: Settings) -> None:
    assert settings.database_url
    empty = make_url(settings.database_url).set(database="ioc_test_no_queue")
    url = empty.render_as_string(hide_password=False)
    db.ensure_database(url)
    cli = CliContext(settings=settings.model_copy(update={"database_url": url}))
    results: list[Result] = []
    try:
        # In a thread, for the same reason as run_until_empty.
        thread = threading.Thread(
            target=lambda: results.append(CliRunner().invoke(main, ["worker"], obj=cli))
        )
        thread.start()
        thread.join(timeout=60)
    finally:
        admin = create_engine(empty.set(database="postgres"), isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.execute(text('DROP DATABASE "ioc_test_no_queue" WITH (FORCE)'))
        admin.dispose()
    [result] = results
    assert result.exit_code == 1, result.output
    assert "ioc db migrate" in result.output and "procrastinate_" in result.output
