"""The public side of open data: the page, the live GeoJSON and CSV, the Data Package descriptor
and the published snapshots' files. No sign-in; only public reports, only public fields."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from typing import Any, Final

from fastapi import APIRouter, Request
from starlette.responses import FileResponse, JSONResponse, Response, StreamingResponse

from dashboard.opendata import datapackage, queries, snapshots, streams
from dashboard.opendata.fields import (
    ATTRIBUTION,
    FIELDS,
    LICENCE_ID,
    LICENCE_TITLE,
    LICENCE_URL,
    TYPE_LABELS,
)
from dashboard.opendata.filters import FiltersDep
from dashboard.opendata.queries import Filters
from ioc.settings import Settings
from ioc.web import SessionDep, SettingsDep, templating
from reports.deps import base_url

router = APIRouter(prefix="/open-data")
FORMAT: Final = "1"  # bump when the files' layout changes, so that caches let go of old copies
GEOJSON: Final = "application/geo+json"
CSV: Final = "text/csv; charset=utf-8; header=present"
# The live files: always revalidate (a 304 costs one small query); anyone may fetch them.
LIVE: Final = {"Cache-Control": "public, no-cache", "Access-Control-Allow-Origin": "*"}
# A snapshot's file changes only if the administrator writes the day again.
SNAPSHOT: Final = {"Cache-Control": "public, max-age=86400", "Access-Control-Allow-Origin": "*"}


def site(request: Request, settings: Settings) -> str:
    """The address the links in the data start with: the configured site, or this request's."""
    return snapshots.site_base(settings) or base_url(request)


def matches(request: Request, tag: str) -> bool:
    """Whether the client's ``If-None-Match`` names this entity tag."""
    header = request.headers.get("if-none-match", "")
    tags = {part.strip().removeprefix("W/") for part in header.split(",")}
    return tag in tags or "*" in tags


def live_etag(db: SessionDep, kind: str, filters: Filters, base: str) -> str:
    """An entity tag that changes whenever the download's content may have."""
    events, reports, names = db.execute(queries.version()).one()
    raw = f"{FORMAT}|{kind}|{filters.key()}|{base}|{events}|{reports}|{names}"
    return '"' + hashlib.sha256(raw.encode()).hexdigest()[:32] + '"'


def _download(
    request: Request, tag: str, chunks: Iterator[bytes], media_type: str, name: str
) -> Response:
    headers = LIVE | {"ETag": tag}
    if matches(request, tag):
        return Response(status_code=304, headers=headers)
    headers["Content-Disposition"] = f'inline; filename="{name}"'
    return StreamingResponse(chunks, media_type=media_type, headers=headers)


@router.get("/reports.geojson")
def reports_geojson(
    request: Request, db: SessionDep, settings: SettingsDep, filters: FiltersDep
) -> Response:
    """The public reports as a GeoJSON FeatureCollection, streamed."""
    base = site(request, settings)
    tag = live_etag(db, "geojson", filters, base)
    chunks = streams.geojson_download(db, filters, base)
    return _download(request, tag, chunks, GEOJSON, "reports.geojson")


@router.get("/reports.csv")
def reports_csv(
    request: Request, db: SessionDep, settings: SettingsDep, filters: FiltersDep
) -> Response:
    """The public reports as CSV (UTF-8 with a BOM, a header row), streamed."""
    base = site(request, settings)
    tag = live_etag(db, "csv", filters, base)
    chunks = streams.csv_download(db, filters, base)
    return _download(request, tag, chunks, CSV, "reports.csv")


@router.get("/datapackage.json")
def datapackage_json(request: Request, settings: SettingsDep) -> Response:
    """The Frictionless Data Package descriptor of the live files."""
    body = datapackage.descriptor(site(request, settings))
    return JSONResponse(body, headers={"Access-Control-Allow-Origin": "*"})


@router.get("/snapshots/{name}")
def snapshot_file(request: Request, db: SessionDep, settings: SettingsDep, name: str) -> Response:
    """A published snapshot's file, as it was written."""
    path, digest = snapshots.served_file(db, settings, name)
    tag = f'"{digest}"'
    headers = SNAPSHOT | {"ETag": tag}
    if matches(request, tag):
        return Response(status_code=304, headers=headers)
    media_type = GEOJSON if name.endswith(".geojson") else CSV
    return FileResponse(path, media_type=media_type, filename=name, headers=headers)


@router.get("")
def open_data_page(request: Request, db: SessionDep, settings: SettingsDep) -> Response:
    """What is published, under which licence, how often, the dictionary, the files."""
    context: dict[str, Any] = {
        "fields": FIELDS,
        "type_labels": TYPE_LABELS,
        "licence": {"id": LICENCE_ID, "title": LICENCE_TITLE, "url": LICENCE_URL},
        "attribution": ATTRIBUTION,
        "snapshots": snapshots.listed(db, published_only=True),
        "file_name": snapshots.file_name,
        "auto_publish": settings.open_data.auto_publish,
        "categories": db.execute(datapackage.categories()).all(),
    }
    return templating.render(request, "opendata/index.html", context)
