"""Writing the bulk demo's chunks: tracking codes given at write time, COPY, and the pipeline.

One thread makes the rows of the next chunk while the caller's thread writes the last one, so
Python and PostgreSQL work at the same time (``pipeline``). The rows are made before their
tracking codes exist: the gapless counter moves only in the transaction that writes the chunk
(``Codes``), so a load that fails or is stopped leaves no gap, and real reports filed meanwhile
take the numbers in between. Report ids come from the table's sequence when a chunk is made (a
sequence may leave gaps; nextval is never rolled back, so concurrent intakes take other ids).

While a chunk is written, the triggers whose work the load redoes at the end are disabled in the
chunk's own transaction (``quiet_triggers``): the map-grid counts (rebuilt from the reports at
the end) and the live notices (one "bulk" notice at the end instead). ``ALTER TABLE … DISABLE
TRIGGER`` is transactional: it is undone if the transaction fails, and the triggers are enabled
again before the commit, so no other session ever sees them disabled. It locks the two tables in
SHARE ROW EXCLUSIVE mode until the commit: concurrent writers of reports and events wait for the
chunk (some seconds) and are then counted by their own triggers; readers are not blocked.
"""

from __future__ import annotations

import bisect
import json
import queue
import threading
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from psycopg import Cursor
from sqlalchemy import Integer, literal, text
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.orm import Session

from reports.models import TrackingCounter
from routing.sla import VN_TZ

# The triggers a load skips: (table, trigger); their work is redone once at the end.
QUIET = (("reports", "report_cells_insert"), ("report_events", "report_events_live"))
BULK_NOTICE = text("SELECT pg_notify('ioc_reports', json_build_object('bulk', true)::text)")
OWNS_TABLES = text(
    "SELECT bool_and(pg_has_role(relowner, 'USAGE')) FROM pg_class "
    "WHERE oid IN ('reports'::regclass, 'report_events'::regclass)"
)


@dataclass
class Chunk:
    """The rows of consecutive reports of the load, waiting for their tracking codes."""

    start: int  # the position of the first report in the load
    moments: Any  # creation times (POSIX seconds, sorted)
    reports: list[list[Any]]  # tracking_code (index 1) is None until written
    events: list[list[Any]]
    duplicates: list[tuple[int, int]]  # (event index, the original's position in the load)


@dataclass
class Codes:
    """Tracking codes of the load's reports by position: runs of consecutive numbers."""

    starts: list[int] = field(default_factory=list)  # the first position of each run
    runs: list[tuple[int, int]] = field(default_factory=list)  # (year, first number)

    def reserve(self, db: Session, start: int, moments: Any) -> list[str]:
        """Codes of a chunk, per year in order, moving each year's counter in one upsert."""
        years = [datetime.fromtimestamp(t, VN_TZ).year for t in moments]
        position, codes = start, list[str]()
        for year in sorted(set(years)):
            count = years.count(year)
            last = db.scalars(_advance(year, count)).one()
            self.starts.append(position)
            self.runs.append((year, last - count + 1))
            codes.extend(f"PA-{year}-{n:06d}" for n in range(last - count + 1, last + 1))
            position += count
        return codes

    def code(self, position: int) -> str:
        """The code given to the report at a position (already reserved)."""
        run = bisect.bisect_right(self.starts, position) - 1
        year, first = self.runs[run]
        return f"PA-{year}-{first + position - self.starts[run]:06d}"


def _advance(year: int, count: int) -> Any:
    """Move a year's counter by ``count``; returns the last number given."""
    return (
        insert(TrackingCounter)
        .values(year=year, last=literal(count, Integer))
        .on_conflict_do_update(
            index_elements=[TrackingCounter.year], set_={"last": TrackingCounter.last + count}
        )
        .returning(TrackingCounter.last)
    )


def copy_rows(db: Session, table: str, columns: str, rows: Iterable[Any]) -> None:
    """COPY rows into a table through the session's own connection."""
    driver = db.connection().connection.driver_connection
    cursor: Cursor[Any] = driver.cursor()  # type: ignore[union-attr]
    with cursor.copy(f"COPY {table} ({columns}) FROM STDIN") as copy:
        for row in rows:
            copy.write_row(row)


def may_quiet_triggers(db: Session) -> bool:
    """Whether this database user owns the tables (only an owner may disable their triggers)."""
    return bool(db.scalar(OWNS_TABLES))


@contextmanager
def quiet_triggers(db: Session, quiet: bool) -> Iterator[None]:
    """Disable the triggers of ``QUIET`` in the current transaction, enabled again on success.

    On an error they stay disabled in a transaction that can only roll back, which undoes it.
    """
    for table, trigger in QUIET if quiet else ():
        db.execute(text(f"ALTER TABLE {table} DISABLE TRIGGER {trigger}"))
    yield
    for table, trigger in QUIET if quiet else ():
        db.execute(text(f"ALTER TABLE {table} ENABLE TRIGGER {trigger}"))


@dataclass
class Writer:
    """Writes chunks through the caller's session, a transaction (``commit``) each."""

    db: Session
    report_columns: str
    event_columns: str
    commit: Callable[[], None]
    quiet: bool
    codes: Codes = field(default_factory=Codes)

    def write(self, chunk: Chunk) -> None:
        """Codes first (the counter's row lock, as intake takes it), then the rows."""
        db = self.db
        codes = self.codes.reserve(db, chunk.start, chunk.moments)
        for row, code in zip(chunk.reports, codes, strict=True):
            row[1] = code
        for index, position in chunk.duplicates:
            chunk.events[index][8] = json.dumps({"of": self.codes.code(position)})
        with quiet_triggers(db, self.quiet):
            copy_rows(db, "reports", self.report_columns, chunk.reports)
            copy_rows(db, "report_events", self.event_columns, chunk.events)
        self.commit()


DONE = object()


def pipeline(chunks: Iterator[Chunk], write: Callable[[Chunk], None], depth: int = 1) -> None:
    """Make chunks in a thread (at most ``depth`` waiting) while this thread writes them.

    An error on either side stops both: the maker's error is raised here.
    """
    made: queue.Queue[Any] = queue.Queue(maxsize=depth)
    stop = threading.Event()

    def hand(item: Any) -> bool:
        while not stop.is_set():
            try:
                made.put(item, timeout=0.2)
                return True
            except queue.Full:
                continue
        return False

    def make() -> None:
        try:
            for chunk in chunks:
                if not hand(chunk):
                    return
            hand(DONE)
        except BaseException as error:  # handed over and raised by the writer
            hand(error)

    maker = threading.Thread(target=make, name="demo-data-maker", daemon=True)
    maker.start()
    try:
        while (item := made.get()) is not DONE:
            if isinstance(item, BaseException):
                raise item
            write(item)
    finally:
        stop.set()
        maker.join()


# Residents rate about 60% of the published results, some a day or two later; about 90% of the
# ratings are satisfied or accepted (Hue-S publishes > 92%). A hash of the report's id and the
# seed decides, so that a load is reproducible; the rating counts for the forward's agency.
DEMO_RATINGS = text(
    """
    INSERT INTO report_ratings (report_id, follower_id, published_at, agency_id, value, comment,
                                changes, created_at, updated_at)
    SELECT id, NULL, published_at, agency_id,
           CASE WHEN h < 0.33 THEN 'satisfied' WHEN h < 0.54 THEN 'accepted'
                ELSE 'dissatisfied' END,
           CASE WHEN h >= 0.54 THEN 'Chưa hài lòng với kết quả xử lý.' ELSE '' END,
           0, published_at + make_interval(hours => (h * 1000)::int % 48 + 1),
           published_at + make_interval(hours => (h * 1000)::int % 48 + 1)
    FROM (
        SELECT id, published_at, agency_id,
               ((hashtext(id::text || ':' || CAST(:seed AS text)) & 1048575) / 1048576.0) AS h
        FROM reports
        WHERE id > :after AND state = 'published' AND published_at IS NOT NULL
    ) AS published
    WHERE h < 0.6 AND published_at + make_interval(hours => (h * 1000)::int % 48 + 1) < :now
    ON CONFLICT DO NOTHING
    """
)


def write_ratings(db: Session, after: int, seed: int, now: datetime) -> int:
    """Ratings of the loaded reports' published results (ids past ``after``); how many."""
    result = db.execute(DEMO_RATINGS, {"after": after, "seed": seed, "now": now})
    return int(getattr(result, "rowcount", 0) or 0)
