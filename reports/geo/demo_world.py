"""What the bulk demo generator draws from: wards with weights and centres, service areas, routes.

Where reports come from. Reports follow people, and people who report from a phone: the weight
of a ward is an estimate of its residents times how readily they report.

- Residents: the 2025 wards carry no population in the shipped data, so it is estimated from the
  area and the kind of unit. An urban ward (phường) is taken at 8,000 residents per km² (Vũng Tàu
  and Huế's inner wards are 5,000–15,000/km²), between 20,000 and 90,000 residents (the 2025
  merger's wards are mostly 30,000–80,000); a rural commune (xã) and the special zone (đặc khu,
  Côn Đảo) at 400 per km², between 5,000 and 40,000.
- Propensity: urban residents report three times as often (smartphone use and the app's reach;
  Hue-S and Cổng 1022 receive most reports from inner wards).

Within a ward, places cluster around centres: the ward's own centre (its point on surface, in
these wards the market and the People's Committee usually sit near it) and the shipped landmarks
of ``routing/data/demo_places.geojson`` in that ward, plus a uniform tenth for the scattered
rest. Around a centre a place is a Gaussian step of a fifth (urban) or a tenth (rural: villages
are tight) of the ward's width. A place is kept only if it lies in its ward and in no
neighbouring ward with a smaller code, so that routing (smallest code wins on an overlap) puts it
in the same ward.

Where the base map has been built (``ioc basemap build``), a place within about 160 m of a
named street moves onto it, as residents report from the street: on the maps the demo's reports
sit on Huế's streets rather than in its gardens and the river.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime

import numpy as np
import shapely
from numpy.typing import NDArray
from shapely.geometry.base import BaseGeometry
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from routing import seed as routing_seed
from routing import service as routing
from routing.basemap.models import Street
from routing.models import CURRENT_VINTAGE, Agency, Category, Jurisdiction, JurisdictionLevel
from routing.sla import Priority

Floats = NDArray[np.float64]
URBAN_DENSITY, RURAL_DENSITY = 8000.0, 400.0  # residents per km²
URBAN_RESIDENTS, RURAL_RESIDENTS = (20_000.0, 90_000.0), (5_000.0, 40_000.0)
URBAN_PROPENSITY = 3.0
SCATTERED = 0.1  # the share of places drawn uniformly over the ward
SNAP_DEGREES = 0.0015  # about 160 m: a place this near a named street moves onto it


@dataclass
class Streets:
    """The base map's named streets (none before a base map is built)."""

    lines: NDArray[np.object_]
    tree: shapely.STRtree

    def snap(self, x: Floats, y: Floats) -> tuple[Floats, Floats]:
        """The places, those near a street moved to its nearest point."""
        points = shapely.points(x, y)
        near, street = self.tree.query_nearest(points, max_distance=SNAP_DEGREES, all_matches=False)
        if not len(near):
            return x, y
        ends = shapely.get_point(shapely.shortest_line(points[near], self.lines[street]), 1)
        x, y = x.copy(), y.copy()
        x[near], y[near] = shapely.get_x(ends), shapely.get_y(ends)
        return x, y


def load_streets(db: Session) -> Streets | None:
    """The named streets, or None where no base map has been built."""
    rows = db.scalars(select(func.ST_AsBinary(Street.geom)).order_by(Street.id)).all()
    if not rows:
        return None
    lines = shapely.from_wkb([bytes(row) for row in rows])
    return Streets(lines, shapely.STRtree(lines))


def ward_weight(kind: str, area_km2: float) -> float:
    """Estimated residents times propensity to report (see the module's docstring)."""
    urban = kind == "Phường"
    density = URBAN_DENSITY if urban else RURAL_DENSITY
    low, high = URBAN_RESIDENTS if urban else RURAL_RESIDENTS
    residents = min(max(area_km2 * density, low), high)
    return residents * (URBAN_PROPENSITY if urban else 1.0)


@dataclass
class Ward:
    """A ward to draw places in."""

    id: int
    code: str
    urban: bool
    shape: BaseGeometry
    weight: float
    centres: list[tuple[float, float]]
    rivals: list[BaseGeometry] = field(default_factory=list)  # overlapping, smaller code
    streets: Streets | None = None  # the named streets, for a ward that has some nearby

    def draw(self, rng: np.random.Generator, n: int) -> tuple[Floats, Floats]:
        """``n`` places in the ward, clustered around its centres."""
        xs: list[Floats] = []
        ys: list[Floats] = []
        found = 0
        while found < n:
            x, y = self._candidates(rng, max(2 * (n - found), 16))
            keep = shapely.contains_xy(self.shape, x, y)
            for rival in self.rivals:
                keep &= ~shapely.contains_xy(rival, x, y)
            xs.append(x[keep])
            ys.append(y[keep])
            found += int(keep.sum())
        return np.concatenate(xs)[:n], np.concatenate(ys)[:n]

    def _candidates(self, rng: np.random.Generator, n: int) -> tuple[Floats, Floats]:
        west, south, east, north = self.shape.bounds
        spread = (0.2 if self.urban else 0.1) * max(east - west, north - south)
        centres = np.array(self.centres)
        pick = rng.integers(0, len(centres), n)
        x = centres[pick, 0] + rng.normal(0.0, spread, n)
        y = centres[pick, 1] + rng.normal(0.0, spread, n)
        scattered = rng.random(n) < SCATTERED
        x[scattered] = rng.uniform(west, east, int(scattered.sum()))
        y[scattered] = rng.uniform(south, north, int(scattered.sum()))
        return self.streets.snap(x, y) if self.streets else (x, y)


def _landmarks() -> dict[str, list[tuple[float, float]]]:
    """The shipped landmarks by ward code."""
    path = routing_seed.DATA_DIR / "demo_places.geojson"
    places: dict[str, list[tuple[float, float]]] = {}
    for feature in json.loads(path.read_text(encoding="utf-8"))["features"]:
        lon, lat = feature["geometry"]["coordinates"][:2]
        places.setdefault(feature["properties"]["ward_2025_code"], []).append((lon, lat))
    return places


def load_wards(db: Session) -> list[Ward]:
    """The current wards with their weights, centres and overlapping smaller-code neighbours."""
    j = Jurisdiction
    area = func.ST_Area(func.Geography(j.geom)) / 1e6
    rows = db.execute(
        select(j.id, j.code, j.type, func.ST_AsBinary(j.geom), area)
        .where(j.level == JurisdictionLevel.ward, j.vintage == CURRENT_VINTAGE, j.geom.is_not(None))
        .order_by(j.code)
    ).all()
    landmarks = _landmarks()
    wards: list[Ward] = []
    for id_, code, kind, wkb, km2 in rows:
        shape = shapely.from_wkb(bytes(wkb))
        shapely.prepare(shape)
        centre = shape.point_on_surface()
        inside = [p for p in landmarks.get(code, []) if shape.contains(shapely.Point(p))]
        centres = [(centre.x, centre.y), *inside]
        urban = kind == "Phường"
        wards.append(Ward(id_, code, urban, shape, ward_weight(kind, float(km2)), centres))
    for i, ward in enumerate(wards):  # ordered by code: the rivals come before
        ward.rivals = [w.shape for w in wards[:i] if w.shape.intersects(ward.shape)]
    if streets := load_streets(db):
        reach = shapely.box(*shapely.total_bounds(streets.lines)).buffer(SNAP_DEGREES)
        for ward in wards:
            ward.streets = streets if ward.shape.intersects(reach) else None
    return wards


@dataclass
class ServiceAreas:
    """Sector bodies' service areas: which of them cover each place, as a bit mask."""

    shapes: list[BaseGeometry]

    def masks(self, x: Floats, y: Floats) -> NDArray[np.int64]:
        """A bit per service area covering each place."""
        mask = np.zeros(len(x), dtype=np.int64)
        for bit, shape in enumerate(self.shapes):
            west, south, east, north = shape.bounds
            near = (x >= west) & (x <= east) & (y >= south) & (y <= north)
            covered = np.zeros(len(x), dtype=bool)
            covered[near] = shapely.contains_xy(shape, x[near], y[near])
            mask |= covered.astype(np.int64) << bit
        return mask


def load_service_areas(db: Session) -> ServiceAreas:
    """Every agency's service area (routing decides by them, whatever the agency's kind)."""
    rows = db.scalars(
        select(func.ST_AsBinary(Agency.service_area))
        .where(Agency.service_area.is_not(None))
        .order_by(Agency.id)
    )
    shapes = [shapely.from_wkb(bytes(wkb)) for wkb in rows]
    for shape in shapes:
        shapely.prepare(shape)
    return ServiceAreas(shapes)


@dataclass(frozen=True)
class CategoryInfo:
    """A category as the generator uses it."""

    id: int
    code: str
    geographic: bool
    priority: Priority


def load_categories(db: Session) -> list[CategoryInfo]:
    """The active categories."""
    rows = db.execute(
        select(Category.id, Category.code, Category.geographic, Category.default_priority)
        .where(Category.active)
        .order_by(Category.id)
    ).all()
    return [CategoryInfo(r.id, r.code, r.geographic, r.default_priority) for r in rows]


@dataclass(frozen=True)
class Route:
    """Routing's answer for a class of places: the same ward and the same service areas."""

    ward_id: int | None
    office_id: int | None
    agency_id: int | None
    rule: int | None
    reason: str
    params: str  # JSON
    outside_coverage: bool


@dataclass
class Router:
    """Routing's own assignment, asked once per category, ward and set of service areas.

    Routing decides by the ward containing the point (its parent province) and by which service
    areas cover it; places that share those get the same answer, so one call serves them all.
    Non-geographic categories name the People's Committee of the resident's ward.
    """

    db: Session
    at: datetime
    cache: dict[tuple[int, int, int], Route] = field(default_factory=dict)

    def route(self, category: CategoryInfo, ward: Ward, mask: int, lon: float, lat: float) -> Route:
        """The route of a place (the first place of its class stands for the class)."""
        key = (category.id, ward.id, mask)
        found = self.cache.get(key)
        if found is None:
            found = self.cache[key] = self._ask(category, ward, lon, lat)
        return found

    def _ask(self, category: CategoryInfo, ward: Ward, lon: float, lat: float) -> Route:
        office = None if category.geographic else routing_seed.ward_committee_code(ward.code)
        got = routing.assign(
            self.db, category=category.code, lat=lat, lon=lon, office=office, at=self.at
        )
        named = got.redirected_from or got.agency
        return Route(
            ward_id=got.jurisdiction.id if got.jurisdiction else None,
            office_id=None if category.geographic or named is None else named.id,
            agency_id=got.agency.id if got.agency else None,
            rule=got.rule,
            reason=got.why.msgid,
            params=json.dumps(got.why.params, ensure_ascii=False),
            outside_coverage=got.outside_coverage,
        )


def agency_ids(db: Session) -> dict[str, int]:
    """Agency ids by code."""
    return {code: id_ for id_, code in db.execute(select(Agency.id, Agency.code)).all()}
