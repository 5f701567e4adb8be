"""The ``ioc`` command line: database, migrations, seed data, users, assets, server.

Part of the composition root: it may import the feature packages.
"""

from __future__ import annotations

import getpass
import sys

import click
from procrastinate.exceptions import ConnectorException
from sqlalchemy import func, select

from ioc import assets, db, jobs, logs, migrate
from ioc.app import job_app
from ioc.auth import service as auth_service
from ioc.auth.models import Role, User
from ioc.errors import DomainError
from ioc.pgcluster import ClusterError, LocalCluster
from ioc.settings import Settings, get_settings
from reports import seed as reports_seed
from routing import seed as routing_seed
from routing.commands import routing_group
from routing.models import Agency

DEMO_PASSWORD = "demo12345"  # noqa: S105 - documented demo credential, only in demo mode
DEMO_STAFF = (
    ("admin", Role.admin, "Quản trị hệ thống"),
    ("supervisor", Role.ioc_supervisor, "Lãnh đạo Trung tâm IOC"),
    ("operator", Role.ioc_operator, "Điều hành viên IOC"),
)


def _settings() -> Settings:
    try:
        return get_settings()
    except ValueError as exc:
        raise click.ClickException(str(exc)) from exc


@click.group()
def main() -> None:
    """Field reports and city operations centre."""


@main.group("db")
def db_group() -> None:
    """The database: the embedded cluster and migrations."""


@db_group.command("start")
def db_start() -> None:
    """Start the embedded PostgreSQL + PostGIS under var/ (unless IOC_DATABASE_URL is set)."""
    settings = _settings()
    if settings.database_url:
        click.echo("IOC_DATABASE_URL is set: using that server, starting none.")
        return
    cluster = LocalCluster(settings.var_dir)
    try:
        cluster.start()
    except ClusterError as exc:
        raise click.ClickException(str(exc)) from exc
    for name in ("ioc",):
        db.ensure_database(cluster.url(name))
    click.echo(f"PostgreSQL is running on the unix socket in {cluster.socket_dir}")


@db_group.command("stop")
def db_stop() -> None:
    """Stop the embedded cluster."""
    settings = _settings()
    if settings.database_url:
        click.echo("IOC_DATABASE_URL is set: nothing to stop.")
        return
    LocalCluster(settings.var_dir).stop()
    click.echo("PostgreSQL stopped.")


@db_group.command("url")
def db_url() -> None:
    """Print the database URL the app uses."""
    click.echo(db.database_url(_settings()))


@db_group.command("migrate")
def db_migrate() -> None:
    """Bring the schema to the newest revision."""
    migrate.upgrade(db.database_url(_settings()))
    click.echo("Database schema is up to date.")


@db_group.command("revision")
@click.option("-m", "--message", required=True)
def db_revision(message: str) -> None:
    """Autogenerate a migration from the models."""
    migrate.revision(message, db.database_url(_settings()))


def seed_all(session: db.Session, settings: Settings) -> str:
    """Load wards and agencies; in demo mode also the demo staff. Idempotent."""
    counts = routing_seed.load_wards(session)
    rules = routing_seed.load_routing(session)
    created = []
    agency_staff: list[str] = []
    if settings.demo:
        for username, role, full_name in DEMO_STAFF:
            if session.scalar(select(User).where(User.username == username)) is None:
                auth_service.create_user(
                    session,
                    username=username,
                    password=DEMO_PASSWORD,
                    role=role,
                    full_name=full_name,
                )
                created.append(username)
        agency_staff = routing_seed.seed_agency_staff(session, DEMO_PASSWORD)
    agencies = session.scalar(select(func.count()).select_from(Agency))  # sector bodies too
    return (
        f"{counts.provinces} provinces, {counts.wards} wards, {agencies} agencies, "
        f"{rules} routing rules added; demo users created: {', '.join(created) or 'none'}; "
        f"agency staff accounts created: {len(agency_staff)}"
    )


@main.command()
def seed() -> None:
    """Load the shipped wards, agencies and rules (demo accounts and reports in demo mode)."""
    settings = _settings()
    engine = db.make_engine(db.database_url(settings))
    with db.session_scope(db.make_sessionmaker(engine)) as session:
        click.echo(seed_all(session, settings))
    if settings.demo:
        with db.session_scope(db.make_sessionmaker(engine)) as session:
            added = reports_seed.load_demo_reports(session, settings)
        click.echo(f"demo reports added: {added}")
    engine.dispose()


@main.group("user")
def user_group() -> None:
    """Staff accounts."""


@user_group.command("add")
@click.argument("username")
@click.option("--role", type=click.Choice([r.value for r in Role]), required=True)
@click.option("--agency", "agency_code", help="Agency code (for agency_staff).")
@click.option("--name", "full_name", default="")
@click.option("--password", envvar="IOC_NEW_PASSWORD", help="Prompted for when omitted.")
def user_add(
    username: str, role: str, agency_code: str | None, full_name: str, password: str | None
) -> None:
    """Create a staff account."""
    settings = _settings()
    password = password or getpass.getpass("Password: ")
    engine = db.make_engine(db.database_url(settings))
    try:
        with db.session_scope(db.make_sessionmaker(engine)) as session:
            agency_id = None
            if agency_code:
                agency_id = session.scalar(select(Agency.id).where(Agency.code == agency_code))
                if agency_id is None:
                    raise click.ClickException(f"No agency with code {agency_code!r}")
            auth_service.create_user(
                session,
                username=username,
                password=password,
                role=Role(role),
                agency_id=agency_id,
                full_name=full_name,
            )
    except DomainError as exc:
        raise click.ClickException(str(exc)) from exc
    finally:
        engine.dispose()
    click.echo(f"User {username} ({role}) created.")


@main.group("assets")
def assets_group() -> None:
    """Browser assets served by the app."""


@assets_group.command("sync")
def assets_sync() -> None:
    """Copy the npm-installed scripts and styles into ioc/static/vendor."""
    click.echo(f"{assets.sync()} asset entries in place.")


@main.command()
@click.option("--host", default="127.0.0.1")
@click.option("--port", default=8000, type=int)
@click.option("--workers", default=1, type=int)
@click.option("--reload", is_flag=True)
def serve(host: str, port: int, workers: int, reload: bool) -> None:
    """Serve the app with uvicorn."""
    import uvicorn

    try:
        _settings().check_secret()
    except ValueError as exc:
        raise click.ClickException(str(exc)) from exc
    uvicorn.run(
        "ioc.app:app_from_env",
        factory=True,
        host=host,
        port=port,
        workers=workers,
        reload=reload,
        access_log=False,
        proxy_headers=True,
    )


@main.command()
def worker() -> None:
    """Run the job worker and its periodic jobs (the media sweep) until Ctrl-C or SIGTERM."""
    settings = _settings()
    logs.configure(json=settings.log_json)
    engine = db.make_engine(db.database_url(settings), pool_size=settings.jobs.concurrency)
    try:
        found = jobs.Resources(settings=settings, sessionmaker=db.make_sessionmaker(engine))
        jobs.run_worker(job_app(settings), found)
    except ConnectorException as exc:
        raise click.ClickException(
            f"The job queue cannot be used (is the database up and migrated? `ioc db migrate`): "
            f"{exc.__cause__ or exc}"
        ) from exc
    finally:
        engine.dispose()


main.add_command(routing_group)


if __name__ == "__main__":
    sys.exit(main())
