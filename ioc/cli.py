"""The ``ioc`` command line: database, migrations, seed data, users, assets, server.

Part of the composition root: it may import the feature packages.
"""

from __future__ import annotations

import getpass
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import click
from procrastinate.exceptions import ConnectorException
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from dashboard.admin import service as accounts
from dashboard.admin.forms import FormErrors, NewAccountIn, validated
from dashboard.kpi import rollup as kpi_rollup
from dashboard.kpi.commands import kpi_group
from dashboard.open311 import keys as open311_keys
from dashboard.open311.commands import open311_group
from ioc import db, jobs, logs
from ioc.app import job_app
from ioc.auth import service as auth_service
from ioc.auth.models import Role, User
from ioc.cli_context import CliContext, pass_cli
from ioc.db import migrate, seeding
from ioc.errors import DomainError
from ioc.settings import Settings
from ioc.system import doctor as doctor_checks
from ioc.system.pgcluster import ClusterError, LocalCluster
from ioc.web import assets
from reports.geo import demo_data
from reports.intake import seed as reports_seed
from reports.lifecycle import seed as lifecycle_seed
from reports.lifecycle import seed_data as lifecycle_stories
from reports.media.commands import media_group
from reports.models import Report
from routing import seed as routing_seed
from routing.basemap.commands import basemap_group
from routing.basemap.commands import ensure_command as basemap_ensure
from routing.commands import routing_group
from routing.models import Agency

DEMO_PASSWORD = "demo12345"  # noqa: S105 - documented demo credential, only in demo mode
DEMO_STAFF = (
    ("admin", Role.admin, "Quản trị hệ thống"),
    ("supervisor", Role.ioc_supervisor, "Lãnh đạo Trung tâm IOC"),
    ("operator", Role.ioc_operator, "Điều hành viên IOC"),
)


@click.group()
@click.pass_context
def main(ctx: click.Context) -> None:
    """Field reports and city operations centre."""
    ctx.call_on_close(ctx.ensure_object(CliContext).close)


@main.group("db")
def db_group() -> None:
    """The database: the embedded cluster and migrations."""


@db_group.command("start")
@pass_cli
def db_start(cli: CliContext) -> None:
    """Start the embedded PostgreSQL + PostGIS under var/ (unless IOC_DATABASE_URL is set)."""
    settings = cli.get_settings()
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
@pass_cli
def db_stop(cli: CliContext) -> None:
    """Stop the embedded cluster."""
    settings = cli.get_settings()
    if settings.database_url:
        click.echo("IOC_DATABASE_URL is set: nothing to stop.")
        return
    LocalCluster(settings.var_dir).stop()
    click.echo("PostgreSQL stopped.")


@db_group.command("url")
@pass_cli
def db_url(cli: CliContext) -> None:
    """Print the database URL the app uses."""
    click.echo(db.database_url(cli.get_settings()))


@db_group.command("migrate")
@pass_cli
def db_migrate(cli: CliContext) -> None:
    """Bring the schema to the newest revision."""
    migrate.upgrade(db.database_url(cli.get_settings()))
    click.echo("Database schema is up to date.")


@db_group.command("revision")
@click.option("-m", "--message", required=True)
@pass_cli
def db_revision(cli: CliContext, message: str) -> None:
    """Autogenerate a migration from the models."""
    migrate.revision(message, db.database_url(cli.get_settings()))


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
        if open311_keys.ensure_demo_key(session):
            created.append(f"open311 key {open311_keys.DEMO_KEY}")
    agencies = session.scalar(select(func.count()).select_from(Agency))  # sector bodies too
    return (
        f"{counts.provinces} provinces, {counts.wards} wards, {agencies} agencies, "
        f"{rules} routing rules added; demo users created: {', '.join(created) or 'none'}; "
        f"agency staff accounts created: {len(agency_staff)}"
    )


def prepare_database(settings: Settings, *, fresh: bool = False) -> str:
    """Create (afresh if asked), migrate and seed the configured database; its URL.

    For the throw-away databases of benchmarks, the API fuzzing run and fault tests.
    """
    url = db.database_url(settings)
    db.ensure_database(url, fresh=fresh)
    migrate.upgrade(url)
    engine = db.make_engine(url)
    try:
        with db.session_scope(db.make_sessionmaker(engine)) as session:
            seed_all(session, settings)
    finally:
        engine.dispose()
    return url


SEED_MODULES = (routing_seed, reports_seed, lifecycle_seed, lifecycle_stories)


def seed_fingerprint(settings: Settings) -> str:
    """What ``ioc seed`` loads: the shipped data, the code that loads it, and demo mode."""
    sources = [
        *routing_seed.DATA_DIR.iterdir(),
        *(Path(module.__file__) for module in SEED_MODULES if module.__file__),
        Path(__file__),
    ]
    return seeding.fingerprint(sources, f"demo={settings.demo}")


@main.command()
@click.option("--force", is_flag=True, help="Seed even if nothing changed since the last seed.")
@pass_cli
def seed(cli: CliContext, force: bool) -> None:
    """Load the shipped wards, agencies and rules (demo accounts and reports in demo mode)."""
    settings = cli.get_settings()
    sessions = cli.sessionmaker()
    print_ = seed_fingerprint(settings)
    with db.session_scope(sessions) as session:
        if not force and seeding.is_current(session, "seed", print_):
            click.echo("Seed data unchanged since the last seed: skipped (--force seeds anyway).")
            return
        click.echo(seed_all(session, settings))
    if settings.demo:
        with db.session_scope(sessions) as session:
            added = reports_seed.load_demo_reports(session, settings)
            lifecycle = lifecycle_seed.load_demo_lifecycle(session, settings)
        click.echo(f"demo reports added: {added}")
        click.echo(
            f"demo reports along the lifecycle added: {lifecycle.added} "
            f"({lifecycle.overdue} overdue); agencies with work: {', '.join(lifecycle.agencies)}"
        )
    with db.session_scope(sessions) as session:
        seeding.record(session, "seed", print_)


@main.command()
@click.option("--for", "target", type=click.Choice(sorted(doctor_checks.TARGETS)), default="demo")
@click.option("--lang", type=click.Choice(["vi", "en"]), default=None)
def doctor(target: str, lang: str | None) -> None:
    """Check the system prerequisites and print the fix for each missing one."""
    argv = ["--for", target, *(["--lang", lang] if lang else [])]
    raise SystemExit(doctor_checks.main(argv))


@main.group("user")
def user_group() -> None:
    """Staff accounts."""


@user_group.command("add")
@click.argument("username")
@click.option("--role", type=click.Choice([r.value for r in Role]), required=True)
@click.option("--agency", "agency_code", help="Agency code (for agency_staff).")
@click.option("--name", "full_name", default="")
@click.option("--email", default=None, help="Optional email address.")
@click.option("--password", envvar="IOC_NEW_PASSWORD", help="Prompted for when omitted.")
@pass_cli
def user_add(
    cli: CliContext,
    username: str,
    role: str,
    agency_code: str | None,
    full_name: str,
    email: str | None,
    password: str | None,
) -> None:
    """Create a staff account (written to the account audit as done by "cli")."""
    password = password or getpass.getpass("Password: ")
    try:
        with db.session_scope(cli.sessionmaker()) as session:
            agency_id = None
            if agency_code:
                agency_id = session.scalar(select(Agency.id).where(Agency.code == agency_code))
                if agency_id is None:
                    raise click.ClickException(f"No agency with code {agency_code!r}")
            if (Role(role) == Role.agency_staff) != (agency_id is not None):
                raise click.ClickException("agency_staff need --agency, and only they")
            data: dict[str, Any] = {"username": username.strip().lower(), "role": role}
            data |= {
                "full_name": full_name or username,
                "agency_id": agency_id,
                "email": email or None,
            }
            accounts.create_account(session, accounts.CLI, validated(NewAccountIn, data), password)
    except FormErrors as exc:
        problems = "; ".join(f"{field}: {message}" for field, message in exc.errors.items())
        raise click.ClickException(problems) from exc
    except DomainError as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo(f"User {username} ({role}) created.")


def _account(session: Session, username: str) -> User:
    """The account with this username; a CLI error if there is none."""
    user = session.scalar(select(User).where(User.username == username.strip().lower()))
    if user is None:
        raise click.ClickException(f"No user {username!r}")
    return user


@user_group.command("unlock")
@click.argument("username")
@pass_cli
def user_unlock(cli: CliContext, username: str) -> None:
    """Let an account locked by the sign-in limit try again at once."""
    with db.session_scope(cli.sessionmaker()) as session:
        accounts.unlock(session, accounts.CLI, _account(session, username))
    click.echo(f"User {username} may sign in again.")


@user_group.command("disable")
@click.argument("username")
@pass_cli
def user_disable(cli: CliContext, username: str) -> None:
    """Refuse an account's sign-in, end its sessions and refuse its API tokens."""
    try:
        with db.session_scope(cli.sessionmaker()) as session:
            changed = accounts.disable(session, accounts.CLI, _account(session, username))
    except DomainError as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo(f"User {username} {'disabled' if changed else 'was already disabled'}.")


@user_group.command("enable")
@click.argument("username")
@pass_cli
def user_enable(cli: CliContext, username: str) -> None:
    """Let a disabled account sign in again."""
    with db.session_scope(cli.sessionmaker()) as session:
        changed = accounts.enable(session, accounts.CLI, _account(session, username))
    click.echo(f"User {username} {'may sign in again' if changed else 'was already active'}.")


@user_group.command("reset-password")
@click.argument("username")
@pass_cli
def user_reset_password(cli: CliContext, username: str) -> None:
    """Give an account a new random password, printed once; its sessions and tokens end."""
    with db.session_scope(cli.sessionmaker()) as session:
        password = accounts.reset_password(session, accounts.CLI, _account(session, username))
    click.echo(f"New password for {username} (shown once): {password}")


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
@pass_cli
def serve(cli: CliContext, host: str, port: int, workers: int, reload: bool) -> None:
    """Serve the app with uvicorn."""
    import uvicorn

    try:
        cli.get_settings().check_secret()
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
@pass_cli
def worker(cli: CliContext) -> None:
    """Run the job worker and its periodic jobs (the media sweep) until Ctrl-C or SIGTERM."""
    settings = cli.get_settings()
    logs.configure(json=settings.log_json)
    sessions = cli.sessionmaker(pool_size=settings.jobs.concurrency)
    try:
        jobs.run_worker(job_app(settings), jobs.Resources(settings=settings, sessionmaker=sessions))
    except ConnectorException as exc:
        raise click.ClickException(
            f"The job queue cannot be used (is the database up and migrated? `ioc db migrate`): "
            f"{exc.__cause__ or exc}"
        ) from exc


DEMO_ADDRESSES = """
  Trang chủ / Home:                {base}/
  Bản đồ phường / Wards map:       {base}/map/jurisdictions
  Đăng nhập / Staff sign-in:       {base}/login
  API docs:                        {base}/api/docs
  Cơ quan xử lý / Agency workspace: {base}/agency
  Điều hành IOC / Operators:       {base}/dashboard      (operator, supervisor)
  Chỉ số / KPIs, daily bulletin:   {base}/dashboard/kpi  (supervisor)
  Kết quả công khai / Public:      {base}/public
  Dữ liệu mở / Open data:          {base}/open-data
  Open311 GeoReport v2:            {base}/open311/v2/discovery.json  (api_key demo-open311-key)
  Demo sign-ins (password {password}): admin, supervisor, operator,
    and one per agency named by its code (e.g. ubnd-26526: UBND Phường Tam Thắng, Vũng Tàu)
"""


@main.command()
@click.option("--host", default="127.0.0.1")
@click.option("--port", default=8000, type=int)
@click.pass_context
def demo(ctx: click.Context, host: str, port: int) -> None:
    """Start the database, migrate, seed and serve: `make demo` in one quick process."""
    ctx.invoke(db_start)
    ctx.invoke(db_migrate)
    ctx.invoke(seed, force=False)
    ctx.invoke(basemap_ensure)  # first: the demo volume's places in Huế move onto its streets
    ctx.invoke(demo_volume)
    click.echo(DEMO_ADDRESSES.format(base=f"http://{host}:{port}", password=DEMO_PASSWORD))
    # The job worker runs beside the server; Ctrl-C (or the server's end) stops both.
    worker_process = subprocess.Popen([sys.executable, "-m", "ioc.cli", "worker"])
    try:
        ctx.invoke(serve, host=host, port=port, workers=1, reload=False)
    finally:
        worker_process.terminate()
        worker_process.wait(timeout=30)


DEMO_VOLUME = 3000  # made-up reports of the past year, so that the dashboard and KPIs have a city


@main.command("demo-volume", hidden=True)
@pass_cli
def demo_volume(cli: CliContext) -> None:
    """Once per demo database: a year of made-up reports, and the KPI rollups of that year."""
    with db.session_scope(cli.sessionmaker()) as session:
        if (session.scalar(select(func.count()).select_from(Report)) or 0) >= DEMO_VOLUME:
            return
        loaded = demo_data.load(session, DEMO_VOLUME, seed=1, commit=session.commit)
        days = kpi_rollup.rebuild(session, None, None, datetime.now(UTC))
    click.echo(f"Demo: {loaded.reports} reports of the past year added, {days} days rolled up")


@main.command("demo-data")
@click.option("--reports", "count", type=click.IntRange(1, 10_000_000), required=True)
@click.option(
    "--seed", type=int, default=1, show_default=True, help="The same seed, the same data."
)
@click.option("--yes", is_flag=True, help="Add made-up reports outside demo mode too.")
@pass_cli
def demo_data_command(cli: CliContext, count: int, seed: int, yes: bool) -> None:
    """Add N made-up reports of the past year, with their events, in bulk (scale tests)."""
    if not cli.get_settings().demo and not yes:
        raise click.ClickException(
            "Not in demo mode (IOC_DEMO=1): this would add made-up reports to a real database. "
            "Add --yes to do it anyway."
        )
    with db.session_scope(cli.sessionmaker()) as session:
        loaded = demo_data.load(
            session, count, seed=seed, commit=session.commit, progress=click.echo
        )
    states = ", ".join(f"{state} {n}" for state, n in sorted(loaded.states.items()))
    click.echo(
        f"{loaded.reports} reports and {loaded.events} events in {loaded.seconds:.1f} s "
        f"({loaded.rate:.0f} reports/s); {states}"
    )


main.add_command(routing_group)
main.add_command(kpi_group)
main.add_command(media_group)
main.add_command(open311_group)
main.add_command(basemap_group)


if __name__ == "__main__":
    sys.exit(main())
