"""The public map's data: public reports in a box as points, or as clusters where there are many.

Clusters come from the trigger-kept grid (``report_cells``, ``report_cells_daily`` with dates)
when the filters name only states, categories and dates, so that a low zoom never groups a
million reports; otherwise from the reports in the box (the GiST index on ``web_point``). Only
public states are ever counted, and a point carries its code, state and category only.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Float, Integer, cast, func, literal_column, select
from sqlalchemy.orm import Session

from dashboard.public.filters import PublicFilters
from ioc.errors import InvalidInput
from ioc.i18n import N_
from reports import publication
from reports.geo.cells import LEVELS
from reports.geo.models import ReportCell, ReportCellDaily
from reports.models import Report
from routing.models import Category

MAX_POINTS = 400  # more in view: clusters
CELL_ZOOMS = 2  # a cluster is a tile at zoom z + 2: about 64 px
BAD_BOX = N_("The map box is west,south,east,north in degrees, with zoom 0 to 22.")


@dataclass(frozen=True)
class Box:
    """The map's view in degrees, and its zoom."""

    west: float
    south: float
    east: float
    north: float
    zoom: int


def parse_box(bbox: str, zoom: int) -> Box:
    """A box from ``west,south,east,north``; 422 if it is not one."""
    try:
        west, south, east, north = (float(part) for part in bbox.split(","))
    except ValueError:
        raise InvalidInput(BAD_BOX, field="bbox") from None
    valid = -180 <= west < east <= 180 and -85 <= south < north <= 85 and 0 <= zoom <= 22
    if not valid or not all(map(math.isfinite, (west, south, east, north))):
        raise InvalidInput(BAD_BOX, field="bbox")
    return Box(west, south, east, north, zoom)


def tile_xy(lon: float, lat: float, zoom: int) -> tuple[int, int]:
    """The XYZ tile (y from the north) holding a place."""
    n = 1 << zoom
    x = int((lon + 180.0) / 360.0 * n)
    y = int((1.0 - math.asinh(math.tan(math.radians(lat))) / math.pi) / 2.0 * n)
    return min(max(x, 0), n - 1), min(max(y, 0), n - 1)


def tile_centre(x: int, y: int, zoom: int) -> tuple[float, float]:
    """The latitude and longitude of a tile's centre."""
    n = 1 << zoom
    lon = (x + 0.5) / n * 360.0 - 180.0
    lat = math.degrees(math.atan(math.sinh(math.pi * (1 - 2 * (y + 0.5) / n))))
    return lat, lon


def features(db: Session, f: PublicFilters, box: Box) -> list[dict[str, Any]]:
    """Points when the view holds few public reports, clusters otherwise."""
    envelope = func.ST_Transform(
        func.ST_MakeEnvelope(box.west, box.south, box.east, box.north, 4326), 3857
    )
    where = [publication.public_condition(), Report.web_point.op("&&")(envelope), *f.conditions()]
    some = select(Report.id).where(*where).limit(MAX_POINTS + 1).subquery()
    if (db.scalar(select(func.count()).select_from(some)) or 0) <= MAX_POINTS:
        return _points(db, where)
    cell_zoom = min(box.zoom + CELL_ZOOMS, 22)
    if not (f.base.agencies or f.base.wards or f.text) and cell_zoom <= LEVELS[-1]:
        return _grid(db, f, box, cell_zoom)
    return _grouped(db, where, cell_zoom)


def _points(db: Session, where: list[Any]) -> list[dict[str, Any]]:
    rows = db.execute(
        select(
            Report.tracking_code,
            Report.state,
            Category.code,
            func.ST_Y(Report.location),
            func.ST_X(Report.location),
        )
        .join(Category, Category.id == Report.category_id)
        .where(*where)
    )
    return [
        {"code": code, "state": state.value, "category": cat, "lat": lat, "lon": lon}
        for code, state, cat, lat, lon in rows
    ]


def _grouped(db: Session, where: list[Any], cell_zoom: int) -> list[dict[str, Any]]:
    """Reports grouped on the fly into the cells of ``cell_zoom``, each at its reports' mean."""
    zoom: Any = literal_column(str(cell_zoom))
    rows = db.execute(
        select(
            cast(func.count(), Integer),
            cast(func.avg(func.ST_Y(Report.location)), Float),
            cast(func.avg(func.ST_X(Report.location)), Float),
        )
        .where(*where)
        .group_by(
            func.report_tile_x(Report.web_point, zoom), func.report_tile_y(Report.web_point, zoom)
        )
    )
    return [{"count": n, "lat": lat, "lon": lon} for n, lat, lon in rows]


def _grid(db: Session, f: PublicFilters, box: Box, cell_zoom: int) -> list[dict[str, Any]]:
    """Clusters of the stored grid at the first level at least as fine as ``cell_zoom``."""
    level = next(level for level in LEVELS if level >= cell_zoom)
    shift = level - cell_zoom
    dated = f.base.since is not None or f.base.until is not None
    table: type[ReportCell] | type[ReportCellDaily] = ReportCellDaily if dated else ReportCell
    x0, y0 = tile_xy(box.west, box.north, level)
    x1, y1 = tile_xy(box.east, box.south, level)
    where = [
        table.level == level,
        table.x.between(x0, x1),
        table.y.between(y0, y1),
        table.state.in_([s.value for s in f.states]),
    ]
    if f.base.categories:
        where.append(table.category_id.in_(f.base.category_ids))
    if f.base.since:
        where.append(ReportCellDaily.day >= f.base.since)
    if f.base.until:
        where.append(ReportCellDaily.day <= f.base.until)
    gx, gy = table.x.op(">>")(shift), table.y.op(">>")(shift)
    rows = db.execute(
        select(gx, gy, cast(func.sum(table.n), Integer)).where(*where).group_by(gx, gy)
    )
    found = []
    for x, y, n in rows:
        lat, lon = tile_centre(x, y, cell_zoom)
        found.append({"count": n, "lat": lat, "lon": lon})
    return found
