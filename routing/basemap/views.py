"""The base map's tiles and their TileJSON, served from the archive by the app itself.

Tiles are stored gzipped and sent as they are to a client that accepts gzip. The tile URLs of
the TileJSON carry the build id (``?v=``): with it a tile may be cached for a year, since a new
build changes the URL; without it, for an hour. Every answer carries the build id as its ETag.
"""

from __future__ import annotations

import gzip
import re
from pathlib import Path
from typing import Annotated

from fastapi import APIRouter, Query, Request
from starlette.responses import JSONResponse, Response

from ioc import logs
from ioc.errors import NotFound
from ioc.i18n import N_
from ioc.web import SettingsDep
from routing.basemap import archive
from routing.basemap.archive import ArchiveError, Metadata

router = APIRouter(prefix="/basemap", tags=["base map"])
MVT = "application/vnd.mapbox-vector-tile"
CACHE_VERSIONED = "public, max-age=31536000, immutable"
CACHE_PLAIN = "public, max-age=3600"
_COORDINATE = re.compile(r"[0-9]{1,7}")
_NO_ARCHIVE = N_("No base map has been built on this server yet (`ioc basemap build`).")


def _current(path: Path) -> Metadata:
    """The archive's metadata, or 404 when there is none or it cannot be read."""
    try:
        found = archive.current_metadata(path)
    except ArchiveError as exc:
        logs.get_logger("routing.basemap").error("basemap_unreadable", error=str(exc))
        found = None
    if found is None:
        raise NotFound(_NO_ARCHIVE)
    return found


def _coordinates(z: str, x: str, y: str, meta: Metadata) -> tuple[int, int, int]:
    """The tile's numbers; 404 unless they name a tile of the archive's zooms and bounds."""
    if not all(_COORDINATE.fullmatch(part) for part in (z, x, y)):
        raise NotFound(N_("No such tile: z, x and y are whole numbers."))
    tz, tx, ty = int(z), int(x), int(y)
    if not meta.minzoom <= tz <= meta.maxzoom:
        raise NotFound(
            N_("The base map has zooms %(min)s to %(max)s."), min=meta.minzoom, max=meta.maxzoom
        )
    if tx >= 1 << tz or ty >= 1 << tz or not meta.covers(tz, tx, ty):
        raise NotFound(N_("This tile lies outside the base map."))
    return tz, tx, ty


def accepts_gzip(header: str) -> bool:
    """Whether an Accept-Encoding header admits gzip (``gzip;q=0`` refuses it)."""
    for item in header.lower().split(","):
        name, _, params = item.strip().partition(";")
        if name.strip() in ("gzip", "*"):
            quality = params.strip().removeprefix("q=")
            return not (params.strip().startswith("q=") and _is_zero(quality))
    return False


def _is_zero(quality: str) -> bool:
    try:
        return float(quality) == 0
    except ValueError:
        return False


def _not_modified(request: Request, etag: str) -> bool:
    """Whether the client's If-None-Match names this ETag (weakly compared)."""
    wanted = request.headers.get("if-none-match", "")
    tags = {tag.strip().removeprefix("W/") for tag in wanted.split(",")}
    return etag in tags or "*" in tags


@router.get("/{z}/{x}/{y}.mvt", response_class=Response)
def tile(
    request: Request,
    settings: SettingsDep,
    z: str,
    x: str,
    y: str,
    v: Annotated[str | None, Query(max_length=64)] = None,
) -> Response:
    """A vector tile of the base map (204 when it is empty inside the map's bounds)."""
    path = archive.archive_path(settings)
    meta = _current(path)
    tz, tx, ty = _coordinates(z, x, y, meta)
    gzip_ok = accepts_gzip(request.headers.get("accept-encoding", ""))
    etag = f'"{meta.build_id}{"-gz" if gzip_ok else ""}"'
    cache = CACHE_VERSIONED if v == meta.build_id else CACHE_PLAIN
    headers = {"ETag": etag, "Cache-Control": cache, "Vary": "Accept-Encoding"}
    if _not_modified(request, etag):
        return Response(status_code=304, headers=headers)
    try:
        data = archive.read_current_tile(path, tz, tx, ty)
    except (ArchiveError, OSError) as exc:  # removed since, or unreadable beyond its metadata
        logs.get_logger("routing.basemap").warning("basemap_tile_unread", error=str(exc))
        raise NotFound(_NO_ARCHIVE) from exc
    if data is None:
        return Response(status_code=204, headers=headers)
    if data.startswith(archive.GZIP_MAGIC):
        if gzip_ok:
            headers["Content-Encoding"] = "gzip"
        else:
            data = gzip.decompress(data)
    return Response(data, media_type=MVT, headers=headers)


@router.get("/tiles.json")
def tilejson(request: Request, settings: SettingsDep) -> Response:
    """The base map described as TileJSON 3.0.0, with its tile URL of this build."""
    meta = _current(archive.archive_path(settings))
    etag = f'"{meta.build_id}"'
    headers = {"ETag": etag, "Cache-Control": "no-cache"}
    if _not_modified(request, etag):
        return Response(status_code=304, headers=headers)
    base = str(request.base_url).rstrip("/")
    body = {
        "tilejson": "3.0.0",
        "name": meta.name,
        "version": "1.0.0",
        "attribution": meta.attribution,
        "scheme": "xyz",
        "tiles": [f"{base}/basemap/{{z}}/{{x}}/{{y}}.mvt?v={meta.build_id}"],
        "minzoom": meta.minzoom,
        "maxzoom": meta.maxzoom,
        "bounds": list(meta.bounds),
        "center": list(meta.center),
        "vector_layers": meta.vector_layers,
        "build_id": meta.build_id,
    }
    return JSONResponse(body, headers=headers)
