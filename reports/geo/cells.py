"""The map's grid: which tile a report lies in at each level, and rebuilding the counts.

A cell is the XYZ ("slippy map") tile at zoom ``level`` containing a report's ``web_point``
(EPSG:3857), y counted from the north: the tile whose ``ST_TileEnvelope(level, x, y)`` holds the
point. Triggers on ``reports`` keep ``report_cells`` and ``report_cells_daily`` exact (migration
0010_data); ``rebuild`` recomputes them from the reports, for bulk loads and repairs.
"""

from __future__ import annotations

import math
from datetime import date
from typing import Any

from sqlalchemy import Integer, Select, delete, func, insert, select, text, true
from sqlalchemy.orm import Session
from sqlalchemy.sql.expression import ColumnElement

from reports.geo.models import ReportCell, ReportCellDaily
from reports.models import Report, ReportState

LEVELS: tuple[int, ...] = (7, 10, 13, 16)  # the zooms counted (SQL: report_cell_levels())
HALF_WORLD = 20037508.342789244  # metres from the origin to the edge of EPSG:3857
MAX_LATITUDE = 85.0511287798066  # the mercator square's edge


def mercator(lon: float, lat: float) -> tuple[float, float]:
    """A WGS 84 point in EPSG:3857 metres."""
    lat = max(-MAX_LATITUDE, min(MAX_LATITUDE, lat))
    x = lon * HALF_WORLD / 180.0
    y = math.log(math.tan(math.pi / 4 + math.radians(lat) / 2)) * HALF_WORLD / math.pi
    return x, y


def tile_of_mercator(x: float, y: float, level: int) -> tuple[int, int]:
    """The XYZ tile at zoom ``level`` containing a point in EPSG:3857 metres."""
    size = 1 << level
    column = math.floor((x + HALF_WORLD) / (2 * HALF_WORLD) * size)
    row = math.floor((HALF_WORLD - y) / (2 * HALF_WORLD) * size)
    return min(max(column, 0), size - 1), min(max(row, 0), size - 1)


def tile_of(lon: float, lat: float, level: int) -> tuple[int, int]:
    """The XYZ tile (x, y from the north) at zoom ``level`` containing a WGS 84 point."""
    return tile_of_mercator(*mercator(lon, lat), level)


def tile_x(point: Any, level: Any) -> ColumnElement[int]:
    """SQL: the tile column of an EPSG:3857 point at a zoom (as the triggers compute it)."""
    return func.report_tile_x(point, level, type_=Integer)


def tile_y(point: Any, level: Any) -> ColumnElement[int]:
    """SQL: the tile row (from the north) of an EPSG:3857 point at a zoom."""
    return func.report_tile_y(point, level, type_=Integer)


def report_day(at: Any) -> ColumnElement[date]:
    """SQL: the day of a moment in Vietnam (the day of ``report_cells_daily``)."""
    return func.report_day(at, type_=ReportCellDaily.day.type)


def daily_counts() -> Select[int, int, int, date, ReportState, int, int]:
    """The daily counts as a GROUP BY over the reports (what the triggers keep)."""
    levels = func.unnest(func.report_cell_levels()).table_valued("level").render_derived("levels")
    level = levels.c.level
    key = (
        level,
        tile_x(Report.web_point, level),
        tile_y(Report.web_point, level),
        report_day(Report.created_at),
        Report.state,
        Report.category_id,
    )
    return select(*key, func.count()).select_from(Report).join(levels, true()).group_by(*key)


def counts_from_daily() -> Select[int, int, int, ReportState, int, int]:
    """The counts per cell, state and category: the daily counts summed over the days."""
    d = ReportCellDaily
    key = (d.level, d.x, d.y, d.state, d.category_id)
    return select(*key, func.sum(d.n)).group_by(*key)


def rebuild(db: Session) -> None:
    """Recompute both tables from the reports (one INSERT … SELECT each); never commits.

    The tables are locked against the triggers of concurrent writers (readers go on reading the
    old counts until commit); a writer that inserted before the lock is waited for, then seen.
    """
    db.execute(text("LOCK TABLE report_cells, report_cells_daily IN EXCLUSIVE MODE"))
    db.execute(delete(ReportCellDaily))
    d, c = ReportCellDaily, ReportCell
    daily = [d.level, d.x, d.y, d.day, d.state, d.category_id, d.n]
    db.execute(insert(d).from_select(daily, daily_counts()))
    db.execute(delete(c))
    cells = [c.level, c.x, c.y, c.state, c.category_id, c.n]
    db.execute(insert(c).from_select(cells, counts_from_daily()))
