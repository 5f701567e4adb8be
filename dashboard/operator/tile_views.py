"""The map's data: vector tiles of the filtered reports, and the queue as JSON."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query
from starlette.responses import JSONResponse, Response

from dashboard.operator import queue, tiles
from dashboard.operator.deps import OperatorUser
from dashboard.operator.filters import FiltersDep
from ioc.web import SessionDep

router = APIRouter(prefix="/dashboard")
# The map and the queue are live: a browser may reuse an answer for a few seconds, no proxy may.
LIVE_CACHE = "private, max-age=5"
MVT = "application/vnd.mapbox-vector-tile"


@router.get("/queue.json")
def queue_json(
    db: SessionDep,
    _: OperatorUser,
    filters: FiltersDep,
    after: Annotated[str | None, Query(max_length=200)] = None,
    limit: Annotated[int, Query(ge=1, le=queue.MAX_PAGE)] = queue.PAGE_SIZE,
) -> JSONResponse:
    """A page of the queue under the filters, and the cursor of the next page."""
    found = queue.page(db, filters, after=after, limit=limit)
    body = {"rows": [row.as_json() for row in found.rows], "next": found.next}
    return JSONResponse(body, headers={"Cache-Control": LIVE_CACHE})


@router.get("/tiles/{z}/{x}/{y}.mvt")
def tile(db: SessionDep, _: OperatorUser, filters: FiltersDep, z: int, x: int, y: int) -> Response:
    """A vector tile of the filtered reports (204 when the tile holds none)."""
    body = tiles.render(db, filters, z, x, y)
    headers = {"Cache-Control": LIVE_CACHE}
    if not body:
        return Response(status_code=204, headers=headers)
    return Response(body, media_type=MVT, headers=headers)
