"""``ioc basemap build [FILE.osm.pbf]``: the self-hosted base map from an OpenStreetMap extract."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from ioc import cli_context
from routing.basemap import archive, queries
from routing.basemap.build import SHIPPED_EXTRACT, BuildError, Built, build
from routing.basemap.extract import Bounds

PHASES = {"reading": "Reading the extract", "tiles": "Writing tiles"}


@click.group("basemap")
def basemap_group() -> None:
    """The base map: vector tiles and street names built from OpenStreetMap."""


def _parse_bbox(ctx: click.Context, param: click.Parameter, value: str | None) -> Bounds | None:
    """``W,S,E,N`` in degrees, west < east and south < north."""
    if value is None:
        return None
    try:
        west, south, east, north = (float(part) for part in value.split(","))
    except ValueError:
        raise click.BadParameter("give four numbers: west,south,east,north") from None
    if not (-180 <= west < east <= 180 and -85 <= south < north <= 85):
        raise click.BadParameter("west < east within ±180 and south < north within ±85")
    return (west, south, east, north)


class _Progress:
    """One line rewritten in place on a terminal; a line per phase otherwise (logs, tests)."""

    def __init__(self) -> None:
        self.tty = sys.stderr.isatty()
        self.phase = ""

    def __call__(self, phase: str, done: int, total: int) -> None:
        label = PHASES.get(phase, phase)
        if self.tty:
            click.echo(f"\r{label}: {done}/{total}   ", nl=False, err=True)
        elif phase != self.phase:
            click.echo(f"{label}…", err=True)
        self.phase = phase

    def close(self) -> None:
        if self.tty and self.phase:
            click.echo(err=True)


@basemap_group.command("build")
@click.argument("extract", required=False, type=click.Path(dir_okay=False, path_type=Path))
@click.option(
    "--bbox",
    callback=_parse_bbox,
    help="The extract's box west,south,east,north (default: its header's, else its roads').",
)
def build_command(extract: Path | None, bbox: Bounds | None) -> None:
    """Build the base map from an .osm.pbf extract (default: the one shipped for Huế)."""
    cli = cli_context.current()
    target = archive.archive_dir(cli.get_settings())
    source = extract or SHIPPED_EXTRACT
    click.echo(f"Building the base map from {source} …", err=True)
    progress = _Progress()
    try:
        with cli.sessionmaker()() as session:
            built = build(session, target, source, bounds=bbox, progress=progress)
            session.commit()
    except BuildError as exc:
        progress.close()
        raise click.ClickException(f"{exc}. Nothing was replaced.") from None
    progress.close()
    click.echo(summary(built))


@basemap_group.command("ensure")
@click.pass_context
def ensure_command(ctx: click.Context) -> None:
    """Build the shipped extract's base map unless one is there (`make demo`: once, not again)."""
    cli = cli_context.current()
    found = archive.archive_path(cli.get_settings())
    if found.is_file() and not _shipped_without_streets(cli, found):
        click.echo(f"Base map: {found} is there (`ioc basemap build` rebuilds it).")
        return
    try:
        ctx.invoke(build_command, extract=None, bbox=None)
    except click.ClickException as exc:  # a demo without a base map still runs: outlines remain
        click.echo(f"Base map not built: {exc.format_message()}", err=True)


def _shipped_without_streets(cli: cli_context.CliContext, found: Path) -> bool:
    """Whether the archive is the shipped extract's and the database lacks its streets (a
    database made afresh beside an old archive): building again puts them back."""
    try:
        meta = archive.current_metadata(found)
    except archive.ArchiveError:
        return False  # unreadable: left for its owner to look at (the maps show outlines)
    if meta is None or meta.source != SHIPPED_EXTRACT.name:
        return False  # a city's own archive is never replaced by the demo's
    with cli.sessionmaker()() as session:
        return not session.scalar(queries.has_streets())


def summary(built: Built) -> str:
    """What a build made: tiles per zoom, features, size, streets, time."""
    tiles = sum(n for n, _ in built.tiles.values())
    zooms = f"z{min(built.tiles)}–{max(built.tiles)}"
    features = sum(built.features.values())
    kinds = ", ".join(f"{n:,} {kind}" for kind, n in built.features.items())
    wards = len(built.wards)
    return "\n".join(
        [
            f"Base map built in {built.seconds:.1f} s: {built.path}",
            f"  tiles:    {tiles:,} ({zooms}), {built.size / 1e6:.1f} MB",
            f"  features: {features:,} ({kinds})",
            f"  streets:  {built.streets:,} named roads for the place lookup",
            f"  covers:   {wards} ward{'s' if wards != 1 else ''} ({', '.join(built.wards[:3])}"
            f"{', …' if wards > 3 else ''})",
            f"  build:    {built.build_id}",
        ]
    )
