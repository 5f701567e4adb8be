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

from typing import Any

from sqlalchemy import (
    ColumnElement,
    Float,
    Integer,
    Select,
    and_,
    cast,
    func,
    literal,
    literal_column,
    select,
)
from sqlalchemy.orm import Session

from dashboard.operator.filters import Filters, conditions, is_overdue
from ioc.errors import NotFound
from ioc.i18n import N_
from reports.geo.models import ReportCell, ReportCellDaily
from reports.models import Report
from routing.models import Category

LAYER = "reports"
EXTENT = 4096
MAX_ZOOM = 22
POINTS_FROM = 15  # from this zoom on, reports are drawn one by one (or grouped on the fly)
MAX_POINTS = 1500  # more in one tile: grouped into cells even when zoomed in
CELL_ZOOMS = 2  # a cell is a tile at zoom z + 2: 4 × 4 cells of 64 px per 256 px tile
# The stored grid levels (migration 0010_data, report_cell_levels()).
GRID_LEVELS = (7, 10, 13, 16)
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


def envelope(z: int, x: int, y: int) -> ColumnElement[Any]:
    """The tile's square in EPSG:3857."""
    return func.ST_TileEnvelope(z, x, y)


def _mvt(rows: Select[*tuple[Any, ...]]) -> Select[bytes]:
    """The rows (with a ``geom`` column) as one MVT layer."""
    layer = rows.subquery("features")
    return select(func.ST_AsMVT(layer.table_valued(), LAYER, EXTENT, "geom"))


def _geom(x: ColumnElement[Any], y: ColumnElement[Any], z: int, tx: int, ty: int) -> Any:
    """A point of web mercator coordinates in tile space."""
    point = func.ST_SetSRID(func.ST_MakePoint(x, y), 3857)
    return func.ST_AsMVTGeom(point, envelope(z, tx, ty), EXTENT, 64, True).label("geom")


def grid_tile(f: Filters, z: int, x: int, y: int, level: int) -> Select[bytes]:
    """Clusters from the grid: the tile's cells at ``level`` regrouped into 64 px cells, placed
    at the centre of their reports' stored cells (weighted by count)."""
    daily = f.since is not None or f.until is not None
    table: type[ReportCell] | type[ReportCellDaily] = ReportCellDaily if daily else ReportCell
    span = 1 << (level - z)  # cells of the level across the tile
    shift = level - z - CELL_ZOOMS
    size = 2 * HALF_WORLD / (1 << level)
    where = [
        table.level == level,
        table.x.between(x * span, x * span + span - 1),
        table.y.between(y * span, y * span + span - 1),
    ]
    if not f.all_states:
        where.append(table.state.in_(f.states))
    if f.categories:
        where.append(table.category_id.in_(f.category_ids))
    if f.since:
        where.append(ReportCellDaily.day >= f.since)
    if f.until:
        where.append(ReportCellDaily.day <= f.until)
    cells = select(
        (table.x.op(">>")(shift)).label("gx"),
        (table.y.op(">>")(shift)).label("gy"),
        (-HALF_WORLD + (table.x + 0.5) * size).label("cx"),
        (HALF_WORLD - (table.y + 0.5) * size).label("cy"),
        table.n,
    ).where(*where)
    return _clusters_from(cells.subquery("cells"), f, z, x, y)


def _clusters_from(cells: Any, f: Filters, z: int, x: int, y: int) -> Select[bytes]:
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
    late = _overdue_cells(f, z, x, y).subquery("late")
    rows = select(
        _geom(grouped.c.cx, grouped.c.cy, z, x, y),
        literal("cluster").label("kind"),
        grouped.c.count,
        func.coalesce(late.c.overdue, 0).label("overdue"),
    ).outerjoin(late, and_(late.c.gx == grouped.c.gx, late.c.gy == grouped.c.gy))
    return _mvt(rows)


def _cell_of(z: int) -> tuple[ColumnElement[int], ColumnElement[int]]:
    """The 64 px cell of a report at zoom z (the same tile numbers as the grid's)."""
    zoom = z + CELL_ZOOMS
    return (
        func.report_tile_x(Report.web_point, zoom).label("gx"),
        func.report_tile_y(Report.web_point, zoom).label("gy"),
    )


def _overdue_cells(f: Filters, z: int, x: int, y: int) -> Select[*tuple[Any, ...]]:
    """How many reports flagged overdue each 64 px cell of the tile holds: an index-only scan of
    ``ix_reports_overdue_cells`` (their zoom-16 cells, with the columns the grid filters read)."""
    span, shift = 1 << (OVERDUE_LEVEL - z), OVERDUE_LEVEL - z - CELL_ZOOMS
    cx = func.report_tile_x(Report.web_point, literal_column(str(OVERDUE_LEVEL)))
    cy = func.report_tile_y(Report.web_point, literal_column(str(OVERDUE_LEVEL)))
    return (
        select(
            cx.op(">>")(shift).label("gx"),
            cy.op(">>")(shift).label("gy"),
            cast(func.count(), Integer).label("overdue"),
        )
        .where(
            Report.overdue,
            cx.between(x * span, x * span + span - 1),
            cy.between(y * span, y * span + span - 1),
            *conditions(f),
        )
        .group_by(literal_column("1"), literal_column("2"))
    )


def in_tile(f: Filters, z: int, x: int, y: int) -> list[ColumnElement[bool]]:
    """The filtered reports whose place is in the tile (the GiST index on web_point)."""
    return [Report.web_point.op("&&")(envelope(z, x, y)), *conditions(f)]


def count_in_tile(f: Filters, z: int, x: int, y: int, *, up_to: int) -> Select[int]:
    """How many filtered reports the tile holds, counting no further than ``up_to``."""
    some = select(Report.id).where(*in_tile(f, z, x, y)).limit(up_to).subquery("some")
    return select(func.count()).select_from(some)


def points_tile(f: Filters, z: int, x: int, y: int) -> Select[bytes]:
    """Each filtered report in the tile as a point."""
    rows = (
        select(
            func.ST_AsMVTGeom(Report.web_point, envelope(z, x, y), EXTENT, 64, True).label("geom"),
            literal("point").label("kind"),
            Report.tracking_code.label("code"),
            Report.state,
            cast(is_overdue(), Integer).label("overdue"),
            Category.code.label("category"),
            Report.priority,
        )
        .join(Category, Category.id == Report.category_id)
        .where(*in_tile(f, z, x, y))
    )
    return _mvt(rows)


def grouped_tile(f: Filters, z: int, x: int, y: int) -> Select[bytes]:
    """The filtered reports in the tile grouped into 64 px cells on the fly, each cluster at the
    mean place of its reports."""
    gx, gy = _cell_of(z)
    cells = (
        select(
            gx,
            gy,
            func.avg(func.ST_X(Report.web_point)).label("cx"),
            func.avg(func.ST_Y(Report.web_point)).label("cy"),
            cast(func.count(), Integer).label("count"),
            cast(func.count().filter(is_overdue()), Integer).label("overdue"),
        )
        .where(*in_tile(f, z, x, y))
        .group_by(literal_column("1"), literal_column("2"))
        .subquery("cells")
    )
    rows = select(
        _geom(cast(cells.c.cx, Float), cast(cells.c.cy, Float), z, x, y),
        literal("cluster").label("kind"),
        cells.c.count,
        cells.c.overdue,
    )
    return _mvt(rows)


def render(db: Session, f: Filters, z: int, x: int, y: int) -> bytes:
    """The tile of the filtered reports (empty bytes when it holds none)."""
    check_tile(z, x, y)
    level = grid_level(z)
    if z < POINTS_FROM and level is not None and grid_filters(f):
        statement = grid_tile(f, z, x, y, level)
    elif (db.scalar(count_in_tile(f, z, x, y, up_to=MAX_POINTS + 1)) or 0) <= MAX_POINTS:
        statement = points_tile(f, z, x, y)
    else:
        statement = grouped_tile(f, z, x, y)
    return bytes(db.scalar(statement) or b"")
