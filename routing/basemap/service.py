"""Use cases that change the base map's data: the streets of an extract."""

from __future__ import annotations

from geoalchemy2 import WKBElement
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.orm import Session

from routing.basemap import queries
from routing.basemap.extract import Bounds, Extract
from routing.basemap.models import Street

BATCH = 2000
# A resident checks the place by the street it is on: farther than this, no street is named.
NEAR_STREET_METRES = 150.0


def replace_streets(db: Session, extract: Extract, bounds: Bounds) -> int:
    """Put an extract's named roads in place of the streets its bounding box touches.

    One transaction (the caller's): the lookup sees the old streets or the new, never none. A way
    that another extract also holds (a road across both boxes) is updated, not duplicated.
    """
    db.execute(queries.streets_in(bounds))
    rows = [
        {
            "id": road.id,
            "name": road.name,
            "highway": road.highway,
            "geom": WKBElement(bytes.fromhex(road.wkb), srid=4326),
        }
        for road in extract.roads
        if road.touches(bounds)
    ]
    upsert = insert(Street)
    upsert = upsert.on_conflict_do_update(
        index_elements=[Street.id],
        set_={
            "name": upsert.excluded.name,
            "highway": upsert.excluded.highway,
            "geom": upsert.excluded.geom,
        },
    )
    for start in range(0, len(rows), BATCH):
        db.execute(upsert, rows[start : start + BATCH])
    return len(rows)


def street_near(
    db: Session, lat: float, lon: float, metres: float = NEAR_STREET_METRES
) -> str | None:
    """The name of the nearest named street within ``metres`` of a point, if any."""
    row = db.execute(queries.nearest_street(), {"lat": lat, "lon": lon, "near": metres}).first()
    return str(row[0]) if row else None
