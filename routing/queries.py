"""Statements about jurisdictions and agencies; geometry stays in SQL."""

from __future__ import annotations

from sqlalchemy import JSON, Select, Text, cast, func, literal, select

from routing.models import Jurisdiction, JurisdictionLevel

MAP_TOLERANCE_DEG = 0.0002  # about 20 m: invisible at city zoom, a tenth of the bytes
MAP_DECIMALS = 5  # about 1 m


def wards_feature_collection(
    tolerance: float = MAP_TOLERANCE_DEG, province_code: str | None = None
) -> Select[str]:
    """The wards as one GeoJSON FeatureCollection text, simplified for display."""
    geometry = func.ST_AsGeoJSON(
        func.ST_SimplifyPreserveTopology(Jurisdiction.geom, tolerance), MAP_DECIMALS
    )
    feature = func.json_build_object(
        "type",
        "Feature",
        "id",
        Jurisdiction.code,
        "geometry",
        cast(geometry, JSON),
        "properties",
        func.json_build_object(
            "code",
            Jurisdiction.code,
            "name",
            Jurisdiction.full_name,
            "name_en",
            Jurisdiction.name_en,
            "type",
            Jurisdiction.type,
            "province_code",
            Jurisdiction.province_code,
        ),
    )
    features = func.coalesce(func.json_agg(feature), cast(literal("[]"), JSON))
    collection = func.json_build_object("type", "FeatureCollection", "features", features)
    query = select(cast(collection, Text)).where(
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
