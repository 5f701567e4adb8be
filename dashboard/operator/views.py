"""The operators' page ``/dashboard``: the map beside the queue, driven by one filters form whose
values live in the URL; its counts per state, and the agencies' service areas as a map layer."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request
from starlette.responses import JSONResponse, Response

from dashboard.operator import page
from dashboard.operator import queue as operator_queue
from dashboard.operator.deps import OperatorUser
from dashboard.operator.filters import ALL_STATES, FiltersDep
from dashboard.operator.importmap import IMPORT_MAP
from ioc import i18n
from ioc.db import utcnow
from ioc.web import SessionDep, SettingsDep, maps, templating
from reports.models import STATE_LABELS
from routing import queries as routing_queries

router = APIRouter(prefix="/dashboard")
GEOJSON = "application/geo+json"
EMPTY = '{"type": "FeatureCollection", "features": []}'
CodeQuery = Annotated[str | None, Query(max_length=32)]
CursorQuery = Annotated[str | None, Query(max_length=300)]
QUEUE_PAGE = operator_queue.PAGE_SIZE


@router.get("")
def dashboard_page(
    request: Request,
    db: SessionDep,
    settings: SettingsDep,
    _: OperatorUser,
    filters: FiltersDep,
    report: CodeQuery = None,
    after: CursorQuery = None,
) -> Response:
    """The map and the queue under the URL's filters; ``report=CODE`` opens its panel."""
    rows = operator_queue.page(db, filters, after=after, limit=QUEUE_PAGE)
    now = utcnow()
    counts = page.counts_view(filters, page.state_counts(db, filters))
    fmap = maps.make_map(settings.map, prefer_canvas=True)
    province = db.scalar(
        routing_queries.province_at(settings.map.center_lat, settings.map.center_lon)
    )
    wards_url = f"/map/jurisdictions?f=geojson&detail=low&province={province or ''}"
    context = {
        "map": maps.render(fmap, templating.csp_nonce(request)),
        "map_name": fmap.get_name(),
        "import_map": IMPORT_MAP,
        "options": page.form_options(db),
        "chosen": page.chosen(filters),
        "counts": counts["chips"],
        "total": counts["total"],
        "rows": [page.row_view(row, now) for row in rows.rows],
        "next": rows.next,
        "query": filters.query_string(),
        "blank_row": page.BLANK_ROW,
        "legend": [(s.value, i18n.gettext(STATE_LABELS[s])) for s in ALL_STATES],
        "keys": page.keys(),
        "page_data": page.page_data(filters, report, wards_url),
    }
    return templating.render(request, "dashboard.html", context)


@router.get("/counts.json")
def counts(db: SessionDep, _: OperatorUser, filters: FiltersDep) -> JSONResponse:
    """Reports per state under every filter but the state; the total of the chosen states."""
    per_state = page.state_counts(db, filters)
    view = page.counts_view(filters, per_state)
    body = {
        "counts": {s.value: per_state.get(s.value, 0) for s in ALL_STATES},
        "active": [] if filters.all_states else [s.value for s in filters.states],
        "total": view["total"],
        "total_text": view["total_text"],
    }
    return JSONResponse(body, headers={"Cache-Control": "private, no-store"})


@router.get("/layers/service-areas.geojson")
def service_areas(db: SessionDep, _: OperatorUser) -> Response:
    """The sector bodies' service areas, as one GeoJSON FeatureCollection (a map layer)."""
    collection = db.scalar(routing_queries.service_areas_feature_collection()) or EMPTY
    return Response(
        collection, media_type=GEOJSON, headers={"Cache-Control": "private, max-age=300"}
    )
