"""Reading an OpenStreetMap extract with pyosmium: its named roads and the area it covers.

pyosmium (libosmium's Python bindings, maintained by the OSM community) reads the file once,
before tilemaker runs: a missing, empty or corrupt file fails here with a clear message, and the
named roads it yields are what the ``streets`` table holds for the nearest-street lookup.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import osmium
import osmium.geom
from osmium.filter import KeyFilter

from routing.basemap.roads import ROAD_KINDS

Bounds = tuple[float, float, float, float]  # west, south, east, north


class ExtractError(Exception):
    """The extract cannot be used; the message says why, for the person who gave it."""


@dataclass(frozen=True)
class Road:
    """A named road: its OSM way id, name (Vietnamese first), class, line as WKB hex, extent."""

    id: int
    name: str
    highway: str
    wkb: str
    bounds: Bounds

    def touches(self, bounds: Bounds) -> bool:
        """Whether the road's extent meets a bounding box."""
        west, south, east, north = self.bounds
        return not (west > bounds[2] or east < bounds[0] or south > bounds[3] or north < bounds[1])


@dataclass
class Extract:
    """What one pass over the file found."""

    path: Path
    roads: list[Road] = field(default_factory=list)
    ways_with_roads: int = 0  # highway ways, named or not
    header_bounds: Bounds | None = None
    road_bounds: Bounds | None = None


def name_of(tags: osmium.osm.TagList) -> str:
    """The Vietnamese name if the feature has one, else its name (as the tiles show it)."""
    return str(tags.get("name:vi") or tags.get("name") or "").strip()


def read(path: Path) -> Extract:
    """The roads of a .osm.pbf file; ExtractError for a missing, empty or unreadable file."""
    if not path.is_file():
        raise ExtractError(f"{path}: no such file")
    if path.stat().st_size == 0:
        raise ExtractError(f"{path}: the file is empty")
    extract = Extract(path=path, header_bounds=_header_bounds(path))
    try:
        _read_roads(extract)
    except RuntimeError as exc:  # libosmium's errors: bad blobs, unexpected end, bad format
        raise ExtractError(f"{path}: not a readable OpenStreetMap .osm.pbf file ({exc})") from exc
    if extract.ways_with_roads == 0:
        raise ExtractError(f"{path}: the file holds no roads (no way tagged highway=*)")
    return extract


def _header_bounds(path: Path) -> Bounds | None:
    """The bounding box the file's header declares (osmium extract writes one; not every tool)."""
    try:
        reader = osmium.io.Reader(osmium.io.File(str(path), "pbf"), osmium.osm.NOTHING)
        try:
            box = reader.header().box()
        finally:
            reader.close()
    except RuntimeError as exc:
        raise ExtractError(f"{path}: not a readable OpenStreetMap .osm.pbf file ({exc})") from exc
    if not box.valid():
        return None
    return (box.bottom_left.lon, box.bottom_left.lat, box.top_right.lon, box.top_right.lat)


def _read_roads(extract: Extract) -> None:
    """One pass: every highway way's extent, and the named ones with their lines."""
    wkb = osmium.geom.WKBFactory()
    west = south = 180.0
    east = north = -180.0
    source = osmium.io.File(str(extract.path), "pbf")
    entities = osmium.osm.NODE | osmium.osm.WAY
    processor = osmium.FileProcessor(source, entities).with_locations()
    for way in processor.with_filter(KeyFilter("highway")):
        if not isinstance(way, osmium.osm.Way) or way.tags.get("highway") not in ROAD_KINDS:
            continue
        try:
            line = wkb.create_linestring(way)
        except (osmium.InvalidLocationError, RuntimeError):
            continue  # nodes outside the extract, or fewer than two distinct points
        extract.ways_with_roads += 1
        lons = [node.lon for node in way.nodes]
        lats = [node.lat for node in way.nodes]
        extent = (min(lons), min(lats), max(lons), max(lats))
        west, south = min(west, extent[0]), min(south, extent[1])
        east, north = max(east, extent[2]), max(north, extent[3])
        if name := name_of(way.tags):
            extract.roads.append(Road(way.id, name[:200], way.tags["highway"], line, extent))
    if extract.ways_with_roads:
        extract.road_bounds = (west, south, east, north)
