"""``ioc kpi rebuild``: recompute the daily rollups of a range (default: all history)."""

from __future__ import annotations

from datetime import datetime

import click

from dashboard.kpi import rollup
from ioc import cli_context
from ioc.db import utcnow


@click.group("kpi")
def kpi_group() -> None:
    """The supervisors' KPIs: daily rollups."""


@kpi_group.command("rebuild")
@click.option(
    "--from",
    "first",
    type=click.DateTime(["%Y-%m-%d"]),
    help="First day (default: the first event's).",
)
@click.option("--to", "last", type=click.DateTime(["%Y-%m-%d"]), help="Last day (default: today).")
def rebuild(first: datetime | None, last: datetime | None) -> None:
    """Recompute the rollups, a month at a time (after importing or generating history)."""
    if first and last and first > last:
        raise click.BadParameter("--from is after --to", param_hint="--from")
    with cli_context.current().sessionmaker()() as session:
        days = rollup.rebuild(
            session, first.date() if first else None, last.date() if last else None, utcnow()
        )
        session.commit()
        rows = rollup.rolled_up_rows(session)
    click.echo(f"KPI rollups: {days} days recomputed, {rows} rows in all.")
