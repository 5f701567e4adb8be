"""``ioc media remux-videos``: make the public copies of videos that have none (idempotent)."""

from __future__ import annotations

import click

from ioc import cli_context
from reports.media import videos
from reports.media.store import MediaStore


@click.group("media")
def media_group() -> None:
    """Reports' media files."""


@media_group.command("remux-videos")
@click.option("--batch", type=click.IntRange(1, 1000), default=videos.BATCH, show_default=True)
def remux_videos(batch: int) -> None:
    """Make the metadata-free public copy of every video that has none yet."""
    cli = cli_context.current()
    store = MediaStore(cli.get_settings().media_dir)
    with cli.sessionmaker()() as session:
        done = videos.backfill(
            session,
            store,
            batch=batch,
            progress=lambda so_far: click.echo(f"… {so_far.made} copied", err=True),
        )
        session.commit()
    click.echo(f"Videos: {done.made} public copies made, {len(done.failed)} could not be made.")
    if done.failed:
        click.echo(
            "Left as their poster frame (see the log): media ids "
            + ", ".join(str(media_id) for media_id in done.failed)
        )
