"""Statements about the base map's streets; geometry stays in SQL."""

from __future__ import annotations

import functools
from typing import Any

from geoalchemy2 import Geography
from sqlalchemy import Delete, Float, Select, bindparam, cast, delete, func, select

from routing.basemap.extract import Bounds
from routing.basemap.models import Street
from routing.models import CURRENT_VINTAGE, Jurisdiction, JurisdictionLevel
from routing.queries import point

_NEAR = bindparam("near", type_=Float)  # metres
CANDIDATES = 8  # by distance in degrees; enough for the nearest in metres to be among them


def _envelope(bounds: Bounds) -> Any:
    west, south, east, north = bounds
    return func.ST_MakeEnvelope(west, south, east, north, 4326)


def wards_in(bounds: Bounds) -> Select[str]:
    """The names of the current wards that a bounding box touches."""
    return (
        select(Jurisdiction.full_name)
        .where(
            Jurisdiction.level == JurisdictionLevel.ward,
            Jurisdiction.vintage == CURRENT_VINTAGE,
            func.ST_Intersects(Jurisdiction.geom, _envelope(bounds)),
        )
        .order_by(Jurisdiction.code)
    )


def streets_in(bounds: Bounds) -> Delete:
    """Remove the streets that a bounding box touches (before an extract's are put back)."""
    return delete(Street).where(func.ST_Intersects(Street.geom, _envelope(bounds)))


@functools.cache
def nearest_street() -> Select[str, float]:
    """The nearest named street within ``near`` metres of ``lat``/``lon``, with its distance.

    A KNN scan (``<->`` on the GiST index) takes the few nearest by distance in degrees; the
    geography distance, in metres, decides among them.
    """
    here = point()
    candidates = (
        select(Street.name, Street.geom)
        .order_by(Street.geom.op("<->")(here))
        .limit(CANDIDATES)
        .subquery("candidates")
    )
    distance = func.ST_Distance(cast(candidates.c.geom, Geography), cast(here, Geography))
    return (
        select(candidates.c.name, distance.label("distance"))
        .where(distance <= _NEAR)
        .order_by(distance, candidates.c.name)
        .limit(1)
    )


def has_streets() -> Select[tuple[bool]]:
    """Whether any street has been loaded (a fresh database has none, whatever the archive)."""
    return select(select(Street.id).exists())
