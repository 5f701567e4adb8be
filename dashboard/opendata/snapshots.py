"""Daily snapshots: the administrator asks, a job writes the day's two files, a row records them.

Asking upserts the day's row as ``pending`` and defers the job in the same transaction (so a
rolled-back request leaves no job). The job streams the public reports once, writing the GeoJSON
and the CSV side by side through temporary files in the target directory; both are fsynced and
renamed into place, then the row gets their sizes, SHA-256 and count and becomes ``published``
(only if it is still pending: a withdrawal meanwhile wins). Files are served only while their row
is published, so a crash between the rename and the commit leaves files nobody is shown, and the
next run overwrites them.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import re
import tempfile
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Final

from sqlalchemy import select, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.orm import Session

from dashboard.opendata.models import OpenDataSnapshot, SnapshotState
from dashboard.opendata.queries import Filters
from dashboard.opendata.streams import GEOJSON_HEAD, GEOJSON_TAIL, CsvText, batches
from ioc import db, jobs
from ioc.errors import Conflict, NotFound
from ioc.i18n import N_
from ioc.logs import get_logger
from ioc.settings import Settings
from routing.sla import VN_TZ

blueprint = jobs.Blueprint()
log = get_logger("dashboard.opendata")
FILE_NAME: Final = re.compile(r"reports-(\d{4}-\d{2}-\d{2})\.(geojson|csv)")
KINDS: Final = ("geojson", "csv")
NOT_WITHDRAWN = N_("Only a published snapshot can be withdrawn.")
NOT_REPUBLISHABLE = N_("Only a withdrawn snapshot can be published again.")


def directory(settings: Settings) -> Path:
    """Where the snapshots' files live."""
    return settings.open_data.directory or settings.var_dir / "open-data"


def file_name(day: date, kind: str) -> str:
    """The name of a day's file of one kind (``reports-2026-11-30.csv``)."""
    return f"reports-{day.isoformat()}.{kind}"


def site_base(settings: Settings) -> str:
    """The site's public address for the reports' links ('' if none is configured)."""
    return settings.notify.site_url.rstrip("/")


def vietnam_day(now: datetime) -> date:
    """The Vietnam day of a moment."""
    return now.astimezone(VN_TZ).date()


class _AtomicFile:
    """A file written under a temporary name, counted and hashed, renamed into place at the end."""

    def __init__(self, final: Path) -> None:
        self.final = final
        fd, self.temporary = tempfile.mkstemp(prefix=".", suffix=".tmp", dir=final.parent)
        self._out = os.fdopen(fd, "wb")
        self.sha256 = hashlib.sha256()
        self.size = 0

    def write(self, text: str) -> None:
        data = text.encode()
        self._out.write(data)
        self.sha256.update(data)
        self.size += len(data)

    def sync(self) -> None:
        """Flush to disk and close: the content is durable under its temporary name."""
        self._out.flush()
        os.fchmod(self._out.fileno(), 0o644)
        os.fsync(self._out.fileno())
        self._out.close()

    def discard(self) -> None:
        self._out.close()
        with contextlib.suppress(FileNotFoundError):
            os.unlink(self.temporary)


@dataclass(frozen=True)
class Written:
    """What the job wrote: the number of reports and each file's size and SHA-256."""

    reports: int
    sizes: dict[str, int]
    hashes: dict[str, str]


def write_files(session: Session, target: Path, day: date, base: str) -> Written:
    """Write the day's GeoJSON and CSV of every public report, in one pass over the reports."""
    target.mkdir(parents=True, exist_ok=True)
    files = {kind: _AtomicFile(target / file_name(day, kind)) for kind in KINDS}
    geo, table, cells = files["geojson"], files["csv"], CsvText()
    try:
        geo.write(GEOJSON_HEAD)
        table.write(cells.head())
        count = 0
        for batch in batches(session, "both", Filters(), base):
            geo.write((",\n" if count else "") + ",\n".join(row[0] for row in batch))
            table.write(cells.chunk(row[1:] for row in batch))
            count += len(batch)
        geo.write(GEOJSON_TAIL)
        for file in files.values():
            file.sync()
        for file in files.values():
            os.replace(file.temporary, file.final)
    except BaseException:
        for file in files.values():
            file.discard()
        raise
    _fsync_dir(target)
    sizes = {kind: file.size for kind, file in files.items()}
    return Written(count, sizes, {kind: f.sha256.hexdigest() for kind, f in files.items()})


def _fsync_dir(path: Path) -> None:
    """Make the renames durable."""
    fd = os.open(path, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def ask(session: Session, day: date, user_id: int | None) -> int:
    """Make the day's row pending (new, or to be written again); its id."""
    values = {"state": SnapshotState.pending, "published_by_id": user_id}
    cleared = {"withdrawn_by_id": None, "withdrawn_at": None}
    stmt = insert(OpenDataSnapshot).values(day=day, created_at=db.utcnow(), **values)
    stmt = stmt.on_conflict_do_update(index_elements=["day"], set_=values | cleared)
    return int(session.scalars(stmt.returning(OpenDataSnapshot.id)).one())


def request_today(session: Session, user_id: int, now: datetime) -> int:
    """The administrator asks for today's snapshot: the row, and the job that writes it."""
    snapshot_id = ask(session, vietnam_day(now), user_id)
    jobs.defer(session, write_snapshot, snapshot_id=snapshot_id)
    return snapshot_id


def publish(session: Session, settings: Settings, snapshot_id: int, now: datetime) -> bool:
    """Write a pending snapshot's files and publish it; False if it is not pending (any more)."""
    snapshot = session.get(OpenDataSnapshot, snapshot_id)
    if snapshot is None or snapshot.state != SnapshotState.pending:
        return False
    written = write_files(session, directory(settings), snapshot.day, site_base(settings))
    done = update(OpenDataSnapshot).where(
        OpenDataSnapshot.id == snapshot_id, OpenDataSnapshot.state == SnapshotState.pending
    )
    facts = {
        "state": SnapshotState.published,
        "published_at": now,
        "reports": written.reports,
        "geojson_bytes": written.sizes["geojson"],
        "geojson_sha256": written.hashes["geojson"],
        "csv_bytes": written.sizes["csv"],
        "csv_sha256": written.hashes["csv"],
    }
    published = db.rows_changed(session, done.values(**facts)) == 1
    log.info("open_data_snapshot", day=snapshot.day.isoformat(), reports=written.reports)
    return published


def _load(session: Session, snapshot_id: int) -> OpenDataSnapshot:
    snapshot = session.get(OpenDataSnapshot, snapshot_id, with_for_update=True)
    if snapshot is None:
        raise NotFound()
    return snapshot


def withdraw(session: Session, snapshot_id: int, user_id: int, now: datetime) -> None:
    """Stop serving a published snapshot (its files stay, unserved, until written again)."""
    snapshot = _load(session, snapshot_id)
    if snapshot.state != SnapshotState.published:
        raise Conflict(NOT_WITHDRAWN)
    snapshot.state = SnapshotState.withdrawn
    snapshot.withdrawn_by_id, snapshot.withdrawn_at = user_id, now


def republish(session: Session, snapshot_id: int) -> None:
    """Serve a withdrawn snapshot's files again, as they were written."""
    snapshot = _load(session, snapshot_id)
    if snapshot.state != SnapshotState.withdrawn or snapshot.published_at is None:
        raise Conflict(NOT_REPUBLISHABLE)
    snapshot.state = SnapshotState.published
    snapshot.withdrawn_by_id = snapshot.withdrawn_at = None


def listed(session: Session, published_only: bool) -> list[OpenDataSnapshot]:
    """The snapshots, newest first (the public sees the published ones)."""
    stmt = select(OpenDataSnapshot).order_by(OpenDataSnapshot.day.desc())
    if published_only:
        stmt = stmt.where(OpenDataSnapshot.state == SnapshotState.published)
    return list(session.scalars(stmt))


def served_file(session: Session, settings: Settings, name: str) -> tuple[Path, str]:
    """The path and SHA-256 of a published snapshot's file; NotFound for anything else."""
    match = FILE_NAME.fullmatch(name)
    if match is None:
        raise NotFound()
    try:
        day = date.fromisoformat(match.group(1))
    except ValueError:
        raise NotFound() from None
    snapshot = session.scalar(select(OpenDataSnapshot).where(OpenDataSnapshot.day == day))
    if snapshot is None or snapshot.state != SnapshotState.published:
        raise NotFound()
    kind = match.group(2)
    path = directory(settings) / file_name(day, kind)
    digest = snapshot.geojson_sha256 if kind == "geojson" else snapshot.csv_sha256
    if digest is None or not path.is_file():
        raise NotFound()
    return path, digest


@blueprint.task(
    name="dashboard.opendata_snapshot",
    pass_context=True,
    lock="dashboard.opendata_snapshot",
    queueing_lock="dashboard.opendata_snapshot",
)
def write_snapshot(context: jobs.JobContext, snapshot_id: int) -> bool:
    """Write and publish the snapshot the administrator asked for."""
    found = jobs.resources(context)
    with db.session_scope(found.sessionmaker) as session:
        return publish(session, found.settings, snapshot_id, db.utcnow())


@blueprint.periodic(cron="5 17 * * *")  # 00:05 in Vietnam (UTC+7): the day just begun
@blueprint.task(
    name="dashboard.opendata_daily", pass_context=True, lock="dashboard.opendata_snapshot"
)
def daily_snapshot(context: jobs.JobContext, timestamp: int) -> bool:
    """Every night, when ``open_data.auto_publish`` is on: publish the day's snapshot."""
    found = jobs.resources(context)
    if not found.settings.open_data.auto_publish:
        return False
    now = db.utcnow()
    with db.session_scope(found.sessionmaker) as session:
        snapshot_id = ask(session, vietnam_day(now), None)
    with db.session_scope(found.sessionmaker) as session:
        return publish(session, found.settings, snapshot_id, now)
