"""Report counts per map tile, kept exact by triggers on ``reports`` (migration 0010_data).

A cell is the XYZ tile (y from the north) at zoom ``level`` that contains a report's
``web_point``; ``reports.geo.cells.LEVELS`` lists the levels. Rows with a zero count are deleted,
so every row has ``n > 0``.
"""

from __future__ import annotations

from datetime import date

from sqlalchemy import Enum, Integer, SmallInteger
from sqlalchemy.orm import Mapped, mapped_column

from ioc.db import Base
from reports.models import ReportState


class ReportCell(Base):
    """Reports of a state and category whose place lies in a tile."""

    __tablename__ = "report_cells"

    level: Mapped[int] = mapped_column(SmallInteger, primary_key=True, autoincrement=False)
    x: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    y: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    state: Mapped[ReportState] = mapped_column(
        Enum(ReportState, native_enum=False, length=16), primary_key=True
    )
    category_id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    n: Mapped[int] = mapped_column(Integer)


class ReportCellDaily(Base):
    """The same per day of creation (Asia/Ho_Chi_Minh), for date filters."""

    __tablename__ = "report_cells_daily"

    level: Mapped[int] = mapped_column(SmallInteger, primary_key=True, autoincrement=False)
    x: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    y: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    day: Mapped[date] = mapped_column(primary_key=True)
    state: Mapped[ReportState] = mapped_column(
        Enum(ReportState, native_enum=False, length=16), primary_key=True
    )
    category_id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    n: Mapped[int] = mapped_column(Integer)
