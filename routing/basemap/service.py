"""Use cases that change the base map's data: the streets of an extract."""

from __future__ import annotations

from geoalchemy2 import WKBElement
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.orm import Session

from routing.basemap import queries
from routing.basemap.extract import Bounds, Extract
from routing.basemap.models import Street

BATCH = 2000


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
