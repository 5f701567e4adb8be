"""The base map's archive: one MBTiles file (SQLite) of gzipped vector tiles, read with sqlite3.

MBTiles rather than PMTiles: tilemaker 2.2 (Debian's) writes MBTiles itself, the standard
library reads it, and a tile is one indexed lookup — no conversion step and no new dependency.
The app answers ``/basemap/{z}/{x}/{y}.mvt`` from it, so browsers never see the archive format.
"""

from __future__ import annotations

import json
import math
import sqlite3
import threading
from collections.abc import Iterator
from contextlib import closing, contextmanager
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

from ioc.settings import Settings

ARCHIVE_NAME = "basemap.mbtiles"
GZIP_MAGIC = b"\x1f\x8b"


class ArchiveError(Exception):
    """The file is not a usable base map archive."""


@dataclass(frozen=True)
class Metadata:
    """What the archive says about itself (MBTiles ``metadata`` table)."""

    build_id: str
    name: str
    minzoom: int
    maxzoom: int
    bounds: tuple[float, float, float, float]  # west, south, east, north
    center: tuple[float, float, int]  # lon, lat, zoom
    attribution: str
    vector_layers: list[dict[str, Any]]
    source: str = ""  # the extract's file name

    def covers(self, z: int, x: int, y: int) -> bool:
        """Whether tile z/x/y lies in the zoom range and touches the bounds."""
        if not self.minzoom <= z <= self.maxzoom:
            return False
        west, south, east, north = self.bounds
        x0, y1 = tile_of(west, south, z)
        x1, y0 = tile_of(east, north, z)
        return x0 <= x <= x1 and y0 <= y <= y1


def tile_of(lon: float, lat: float, z: int) -> tuple[int, int]:
    """The XYZ tile that holds a point at a zoom (Web Mercator)."""
    n = 2**z
    lat = max(min(lat, 85.0511), -85.0511)
    x = int((lon + 180.0) / 360.0 * n)
    y = int((1.0 - math.asinh(math.tan(math.radians(lat))) / math.pi) / 2.0 * n)
    return min(max(x, 0), n - 1), min(max(y, 0), n - 1)


def archive_dir(settings: Settings) -> Path:
    """Where the base map lives (``IOC_MAP__BASEMAP_DIR``, else ``var/basemap``)."""
    return settings.map.basemap_dir or settings.var_dir / "basemap"


def archive_path(settings: Settings) -> Path:
    """The archive the app serves."""
    return archive_dir(settings) / ARCHIVE_NAME


def open_readonly(path: Path) -> sqlite3.Connection:
    """A read-only connection; ``immutable``: a built archive is replaced, never changed."""
    if not path.is_file():
        raise ArchiveError(f"{path}: no such file")
    try:
        return sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro&immutable=1", uri=True)
    except sqlite3.Error as exc:
        raise ArchiveError(f"{path}: {exc}") from exc


@contextmanager
def connect(path: Path) -> Iterator[sqlite3.Connection]:
    """A read-only connection, closed at the end of the block."""
    with closing(open_readonly(path)) as conn:
        yield conn


def read_metadata(conn: sqlite3.Connection) -> Metadata:
    """The archive's metadata; ArchiveError if it is not an archive of ours."""
    try:
        rows = dict(conn.execute("SELECT name, value FROM metadata").fetchall())
        bounds = tuple(float(v) for v in rows["bounds"].split(","))
        lon, lat, zoom = rows["center"].split(",")
        return Metadata(
            build_id=rows["build_id"],
            name=rows.get("name", ""),
            minzoom=int(rows["minzoom"]),
            maxzoom=int(rows["maxzoom"]),
            bounds=(bounds[0], bounds[1], bounds[2], bounds[3]),
            center=(float(lon), float(lat), int(zoom)),
            attribution=rows.get("attribution", ""),
            vector_layers=json.loads(rows.get("json") or "{}").get("vector_layers", []),
            source=rows.get("source", ""),
        )
    except (sqlite3.Error, KeyError, ValueError, IndexError) as exc:
        raise ArchiveError(f"not a base map archive: {exc}") from exc


@lru_cache(maxsize=8)
def _metadata_of(path: Path, inode: int, mtime_ns: int) -> Metadata:
    with connect(path) as conn:
        return read_metadata(conn)


def current_metadata(path: Path) -> Metadata | None:
    """The metadata of the archive now at ``path`` (cached until the file is replaced)."""
    try:
        stat = path.stat()
    except FileNotFoundError:
        return None
    return _metadata_of(path, stat.st_ino, stat.st_mtime_ns)


def read_tile(conn: sqlite3.Connection, z: int, x: int, y: int) -> bytes | None:
    """The stored bytes of tile z/x/y (MBTiles rows count from the south), or None."""
    row = conn.execute(
        "SELECT tile_data FROM tiles WHERE zoom_level = ? AND tile_column = ? AND tile_row = ?",
        (z, x, (1 << z) - 1 - y),
    ).fetchone()
    return bytes(row[0]) if row and row[0] else None


_readers = threading.local()


def read_current_tile(path: Path, z: int, x: int, y: int) -> bytes | None:
    """Tile z/x/y of the archive now at ``path``, through this thread's open connection to it.

    Opening the file costs thirty times the lookup: each server thread keeps one connection,
    opened again when the file is replaced (a new inode or modification time).
    """
    stat = path.stat()
    key = (str(path), stat.st_ino, stat.st_mtime_ns)
    held: tuple[tuple[str, int, int], sqlite3.Connection] | None = getattr(_readers, "held", None)
    if held is None or held[0] != key:
        if held is not None:
            held[1].close()
            _readers.held = None
        held = _readers.held = (key, open_readonly(path))
    try:
        return read_tile(held[1], z, x, y)
    except sqlite3.Error as exc:  # a file of metadata without tiles, or a damaged one
        raise ArchiveError(f"{path}: {exc}") from exc


def tile_counts(conn: sqlite3.Connection) -> dict[int, tuple[int, int]]:
    """Per zoom: the number of tiles and their bytes."""
    rows = conn.execute(
        "SELECT zoom_level, count(*), sum(length(tile_data)) FROM tiles GROUP BY zoom_level"
    ).fetchall()
    return {int(z): (int(n), int(size)) for z, n, size in rows}
