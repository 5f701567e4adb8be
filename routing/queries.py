"""Statements about jurisdictions and agencies; geometry stays in SQL."""

from __future__ import annotations

import functools
from typing import Any

from geoalchemy2 import Geography
from sqlalchemy import (
    CTE,
    JSON,
    ColumnElement,
    Date,
    Float,
    Integer,
    ScalarSelect,
    Select,
    String,
    Text,
    bindparam,
    case,
    cast,
    exists,
    func,
    literal,
    null,
    or_,
    select,
    true,
)
from sqlalchemy.orm import aliased
from sqlalchemy.sql.selectable import CompoundSelect, LateralFromClause

from routing.models import (
    CURRENT_VINTAGE,
    Agency,
    Category,
    DayOff,
    Jurisdiction,
    JurisdictionLevel,
    RoutingRule,
    RuleTarget,
    rule_jurisdictions,
)

MAP_TOLERANCE_DEG = 0.0002  # about 20 m: invisible at city zoom, a tenth of the bytes
MAP_DECIMALS = 5  # about 1 m
LOW_DETAIL_DECIMALS = 4  # about 11 m: enough for outlines simplified to about 100 m
METRES_PER_DEGREE = 111_320.0


def _feature_collection(
    geom: Any,
    key: Any,
    properties: dict[str, Any],
    tolerance: float,
    decimals: int = MAP_DECIMALS,
) -> ColumnElement[str]:
    """One GeoJSON FeatureCollection text aggregated in SQL, geometry simplified for display."""
    geometry = func.ST_AsGeoJSON(func.ST_SimplifyPreserveTopology(geom, tolerance), decimals)
    pairs = [item for name, column in properties.items() for item in (name, column)]
    feature = func.json_build_object(
        "type",
        "Feature",
        "id",
        key,
        "geometry",
        cast(geometry, JSON),
        "properties",
        func.json_build_object(*pairs),
    )
    features = func.coalesce(func.json_agg(feature), cast(literal("[]"), JSON))
    collection = func.json_build_object("type", "FeatureCollection", "features", features)
    return cast(collection, Text)


def wards_feature_collection(
    tolerance: float = MAP_TOLERANCE_DEG,
    province_code: str | None = None,
    decimals: int = MAP_DECIMALS,
    outline_only: bool = False,
) -> Select[str]:
    """The wards as one GeoJSON FeatureCollection text, simplified for display; with
    ``outline_only``, each ward's code is its only property (a frame drawn under a pin)."""
    properties: dict[str, Any] = {"code": Jurisdiction.code}
    if not outline_only:
        properties |= {
            "name": Jurisdiction.full_name,
            "name_en": Jurisdiction.name_en,
            "type": Jurisdiction.type,
            "province_code": Jurisdiction.province_code,
        }
    collection = _feature_collection(
        Jurisdiction.geom, Jurisdiction.code, properties, tolerance, decimals
    )
    query = select(collection).where(
        Jurisdiction.level == JurisdictionLevel.ward, Jurisdiction.geom.is_not(None)
    )
    if province_code:
        query = query.where(Jurisdiction.province_code == province_code)
    return query


def ward_bounds(province_code: str | None = None) -> Select[float, float, float, float]:
    """South-west and north-east corners of the wards (for fitting a map)."""
    extent = func.ST_Extent(Jurisdiction.geom)
    query = select(
        func.ST_YMin(extent), func.ST_XMin(extent), func.ST_YMax(extent), func.ST_XMax(extent)
    ).where(Jurisdiction.level == JurisdictionLevel.ward)
    if province_code:
        query = query.where(Jurisdiction.province_code == province_code)
    return query


def provinces() -> Select[Jurisdiction]:
    """Provinces that have wards loaded."""
    return (
        select(Jurisdiction)
        .where(Jurisdiction.level == JurisdictionLevel.province)
        .order_by(Jurisdiction.code)
    )


def province_at(lat: float, lon: float) -> Select[str | None]:
    """The province code of the ward containing a point."""
    point = func.ST_SetSRID(func.ST_MakePoint(lon, lat), 4326)
    return (
        select(Jurisdiction.province_code)
        .where(
            Jurisdiction.level == JurisdictionLevel.ward,
            func.ST_Intersects(Jurisdiction.geom, point),
        )
        .limit(1)
    )


# --- Assignment: one statement finds the ward, the first matching rule and its agency. ---------

_LAT = bindparam("lat", type_=Float)
_LON = bindparam("lon", type_=Float)
_CATEGORY = bindparam("category", type_=String)
_SINCE = bindparam("since", type_=Date)
_NEAR = bindparam("near", type_=Float)  # metres: how far outside every ward a point still counts


def point() -> ColumnElement[Any]:
    """The point of the ``lat``/``lon`` parameters, in EPSG:4326."""
    return func.ST_SetSRID(func.ST_MakePoint(_LON, _LAT), 4326)


def _current_wards() -> tuple[ColumnElement[bool], ...]:
    return (
        Jurisdiction.level == JurisdictionLevel.ward,
        Jurisdiction.vintage == CURRENT_VINTAGE,
    )


def ward_at() -> CompoundSelect[int, str, str, int | None, float | None]:
    """The ward containing a point, else the nearest within ``near`` metres (with its distance).

    On a shared edge or in an overlap, the smallest code wins. The nearest-ward branch runs only
    when no ward contains the point (a one-time filter): the index box finds candidates, the
    geography distance decides.
    """
    ward = Jurisdiction
    inside = (
        select(ward.id, ward.code, ward.full_name, ward.parent_id)
        .where(*_current_wards(), func.ST_Intersects(ward.geom, point()))
        .order_by(ward.code)
        .limit(1)
        .cte("inside")
    )
    here = cast(point(), Geography)
    distance = func.ST_Distance(cast(ward.geom, Geography), here)
    margin = _NEAR / (METRES_PER_DEGREE * func.greatest(func.cos(func.radians(_LAT)), 0.01))
    nearest = (
        select(ward.id, ward.code, ward.full_name, ward.parent_id, distance.label("distance"))
        .where(
            *_current_wards(),
            ~exists(select(inside.c.id)),
            ward.geom.op("&&")(func.ST_Expand(point(), margin)),
            func.ST_DWithin(cast(ward.geom, Geography), here, _NEAR),
        )
        .order_by(distance, ward.code)
        .limit(1)
    )
    found = select(*inside.c, cast(null(), Float).label("distance"))
    return found.union_all(nearest)


def _named(rule: type[RoutingRule]) -> LateralFromClause:
    """The rule's named agency, when its service area (if required) covers the point."""
    agency = aliased(Agency)
    return (
        select(agency.id)
        .where(
            rule.target == RuleTarget.agency,
            agency.id == rule.agency_id,
            or_(~rule.within_service_area, func.ST_Intersects(agency.service_area, point())),
        )
        .lateral("named")
    )


def _territorial(rule: type[RoutingRule], ward: CTE) -> LateralFromClause:
    """The agency of the rule's kind that answers for the point's ward (or its province)."""
    agency = aliased(Agency)
    place = case((rule.level == JurisdictionLevel.ward, ward.c.id), else_=ward.c.parent_id)
    return (
        select(agency.id)
        .select_from(agency)
        .join(ward, agency.jurisdiction_id == place)
        .where(rule.target == RuleTarget.jurisdiction, agency.kind == rule.agency_kind)
        .order_by(agency.code)
        .limit(1)
        .lateral("territorial")
    )


def _sector(rule: type[RoutingRule]) -> LateralFromClause:
    """The agency of the rule's kind whose service area covers the point; smallest area wins."""
    agency = aliased(Agency)
    return (
        select(agency.id)
        .where(
            rule.target == RuleTarget.service_area,
            agency.kind == rule.agency_kind,
            func.ST_Intersects(agency.service_area, point()),
        )
        .order_by(func.ST_Area(agency.service_area), agency.code)
        .limit(1)
        .lateral("sector")
    )


def _rules_here(ward: CTE) -> Select[int, Any, RuleTarget]:
    """The active rules of the category (by position) that yield an agency here."""
    rule = RoutingRule
    named, territorial, sector = _named(rule), _territorial(rule, ward), _sector(rule)
    agency_id = func.coalesce(named.c.id, territorial.c.id, sector.c.id)
    limits = rule_jurisdictions.c
    unlimited = ~exists().where(limits.rule_id == rule.id)
    limited_here = (
        exists()
        .where(limits.rule_id == rule.id)
        .where(limits.jurisdiction_id.in_(select(ward.c.id).union_all(select(ward.c.parent_id))))
    )
    return (
        select(rule.position, agency_id.label("agency_id"), rule.target.label("target"))
        .select_from(rule)
        .outerjoin(named, true())
        .outerjoin(territorial, true())
        .outerjoin(sector, true())
        .where(
            rule.category_id == Category.id,
            rule.active,
            or_(unlimited, limited_here),
            agency_id.is_not(None),
        )
        .order_by(rule.position)
    )


def _first_rule(ward: CTE) -> LateralFromClause:
    """The first active rule of the category (by position) that yields an agency here."""
    return _rules_here(ward).limit(1).lateral("first_rule")


@functools.cache
def candidates() -> Select[Any]:
    """Every rule of a category that yields an agency at a point, first rule first, with the
    agency and the ward (parameters: category, lat, lon, near).

    The forward form lists them, each with its reason; the first is the routing's suggestion.
    """
    ward = ward_at().cte("ward")
    rules = _rules_here(ward).lateral("rules")
    agency = aliased(Agency)
    return (
        select(
            rules.c.position,
            rules.c.target,
            agency.id.label("agency_id"),
            agency.code.label("agency_code"),
            agency.name.label("agency_name"),
            agency.active.label("agency_active"),
            ward.c.full_name.label("ward_name"),
            Category.name_vi,
            Category.name_en,
        )
        .select_from(Category)
        .join(ward, true())
        .join(rules, true())
        .join(agency, agency.id == rules.c.agency_id)
        .where(Category.code == _CATEGORY, Category.geographic)
        .order_by(rules.c.position)
    )


def _days(working: bool) -> ScalarSelect[Any]:
    """Administrator days off (or make-up working days) from the ``since`` date on."""
    return (
        select(func.array_agg(DayOff.day))
        .where(DayOff.working.is_(working), DayOff.day >= _SINCE)
        .scalar_subquery()
    )


def assignment() -> Select[Any]:
    """Everything ``assign`` needs in one round trip (parameters: category, lat, lon, since).

    Plain columns, no ORM entities: this is the hot path, and a Core row is cheap to build.
    """
    ward = ward_at().cte("ward")
    first = _first_rule(ward)
    agency = aliased(Agency)
    return (
        select(
            Category.id.label("category_id"),
            Category.name_vi,
            Category.name_en,
            Category.default_priority,
            Category.geographic,
            Category.active.label("category_active"),
            Category.sla,
            ward.c.id.label("ward_id"),
            ward.c.code.label("ward_code"),
            ward.c.full_name.label("ward_name"),
            ward.c.distance.label("ward_distance"),
            first.c.position,
            agency.id.label("agency_id"),
            agency.code.label("agency_code"),
            agency.name.label("agency_name"),
            agency.active.label("agency_active"),
            _days(False).label("days_off"),
            _days(True).label("working_days"),
        )
        .select_from(Category)
        .outerjoin(ward, true())
        .outerjoin(first, true())
        .outerjoin(agency, agency.id == first.c.agency_id)
        .where(Category.code == _CATEGORY)
    )


@functools.cache
def sla_inputs() -> Select[Any]:
    """A category's code, deadline overrides and the calendar's extra days (category_id, since)."""
    return select(
        Category.code,
        Category.sla,
        _days(False).label("days_off"),
        _days(True).label("working_days"),
    ).where(Category.id == bindparam("category_id", type_=Integer))


def agency_chain(agency_id: int) -> Select[Agency]:
    """An agency and its ancestors, nearest first (at most 20 levels: parents may not cycle)."""
    up = (
        select(Agency.id, Agency.parent_id, literal(0).label("depth"))
        .where(Agency.id == agency_id)
        .cte("up", recursive=True)
    )
    parent = aliased(Agency)
    up = up.union_all(
        select(parent.id, parent.parent_id, (up.c.depth + 1).label("depth"))
        .join(up, parent.id == up.c.parent_id)
        .where(up.c.depth < 20)
    )
    return select(Agency).join(up, Agency.id == up.c.id).order_by(up.c.depth)


def service_areas_feature_collection(tolerance: float = MAP_TOLERANCE_DEG) -> Select[str]:
    """Sector bodies' service areas as one GeoJSON FeatureCollection text, for display."""
    properties = {
        "code": Agency.code,
        "name": Agency.name,
        "kind": Agency.kind,
        "active": Agency.active,
    }
    collection = _feature_collection(Agency.service_area, Agency.code, properties, tolerance)
    return select(collection).where(Agency.service_area.is_not(None))
