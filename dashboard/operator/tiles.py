"""Vector tiles of the filtered reports (``ST_AsMVT``): clusters where a tile holds many, points
where it holds few. Geometry stays in SQL.

Three ways to a tile, cheapest first:
- the grid (``report_cells``, or ``report_cells_daily`` with a date range), below zoom 15 when the
  filters name only states, categories and dates: counts kept by triggers, regrouped into cells of
  about 64 px (a tile is 256 px, so a cell is a tile at zoom z + 2, built from a stored level by
  integer division of x and y) — a low zoom never groups a million reports;
- reports filtered by ``web_point && ST_TileEnvelope(z, x, y)`` (the GiST index): as points when
  at most ``MAX_POINTS`` fall in the tile, grouped into the same 64 px cells otherwise.

Layer ``reports``: clusters carry ``kind="cluster"``, ``count``, ``overdue``; points
``kind="point"``, ``code``, ``state``, ``overdue`` (0/1), ``category``, ``priority``.
"""

from __future__ import annotations

import functools
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Date,
    Float,
    Integer,
    Select,
    and_,
    bindparam,
    cast,
    func,
    literal,
    literal_column,
    select,
)
from sqlalchemy.orm import Session

from dashboard.operator.filters import (
    Filters,
    Shape,
    bound_conditions,
    bound_values,
    is_overdue,
    shape,
)
from ioc.errors import NotFound
from ioc.i18n import N_
from reports.geo.cells import LEVELS
from reports.geo.models import ReportCell, ReportCellDaily
from reports.models import Report
from routing.models import Category

LAYER = "reports"
EXTENT = 4096
MAX_ZOOM = 22
POINTS_FROM = 15  # from this zoom on, reports are drawn one by one (or grouped on the fly)
MAX_POINTS = 1500  # more in one tile: grouped into cells even when zoomed in
CELL_ZOOMS = 2  # a cell is a tile at zoom z + 2: 4 × 4 cells of 64 px per 256 px tile
# The stored grid levels (reports.geo.cells, report_cell_levels() in SQL).
GRID_LEVELS = LEVELS
OVERDUE_LEVEL = 16  # the cells of ix_reports_overdue_cells (migration 0010_tiles)
HALF_WORLD = 20037508.342789244  # metres from the origin to the edge of web mercator
NO_TILE = N_("There is no such map tile.")


def check_tile(z: int, x: int, y: int) -> None:
    """A tile address on the map (zoom 0 to 22, x and y within the zoom's grid); 404 otherwise."""
    if not 0 <= z <= MAX_ZOOM or not (0 <= x < 1 << z and 0 <= y < 1 << z):
        raise NotFound(NO_TILE)


def grid_level(z: int) -> int | None:
    """The smallest stored level fine enough for 64 px cells at zoom z (None: none is)."""
    return next((level for level in GRID_LEVELS if level >= z + CELL_ZOOMS), None)


def grid_filters(f: Filters) -> bool:
    """Whether the grid can answer: it knows states, categories and days only."""
    return not (f.agencies or f.wards or f.priorities or f.overdue or f.text)


Bound = tuple[Select[Any], dict[str, Any]]  # a statement built once, and this tile's values
ZXY = (bindparam("z", type_=Integer), bindparam("x", type_=Integer), bindparam("y", type_=Integer))


def envelope() -> ColumnElement[Any]:
    """The tile's square in EPSG:3857."""
    return func.ST_TileEnvelope(*ZXY)


def _mvt(rows: Select[*tuple[Any, ...]]) -> Select[bytes]:
    """The rows (with a ``geom`` column) as one MVT layer."""
    layer = rows.subquery("features")
    return select(func.ST_AsMVT(layer.table_valued(), LAYER, EXTENT, "geom"))


def _geom(x: ColumnElement[Any], y: ColumnElement[Any]) -> Any:
    """A point of web mercator coordinates in tile space."""
    point = func.ST_SetSRID(func.ST_MakePoint(x, y), 3857)
    return func.ST_AsMVTGeom(point, envelope(), EXTENT, 64, True).label("geom")


def _int(name: str) -> Any:
    """An integer parameter."""
    return bindparam(name, type_=Integer)


def _span(z: int, x: int, y: int, level: int, prefix: str) -> dict[str, int]:
    """The cells of ``level`` under the tile (first and last x and y), and the shift from
    ``level`` to the 64 px cells of zoom z."""
    span = 1 << (level - z)
    return {
        f"{prefix}x0": x * span,
        f"{prefix}x1": x * span + span - 1,
        f"{prefix}y0": y * span,
        f"{prefix}y1": y * span + span - 1,
        # Zoomed in past the level (a crowded tile at zoom 15 or 16): its cells as they are.
        f"{prefix}shift": max(0, level - z - CELL_ZOOMS),
    }


def grid_tile(f: Filters, z: int, x: int, y: int, level: int) -> Bound:
    """Clusters from the grid: the tile's cells at ``level`` regrouped into 64 px cells, placed
    at the centre of their reports' stored cells (weighted by count)."""
    values = {
        **bound_values(f),
        **_span(z, x, y, level, "g_"),
        **_span(z, x, y, OVERDUE_LEVEL, "o_"),
        "z": z,
        "x": x,
        "y": y,
        "level": level,
        "size": 2 * HALF_WORLD / (1 << level),
        "g_since": f.since,
        "g_until": f.until,
    }
    return _grid_statement(shape(f)), values


@functools.cache
def _grid_statement(s: Shape) -> Select[bytes]:
    """The grid's clusters for filters of this shape (``report_cells_daily`` with dates)."""
    daily = s.since or s.until
    table: type[ReportCell] | type[ReportCellDaily] = ReportCellDaily if daily else ReportCell
    where = [
        table.level == _int("level"),
        table.x.between(_int("g_x0"), _int("g_x1")),
        table.y.between(_int("g_y0"), _int("g_y1")),
    ]
    if s.states:
        where.append(table.state.in_(bindparam("f_states", expanding=True)))
    if s.categories:
        where.append(table.category_id.in_(bindparam("f_categories", expanding=True)))
    if s.since:
        where.append(ReportCellDaily.day >= bindparam("g_since", type_=Date))
    if s.until:
        where.append(ReportCellDaily.day <= bindparam("g_until", type_=Date))
    size = bindparam("size", type_=Float)
    cells = select(
        table.x.op(">>")(_int("g_shift")).label("gx"),
        table.y.op(">>")(_int("g_shift")).label("gy"),
        (-HALF_WORLD + (table.x + 0.5) * size).label("cx"),
        (HALF_WORLD - (table.y + 0.5) * size).label("cy"),
        table.n,
    ).where(*where)
    return _clusters_from(cells.subquery("cells"), s)


def _clusters_from(cells: Any, s: Shape) -> Select[bytes]:
    """Group stored cells into clusters, with the reports flagged overdue in each."""
    total = func.sum(cells.c.n)
    grouped = (
        select(
            cells.c.gx,
            cells.c.gy,
            (func.sum(cells.c.cx * cells.c.n) / total).label("cx"),
            (func.sum(cells.c.cy * cells.c.n) / total).label("cy"),
            cast(total, Integer).label("count"),
        )
        .group_by(cells.c.gx, cells.c.gy)
        .subquery("grouped")
    )
    late = _overdue_cells(s).subquery("late")
    rows = select(
        _geom(grouped.c.cx, grouped.c.cy),
        literal("cluster").label("kind"),
        grouped.c.count,
        func.coalesce(late.c.overdue, 0).label("overdue"),
    ).outerjoin(late, and_(late.c.gx == grouped.c.gx, late.c.gy == grouped.c.gy))
    return _mvt(rows)


def _overdue_cells(s: Shape) -> Select[*tuple[Any, ...]]:
    """How many reports flagged overdue each 64 px cell of the tile holds: an index-only scan of
    ``ix_reports_overdue_cells`` (their zoom-16 cells, with the columns the grid filters read)."""
    cx = func.report_tile_x(Report.web_point, literal_column(str(OVERDUE_LEVEL)))
    cy = func.report_tile_y(Report.web_point, literal_column(str(OVERDUE_LEVEL)))
    return (
        select(
            cx.op(">>")(_int("o_shift")).label("gx"),
            cy.op(">>")(_int("o_shift")).label("gy"),
            cast(func.count(), Integer).label("overdue"),
        )
        .where(
            Report.overdue,
            cx.between(_int("o_x0"), _int("o_x1")),
            cy.between(_int("o_y0"), _int("o_y1")),
            *bound_conditions(s),
        )
        .group_by(literal_column("1"), literal_column("2"))
    )


def _values(f: Filters, z: int, x: int, y: int) -> dict[str, Any]:
    """The values of a statement on the reports in a tile."""
    return {**bound_values(f), "z": z, "x": x, "y": y, "cellzoom": z + CELL_ZOOMS}


def _in_tile(s: Shape) -> list[ColumnElement[bool]]:
    """The filtered reports whose place is in the tile (the GiST index on web_point)."""
    return [Report.web_point.op("&&")(envelope()), *bound_conditions(s)]


def count_in_tile(f: Filters, z: int, x: int, y: int, *, up_to: int) -> Bound:
    """How many filtered reports the tile holds, counting no further than ``up_to``."""
    return _count_statement(shape(f)), {**_values(f, z, x, y), "up_to": up_to}


@functools.cache
def _count_statement(s: Shape) -> Select[int]:
    """Count the filtered reports in a tile, up to a limit."""
    some = select(Report.id).where(*_in_tile(s)).limit(_int("up_to")).subquery("some")
    return select(func.count()).select_from(some)


def points_tile(f: Filters, z: int, x: int, y: int) -> Bound:
    """Each filtered report in the tile as a point."""
    return _points_statement(shape(f)), _values(f, z, x, y)


@functools.cache
def _points_statement(s: Shape) -> Select[bytes]:
    """The filtered reports of a tile as points."""
    rows = (
        select(
            func.ST_AsMVTGeom(Report.web_point, envelope(), EXTENT, 64, True).label("geom"),
            literal("point").label("kind"),
            Report.tracking_code.label("code"),
            Report.state,
            cast(is_overdue(), Integer).label("overdue"),
            Category.code.label("category"),
            Report.priority,
        )
        .join(Category, Category.id == Report.category_id)
        .where(*_in_tile(s))
    )
    return _mvt(rows)


def grouped_tile(f: Filters, z: int, x: int, y: int) -> Bound:
    """The filtered reports in the tile grouped into 64 px cells on the fly, each cluster at the
    mean place of its reports."""
    return _grouped_statement(shape(f)), _values(f, z, x, y)


@functools.cache
def _grouped_statement(s: Shape) -> Select[bytes]:
    """The filtered reports of a tile grouped into the 64 px cells of zoom z + 2."""
    cells = (
        select(
            func.report_tile_x(Report.web_point, _int("cellzoom")).label("gx"),
            func.report_tile_y(Report.web_point, _int("cellzoom")).label("gy"),
            func.avg(func.ST_X(Report.web_point)).label("cx"),
            func.avg(func.ST_Y(Report.web_point)).label("cy"),
            cast(func.count(), Integer).label("count"),
            cast(func.count().filter(is_overdue()), Integer).label("overdue"),
        )
        .where(*_in_tile(s))
        .group_by(literal_column("1"), literal_column("2"))
        .subquery("cells")
    )
    rows = select(
        _geom(cast(cells.c.cx, Float), cast(cells.c.cy, Float)),
        literal("cluster").label("kind"),
        cells.c.count,
        cells.c.overdue,
    )
    return _mvt(rows)


def render(db: Session, f: Filters, z: int, x: int, y: int) -> bytes:
    """The tile of the filtered reports (empty bytes when it holds none)."""
    check_tile(z, x, y)
    return bytes(db.scalar(*_choose(db, f, z, x, y)) or b"")


def _choose(db: Session, f: Filters, z: int, x: int, y: int) -> Bound:
    """The cheapest statement that draws the tile: the grid when it can; otherwise the reports
    as points, or grouped when the tile holds too many (from the grid's finest level at zooms
    15 and 16, where grouping could read tens of thousands of reports)."""
    level = grid_level(z)
    if z < POINTS_FROM and level is not None and grid_filters(f):
        return grid_tile(f, z, x, y, level)
    count, counted = count_in_tile(f, z, x, y, up_to=MAX_POINTS + 1)
    if (db.scalar(count, counted) or 0) <= MAX_POINTS:
        return points_tile(f, z, x, y)
    if grid_filters(f) and z <= GRID_LEVELS[-1]:
        return grid_tile(f, z, x, y, GRID_LEVELS[-1])
    return grouped_tile(f, z, x, y)
