"""Making videos' public copies: a job per new video, and a backfill for the older ones.

The remux runs as a job, not in the resident's request: the 201 answers as soon as the report and
its files are committed, and the job (deferred in the same transaction, so it exists exactly when
the report does) copies the video afterwards. Until then, or if the copy fails, the video shows as
its poster frame, as it always did: a failed remux never touches the report, its original or its
row, only leaves ``video_path`` empty.

The job reads the row, remuxes with no transaction open, stores the copy (written before any row
names it; the media sweep removes it if the update never commits), then sets ``video_path`` only
where it is still empty: a job run twice, or beside the backfill, writes the same content-addressed
file and changes nothing the second time.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Final

from procrastinate import RetryStrategy
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from ioc import db, jobs
from ioc.logs import get_logger
from reports.media.remux import RemuxError, publish
from reports.media.store import MediaStore
from reports.models import ReportMedia

blueprint = jobs.Blueprint()
log = get_logger("reports.media.videos")

BATCH: Final = 20  # a batch of 60 s videos is a few seconds of work


@dataclass
class Backfilled:
    """What a backfill did: copies made, videos that could not be copied (left as posters)."""

    made: int = 0
    failed: list[int] = field(default_factory=list)


def schedule(session: Session, rows: Iterable[ReportMedia]) -> None:
    """Enqueue the remux of each video among flushed rows, in the caller's transaction."""
    for row in rows:
        if row.kind == "video" and row.video_path is None:
            jobs.defer(session, remux_video, media_id=row.id)


def make_copy(session: Session, store: MediaStore, media_id: int) -> str | None:
    """Make the public copy of one video and record it; its path, or None (no such video, or a
    video that cannot be copied: logged, left as its poster)."""
    found = session.execute(
        select(ReportMedia.original_path, ReportMedia.mime, ReportMedia.video_path).where(
            ReportMedia.id == media_id, ReportMedia.kind == "video"
        )
    ).one_or_none()
    session.commit()  # no transaction stays open during the remux
    if found is None or found.video_path is not None:
        return found.video_path if found is not None else None
    try:
        copy = publish(store, found.original_path, found.mime)
    except RemuxError as error:
        log.warning("video_remux_failed", media_id=media_id, error=str(error))
        return None
    session.execute(
        update(ReportMedia)
        .where(ReportMedia.id == media_id, ReportMedia.video_path.is_(None))
        .values(video_path=copy.path)
    )
    session.commit()
    log.info("video_remuxed", media_id=media_id, path=copy.path)
    return copy.path


def pending(session: Session, after: int, limit: int) -> list[int]:
    """Ids of videos without a public copy, after ``after``, in id order."""
    return list(
        session.scalars(
            select(ReportMedia.id)
            .where(
                ReportMedia.kind == "video",
                ReportMedia.video_path.is_(None),
                ReportMedia.id > after,
            )
            .order_by(ReportMedia.id)
            .limit(limit)
        )
    )


def backfill(
    session: Session,
    store: MediaStore,
    *,
    batch: int = BATCH,
    progress: Callable[[Backfilled], object] | None = None,
) -> Backfilled:
    """Copy every video that has no public copy, in batches; safe to run again at any time."""
    result, after = Backfilled(), 0
    while ids := pending(session, after, batch):
        for media_id in ids:
            if make_copy(session, store, media_id) is None:
                result.failed.append(media_id)
            else:
                result.made += 1
        after = ids[-1]
        if progress is not None:
            progress(result)
    return result


@blueprint.task(
    name="reports.remux_video",
    pass_context=True,
    retry=RetryStrategy(max_attempts=3, wait=60, exponential_wait=5),
)
def remux_video(context: jobs.JobContext, media_id: int) -> str | None:
    """Make a new video's public copy (a file system error is retried; a bad video is not)."""
    found = jobs.resources(context)
    with db.session_scope(found.sessionmaker) as session:
        return make_copy(session, MediaStore(found.settings.media_dir), media_id)
