"""Helpers of the map-grid tests: what the cell tables hold, and what they should hold."""

from __future__ import annotations

from collections import Counter
from zoneinfo import ZoneInfo

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from reports.geo.cells import LEVELS, tile_of_mercator
from reports.geo.models import ReportCell, ReportCellDaily
from reports.models import Report

VN = ZoneInfo("Asia/Ho_Chi_Minh")
DailyKey = tuple[int, int, int, object, str, int]
CellKey = tuple[int, int, int, str, int]


def stored(dbs: Session) -> tuple[dict[CellKey, int], dict[DailyKey, int]]:
    """Both tables as dictionaries from key to count."""
    c, d = ReportCell, ReportCellDaily
    cells = dbs.execute(select(c.level, c.x, c.y, c.state, c.category_id, c.n)).all()
    daily = dbs.execute(select(d.level, d.x, d.y, d.day, d.state, d.category_id, d.n)).all()
    return (
        {(r[0], r[1], r[2], str(r[3]), r[4]): r[5] for r in cells},
        {(r[0], r[1], r[2], r[3], str(r[4]), r[5]): r[6] for r in daily},
    )


def expected(dbs: Session) -> tuple[dict[CellKey, int], dict[DailyKey, int]]:
    """The counts a GROUP BY over the reports gives, tiles and days worked out in Python."""
    rows = dbs.execute(
        select(
            func.ST_X(Report.web_point),
            func.ST_Y(Report.web_point),
            Report.state,
            Report.category_id,
            Report.created_at,
        )
    ).all()
    cells: Counter[CellKey] = Counter()
    daily: Counter[DailyKey] = Counter()
    for x, y, state, category, created in rows:
        day = created.astimezone(VN).date()
        for level in LEVELS:
            column, row = tile_of_mercator(x, y, level)
            cells[(level, column, row, str(state), category)] += 1
            daily[(level, column, row, day, str(state), category)] += 1
    return dict(cells), dict(daily)


def assert_cells_exact(dbs: Session) -> None:
    """The cell tables equal the GROUP BY over the reports, with no zero rows."""
    cells, daily = stored(dbs)
    want_cells, want_daily = expected(dbs)
    assert cells == want_cells
    assert daily == want_daily
