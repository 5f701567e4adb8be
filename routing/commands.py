"""``ioc routing export`` and ``ioc routing import FILE``: routing data as YAML."""

from __future__ import annotations

from pathlib import Path

import click

from ioc import cli_context
from routing.admin import yaml_io
from routing.admin.service import Actor


@click.group("routing")
def routing_group() -> None:
    """Routing data: categories, agencies, rules and days off."""


@routing_group.command("export")
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path))
def export(output: Path | None) -> None:
    """Write all routing data as YAML (to stdout, or to a file)."""
    with cli_context.current().sessionmaker()() as session:
        text = yaml_io.dump(session)
    if output is None:
        click.echo(text, nl=False)
    else:
        output.write_text(text, encoding="utf-8")
        click.echo(f"Routing data written to {output}", err=True)


@routing_group.command("import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--dry-run", is_flag=True, help="Check the file and report, change nothing.")
def import_(file: Path, dry_run: bool) -> None:
    """Check a YAML file whole, then add or update what it lists (all or nothing)."""
    factory = cli_context.current().sessionmaker()
    try:
        with factory() as session:
            result = yaml_io.import_text(session, Actor("cli"), file.read_text(encoding="utf-8"))
            if dry_run:
                session.rollback()
            else:
                session.commit()
    except yaml_io.RoutingImportError as exc:
        lines = "\n".join(f"  - {error}" for error in exc.errors)
        message = f"{file}: nothing imported, the file has errors:\n{lines}"
        raise click.ClickException(message) from None
    verb = "would change" if dry_run else "changed"
    click.echo(f"{file}: {verb} {result.changed} records, {result.unchanged} unchanged.")
