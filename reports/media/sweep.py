"""The media sweep: remove stored files that no report refers to, once they are old enough.

Files are written before the rows that refer to them, and a rolled-back request leaves its files
behind (another request may have stored the same content-addressed file and committed a row for
it). The database owns the truth: a file no ``report_media`` row names, older than the grace
period, belongs to nobody. The grace period is what keeps a request in flight safe: its fresh
files are younger than that, whatever its rows' fate.
"""

from __future__ import annotations

import itertools
import re
import shutil
import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Final

from sqlalchemy import select, union
from sqlalchemy.orm import Session

from ioc import db, jobs
from ioc.logs import get_logger
from reports.media.store import Area
from reports.models import ReportMedia

blueprint = jobs.Blueprint()
log = get_logger("reports.media.sweep")

_BATCH: Final = 2000
# What the media store writes: content-addressed files, and the temporary files of atomic writes
# (left behind only by a crash mid-write). Anything else under the media root is not ours to remove.
_SWEEPABLE: Final = re.compile(r"[0-9a-f]{64}\.[a-z0-9]{2,4}|\..+\.tmp")


@dataclass(frozen=True)
class SweepResult:
    """What one sweep looked at and what it removed (paths relative to the media root)."""

    examined: int
    removed: tuple[str, ...]


def sweep(session: Session, root: Path, grace: timedelta, now: float | None = None) -> SweepResult:
    """Remove files under ``root`` older than ``grace`` that no report_media row refers to."""
    cutoff = (time.time() if now is None else now) - grace.total_seconds()
    examined = 0
    removed: list[str] = []
    for batch in _batched(_old_files(root, cutoff), _BATCH):
        examined += len(batch)
        referenced = _referenced(session, batch)
        for relative in batch:
            if relative not in referenced and _remove_if_old(root / relative, cutoff):
                removed.append(relative)
    removed.extend(_remove_old_work_dirs(root, cutoff))
    return SweepResult(examined, tuple(removed))


def _remove_old_work_dirs(root: Path, cutoff: float) -> list[str]:
    """Remove the video remux's work directories (``.remux-*``, see ``reports.media.remux``)
    that a crash left behind; a remux takes seconds, so one older than the grace is dead."""
    removed = []
    for path in root.glob(".remux-*"):
        if path.is_dir() and not path.is_symlink() and path.lstat().st_mtime < cutoff:
            shutil.rmtree(path, ignore_errors=True)
            removed.append(path.name)
    return removed


def _batched(items: Iterable[str], size: int) -> Iterator[tuple[str, ...]]:
    """Consecutive tuples of at most ``size`` items (itertools.batched is Python 3.12)."""
    iterator = iter(items)
    while batch := tuple(itertools.islice(iterator, size)):
        yield batch


def _old_files(root: Path, cutoff: float) -> Iterator[str]:
    """Paths (relative, POSIX) of the store's files last modified before ``cutoff``."""
    for area in Area:
        for path in (root / area).glob("??/??/*"):
            if _SWEEPABLE.fullmatch(path.name) and _is_old_file(path, cutoff):
                yield path.relative_to(root).as_posix()


def _is_old_file(path: Path, cutoff: float) -> bool:
    try:
        stat = path.lstat()
    except FileNotFoundError:
        return False
    return path.is_file() and not path.is_symlink() and stat.st_mtime < cutoff


def _referenced(session: Session, paths: Iterable[str]) -> set[str]:
    """Those of ``paths`` that some report_media row names, in any of its four columns."""
    wanted = list(paths)
    columns = (
        ReportMedia.original_path,
        ReportMedia.display_path,
        ReportMedia.thumbnail_path,
        ReportMedia.video_path,
    )
    statement = union(*(select(column).where(column.in_(wanted)) for column in columns))
    return set(session.scalars(statement))


def _remove_if_old(path: Path, cutoff: float) -> bool:
    """Unlink a file unless it was touched since it was listed (a store reusing it refreshes it)."""
    if not _is_old_file(path, cutoff):
        return False
    try:
        path.unlink()
    except FileNotFoundError:
        return False
    return True


@blueprint.periodic(cron="17 * * * *")
@blueprint.task(name="reports.sweep_media", pass_context=True, lock="reports.sweep_media")
def sweep_media(context: jobs.JobContext, timestamp: int) -> int:
    """Hourly: sweep the media root with the configured grace period; the number removed."""
    found = jobs.resources(context)
    grace = timedelta(hours=found.settings.jobs.media_grace_hours)
    with db.session_scope(found.sessionmaker) as session:
        result = sweep(session, found.settings.media_dir, grace)
    log.info(
        "media_swept", scheduled=timestamp, examined=result.examined, removed=len(result.removed)
    )
    return len(result.removed)
