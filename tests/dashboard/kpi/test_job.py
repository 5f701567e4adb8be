"""The rollup job on the real job queue, and its place among the worker's periodic jobs."""

from __future__ import annotations

from sqlalchemy import func, select, text
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.orm import Session, sessionmaker

from dashboard.kpi import rollup
from dashboard.kpi.figures import today
from dashboard.kpi.models import KpiRollupDay
from ioc import db, jobs
from ioc.app import job_app
from ioc.settings import Settings
from tests.ioc.test_jobs import clear_queue, run_until_empty


def test_the_worker_rolls_up_every_five_minutes(settings: Settings) -> None:
    app = job_app(settings)
    assert app.tasks["dashboard.kpi_rollup"] is rollup.kpi_rollup
    periodic = app.periodic_registry.periodic_tasks[("dashboard.kpi_rollup", "")]
    assert periodic.cron == "*/5 * * * *"


def test_the_job_rolls_up_today_and_yesterday_on_the_real_queue(
    dbs: Session, connection: Connection, engine: Engine, settings: Settings
) -> None:
    found = jobs.Resources(
        settings, sessionmaker(bind=connection, join_transaction_mode="create_savepoint")
    )
    try:
        with db.session_scope(db.make_sessionmaker(engine)) as session:
            job_id = jobs.defer(session, rollup.kpi_rollup, timestamp=0)
        assert job_id is not None
        run_until_empty(jobs.make_app(db.database_url(settings), [rollup.blueprint]), found)
        with engine.connect() as other:
            left = other.execute(
                text("SELECT count(*) FROM procrastinate_jobs WHERE id = :id"), {"id": job_id}
            ).scalar_one()
        assert left == 0  # it succeeded
    finally:
        clear_queue(engine)
    current = today(db.utcnow())
    done = dbs.scalar(select(func.count()).where(KpiRollupDay.day == current))
    assert done == 1
