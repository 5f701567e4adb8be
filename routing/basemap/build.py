"""``ioc basemap build``: an OpenStreetMap extract -> the base map's vector tiles and streets.

tilemaker (a Debian package) writes the tiles with the project's profile (``profile/``) into a
temporary file beside the archive; the file is checked (it opens, has tiles, they unpack) and
stamped with a build id, the extract's named roads replace the streets of its box in the caller's
transaction, and only then does an atomic rename put the new archive in place of the old one. A
failed build leaves the good archive, and the streets, as they were.
"""

from __future__ import annotations

import gzip
import io
import os
import re
import secrets
import shutil
import sqlite3
import subprocess
import tempfile
import time
from collections.abc import Callable
from contextlib import closing
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import cast

from sqlalchemy.orm import Session

import routing
from routing.basemap import archive, queries
from routing.basemap.extract import Bounds, Extract, ExtractError, read
from routing.basemap.service import replace_streets

PROFILE_DIR = Path(__file__).parent / "profile"
SHIPPED_EXTRACT = Path(routing.__file__).parent / "data" / "hue_osm_2026-04.osm.pbf"
# The box the shipped extract was cut with (data/NOTICE.md): its header declares none, and the
# ways it keeps whole reach far beyond it (a power line runs to the south of Vietnam).
SHIPPED_BOUNDS: Bounds = (107.50, 16.40, 107.68, 16.52)
CENTER_ZOOM = 14
ATTRIBUTION = "© OpenStreetMap contributors"

# (phase, done, total): "reading" blocks of the extract, then "tiles" written.
Progress = Callable[[str, int, int], None]
_READING = re.compile(rb"Block (\d+)/(\d+)")
_WRITING = re.compile(rb"writing tile (\d+) of (\d+)")
_FEATURES = re.compile(rb"Generated points: (\d+), lines: (\d+), polygons: (\d+)")


class BuildError(Exception):
    """The base map cannot be built; nothing was replaced."""


@dataclass(frozen=True)
class Built:
    """What a build made, for its summary."""

    path: Path
    build_id: str
    bounds: Bounds
    wards: list[str]
    features: dict[str, int]
    tiles: dict[int, tuple[int, int]]  # per zoom: tiles, bytes
    size: int
    streets: int
    seconds: float


@dataclass
class _Output:
    """What tilemaker printed: the counts it reports and its last lines, for an error."""

    features: dict[str, int] = field(default_factory=dict)
    tail: bytes = b""


def _no_progress(phase: str, done: int, total: int) -> None:
    """Progress for callers that show none."""


def choose_bounds(extract: Extract, given: Bounds | None = None) -> Bounds:
    """The extract's box: as given, else the shipped one's, its header's, or its roads' extent."""
    if given is not None:
        return given
    if extract.path.resolve() == SHIPPED_EXTRACT.resolve():
        return SHIPPED_BOUNDS
    if extract.header_bounds is not None:
        return extract.header_bounds
    assert extract.road_bounds is not None  # read() refuses a file without roads
    return extract.road_bounds


def tilemaker_command() -> str:
    """The tilemaker executable; BuildError with the fix when it is not installed."""
    found = shutil.which("tilemaker")
    if found is None:
        raise BuildError(
            "tilemaker is not installed: run `make setup` "
            "(or `apt-get install --no-install-recommends tilemaker`)"
        )
    return found


def run_tilemaker(source: Path, output: Path, bounds: Bounds, progress: Progress) -> _Output:
    """Run tilemaker with the project's profile, reporting its progress as it goes."""
    argv = [
        tilemaker_command(),
        *("--input", str(source.resolve()), "--output", str(output)),
        *("--bbox", ",".join(f"{v:.7f}" for v in bounds)),
        *("--config", str(PROFILE_DIR / "config.json")),
        *("--process", str(PROFILE_DIR / "process.lua")),
    ]
    with subprocess.Popen(  # noqa: S603 - fixed argv, no shell
        argv, cwd=output.parent, stdout=subprocess.PIPE, stderr=subprocess.STDOUT
    ) as proc:
        out = _follow(cast(io.BufferedReader, proc.stdout), progress)
        status = proc.wait()
    if status != 0 or not output.is_file():
        last = out.tail.decode("utf-8", "replace").replace("\r", "\n").strip().splitlines()[-5:]
        raise BuildError(f"tilemaker failed (exit status {status}): " + " / ".join(last))
    return out


def _follow(stream: io.BufferedReader, progress: Progress) -> _Output:
    """Read tilemaker's output as it comes (it rewrites one line with \\r) and report progress."""
    out = _Output()
    while chunk := stream.read1(65536):
        text = out.tail[-200:] + chunk
        out.tail = (out.tail + chunk)[-4000:]
        for pattern, phase in ((_READING, "reading"), (_WRITING, "tiles")):
            if found := list(pattern.finditer(chunk)):
                progress(phase, int(found[-1][1]), int(found[-1][2]))
        if counts := _FEATURES.search(text):
            out.features = dict(
                zip(("points", "lines", "polygons"), map(int, counts.groups()), strict=True)
            )
    return out


def stamp(path: Path, build_id: str, bounds: Bounds, source: Path) -> None:
    """Write what the app serves from the archive's metadata: build id, bounds, centre."""
    west, south, east, north = bounds
    values = {
        "build_id": build_id,
        "bounds": f"{west:.6f},{south:.6f},{east:.6f},{north:.6f}",
        "center": f"{(west + east) / 2:.6f},{(south + north) / 2:.6f},{CENTER_ZOOM}",
        "attribution": ATTRIBUTION,
        "source": source.name,
    }
    with closing(sqlite3.connect(path)) as conn, conn:
        conn.executemany(
            "INSERT OR REPLACE INTO metadata (name, value) VALUES (?, ?)", values.items()
        )


def validate(path: Path, build_id: str) -> dict[int, tuple[int, int]]:
    """The archive opens, is this build's, has tiles, and its tiles unpack; the tile counts."""
    try:
        with archive.connect(path) as conn:
            if archive.read_metadata(conn).build_id != build_id:
                raise BuildError("the new archive does not carry its build id")
            counts = archive.tile_counts(conn)
            sample = conn.execute("SELECT tile_data FROM tiles LIMIT 1").fetchone()
    except (archive.ArchiveError, sqlite3.Error) as exc:
        raise BuildError(f"tilemaker wrote no usable archive: {exc}") from exc
    if not counts or sample is None:
        raise BuildError("tilemaker wrote no tiles: the extract has nothing the base map draws")
    data = bytes(sample[0])
    try:
        if data.startswith(archive.GZIP_MAGIC):
            gzip.decompress(data)
    except (OSError, EOFError) as exc:
        raise BuildError(f"the new archive's tiles do not unpack: {exc}") from exc
    return counts


def new_build_id() -> str:
    """A build id that changes with every build (the tiles' ETag and cache key)."""
    return f"{datetime.now(UTC):%Y%m%dT%H%M%SZ}-{secrets.token_hex(4)}"


def build(
    db: Session,
    target_dir: Path,
    source: Path = SHIPPED_EXTRACT,
    *,
    bounds: Bounds | None = None,
    progress: Progress = _no_progress,
) -> Built:
    """Build the base map from an extract into ``target_dir``; the caller commits the streets."""
    started = time.monotonic()
    try:
        extract = read(source)
    except ExtractError as exc:
        raise BuildError(str(exc)) from exc
    box = choose_bounds(extract, bounds)
    wards = list(db.scalars(queries.wards_in(box)))
    if not wards:
        raise BuildError(f"{source}: the extract ({_box(box)}) covers none of the system's wards")
    target_dir.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix=".build-", dir=target_dir) as work:
        output = Path(work) / archive.ARCHIVE_NAME
        out = run_tilemaker(source, output, box, progress)
        build_id = new_build_id()
        stamp(output, build_id, box, source)
        tiles = validate(output, build_id)
        streets = replace_streets(db, extract, box)
        db.flush()
        size = output.stat().st_size
        os.replace(output, target_dir / archive.ARCHIVE_NAME)
    seconds = time.monotonic() - started
    path = target_dir / archive.ARCHIVE_NAME
    return Built(path, build_id, box, wards, out.features, tiles, size, streets, seconds)


def _box(bounds: Bounds) -> str:
    west, south, east, north = bounds
    return f"lon {west:.3f}–{east:.3f}, lat {south:.3f}–{north:.3f}"
