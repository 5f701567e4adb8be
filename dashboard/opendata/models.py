"""The daily snapshots of the open data: one row per Vietnam day, its files and who published it.

A snapshot's files (``reports-YYYY-MM-DD.geojson`` and ``.csv`` under the open-data directory)
are served only while its row says ``published``: the row is the truth, the files follow it.
"""

from __future__ import annotations

import enum
from datetime import date, datetime

from sqlalchemy import BigInteger, Enum, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from ioc.db import Base, TimestampMixin


class SnapshotState(enum.StrEnum):
    """Where a snapshot stands: being written, served, or withdrawn by an administrator."""

    pending = "pending"
    published = "published"
    withdrawn = "withdrawn"


class OpenDataSnapshot(TimestampMixin, Base):
    """The public reports as they were on one day, written to two files."""

    __tablename__ = "open_data_snapshots"

    id: Mapped[int] = mapped_column(primary_key=True)
    day: Mapped[date] = mapped_column(unique=True)
    state: Mapped[SnapshotState] = mapped_column(
        Enum(SnapshotState, native_enum=False, length=16), default=SnapshotState.pending
    )
    reports: Mapped[int | None] = mapped_column(Integer)  # features / data rows in the files
    geojson_bytes: Mapped[int | None] = mapped_column(BigInteger)
    geojson_sha256: Mapped[str | None] = mapped_column(String(64))
    csv_bytes: Mapped[int | None] = mapped_column(BigInteger)
    csv_sha256: Mapped[str | None] = mapped_column(String(64))
    # Who asked for it (None: the automatic daily publication), and when its files were done.
    published_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    published_at: Mapped[datetime | None]
    withdrawn_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    withdrawn_at: Mapped[datetime | None]
