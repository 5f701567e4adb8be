"""The public site: no sign-in, HTML first, Vietnamese first; every answer cacheable (ETag).

``/public`` (map and list under the URL's filters), ``/public/map`` (the map frame),
``/public/map.json`` (its points and clusters), ``/public/reports/{code}``,
``/public/agencies/{code}``, ``/public/wards/{code}`` and ``/public/ranking``.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from sqlalchemy import ColumnElement
from starlette.responses import Response

from dashboard.kpi.figures import period_figures, today
from dashboard.kpi.page import agency_rows
from dashboard.kpi.period import Period, Sort, parse_period
from dashboard.kpi.queries import day_start
from dashboard.operator.page import form_options
from dashboard.public import caching, clusters, display
from dashboard.public import queries as q
from dashboard.public.filters import STATES, PublicFilters, PublicFiltersDep
from ioc.db import utcnow
from ioc.errors import NotFound
from ioc.i18n import N_
from ioc.web import SessionDep, SettingsDep, maps, templating
from ioc.web.middleware import RequestContext
from reports import publication
from reports.models import Report

router = APIRouter(prefix="/public")
NO_REPORT = N_("There is no public report with this code.")
NO_AGENCY = N_("There is no agency with this code.")
NO_WARD = N_("There is no ward with this code.")
AREA_DAYS = 90  # an agency's or a ward's figures: the results of the last 90 days
MAP_MODULE = "/static/public/map.js"


def _row(row: Any) -> dict[str, Any]:
    """A report of the list as shown."""
    return {
        "code": row.code,
        "state": row.state.value,
        "state_label": display.state_label(row.state),
        "category": display.category(row),
        "ward": row.ward_name,
        "agency": row.agency_name,
        "description": row.description,
        "created": display.shown(row.created_at),
        "on_time": row.on_time,
    }


def _list(request: Request, db: SessionDep, f: PublicFilters, after: str | None) -> dict[str, Any]:
    """The list's rows and the link to its next page."""
    found = q.page(db, f.conditions(), after)
    more = f"/public?{f.query_string(after=found.next)}" if found.next else None
    return {"rows": [_row(row) for row in found.rows], "next_url": more}


@router.get("")
def index(
    request: Request,
    db: SessionDep,
    f: PublicFiltersDep,
    after: Annotated[str | None, Query(max_length=200)] = None,
) -> Response:
    """The map and the list of public reports, filtered by the URL."""
    options = form_options(db)
    context = {
        **_list(request, db, f, after),
        "options": options,
        "states": [(s.value, display.state_label(s)) for s in STATES],
        "f": f,
        "chosen": {
            "state": [s.value for s in f.states] if f.states != STATES else [],
            "category": [r.code for r in f.base.categories],
            "ward": [r.code for r in f.base.wards],
            "agency": [r.code for r in f.base.agencies],
        },
        "map_src": f"/public/map?{f.query_string()}",
    }
    return caching.page(request, "public/index.html", context)


@router.get("/map")
def map_frame(request: Request, settings: SettingsDep, f: PublicFiltersDep) -> Response:
    """The map alone (folium, self-hosted Leaflet), framed by ``/public``; drawn by map.js."""
    fmap = maps.make_map(settings.map, prefer_canvas=True)
    context = {
        "map": maps.render(fmap, templating.csp_nonce(request)),
        "map_name": fmap.get_name(),
        "query": f.query_string(),
        "module": MAP_MODULE,
    }
    response = templating.render(request, "public/map_frame.html", context)
    # Framed by our own page only (the app's policy forbids any frame).
    response.headers["X-Frame-Options"] = "SAMEORIGIN"
    response.headers["Content-Security-Policy"] = _frame_policy(request)
    response.headers["Cache-Control"] = "private, max-age=60"
    return response


def _frame_policy(request: Request) -> str:
    """The app's Content-Security-Policy for this response, letting our own pages frame it."""
    policy = next(m.kwargs["csp"] for m in request.app.user_middleware if m.cls is RequestContext)(
        templating.csp_nonce(request)
    )
    return str(policy).replace("frame-ancestors 'none'", "frame-ancestors 'self'")


@router.get("/map.json")
def map_json(
    request: Request,
    db: SessionDep,
    f: PublicFiltersDep,
    bbox: Annotated[str, Query(max_length=120)],
    zoom: Annotated[int, Query(ge=0, le=22)],
) -> Response:
    """Points (few reports in view) or clusters (many) of the filtered public reports."""
    box = clusters.parse_box(bbox, zoom)
    return caching.json(request, {"features": clusters.features(db, f, box)})


@router.get("/reports/{code}")
def report_page(request: Request, db: SessionDep, code: str) -> Response:
    """A public report: photos before and after, the answer, dates and the public steps."""
    row = db.execute(publication.public_report(code[:40])).first()
    if row is None:
        raise NotFound(NO_REPORT)
    before, after = display.before_after(q.media(db, row.id))
    late = row.resolve_by is not None and row.published_at is None and row.resolve_by < utcnow()
    context = {
        "r": row,
        "category": display.category(row),
        "state_label": display.state_label(row.state),
        "sent": display.shown(row.forwarded_at),
        "due": display.shown(row.resolve_by),
        "handled": display.shown(row.published_at),
        "late_now": late,
        "before": before,
        "after": after,
        "sizes": display.SIZES,
        "steps": display.steps(db.execute(q.public_steps(row.id))),
    }
    return caching.page(request, "public/report.html", context)


def _area(
    request: Request, db: SessionDep, where: ColumnElement[bool], title: str, facts: dict[str, Any]
) -> Response:
    """An agency's or a ward's page: its figures and its latest public reports."""
    found = q.page(db, [where], None, size=10)
    context = {**facts, "title": title, "rows": [_row(r) for r in found.rows]}
    return caching.page(request, "public/area.html", context)


def _window() -> tuple[Period, datetime, datetime]:
    """The last ``AREA_DAYS`` Vietnam days, today included, and their bounds."""
    last = today(utcnow())
    period = Period(last - timedelta(days=AREA_DAYS - 1), last)
    return period, day_start(period.first), day_start(last + timedelta(days=1))


@router.get("/agencies/{code}")
def agency_page(request: Request, db: SessionDep, code: str) -> Response:
    """An agency: on-time rate, median time and satisfaction (the KPIs' figures), its reports."""
    agency = db.execute(q.agency(code[:64])).first()
    if agency is None:
        raise NotFound(NO_AGENCY)
    period, since, until = _window()
    figures = period_figures(db, period.first, period.last, utcnow())
    tally = figures.by_agency.get(agency.id)
    rated = q.satisfaction(db, q.AGENCY_RATINGS, agency.id, since, until)
    facts = {
        "kind": "agency",
        "period": period,
        "resolved": tally.counts["resolved"] if tally else 0,
        "on_time": display.percent(tally.on_time_rate if tally else None),
        "median": display.hours(tally.median_hours if tally else None),
        "satisfaction": display.percent(rated.rate),
        "rated": rated.rated,
        "list_url": f"/public?agency={agency.code}",
    }
    return _area(request, db, Report.agency_id == agency.id, agency.name, facts)


@router.get("/wards/{code}")
def ward_page(request: Request, db: SessionDep, code: str) -> Response:
    """A ward: the results of its reports, their satisfaction, its latest public reports."""
    ward = db.execute(q.ward(code[:16])).first()
    if ward is None:
        raise NotFound(NO_WARD)
    period, since, until = _window()
    where = Report.ward_id == ward.id
    done = q.outcomes(db, where, since, until)
    rated = q.satisfaction(db, q.WARD_RATINGS, ward.id, since, until)
    facts = {
        "kind": "ward",
        "period": period,
        "resolved": done.resolved,
        "on_time": display.percent(done.on_time_rate),
        "median": display.hours(done.median_hours),
        "satisfaction": display.percent(rated.rate),
        "rated": rated.rated,
        "list_url": f"/public?ward={ward.code}",
    }
    return _area(request, db, where, ward.name, facts)


@router.get("/ranking")
def ranking(
    request: Request,
    db: SessionDep,
    first: Annotated[str | None, Query(alias="from", max_length=20)] = None,
    last: Annotated[str | None, Query(alias="to", max_length=20)] = None,
) -> Response:
    """Agencies ranked by on-time rate for a period (the KPIs' figures; default: 30 days)."""
    now = utcnow()
    period = parse_period(first, last, today(now))
    figures = period_figures(db, period.first, period.last, now)
    rows = [row for row in agency_rows(db, figures, Sort("on_time", True)) if row.resolved]
    shown = [
        {
            "rank": n,
            "code": row.code,
            "name": row.name,
            "resolved": row.resolved,
            "on_time": display.percent(row.on_time_rate),
            "median": display.hours(row.median),
            "satisfaction": display.percent(row.satisfaction),
            "rated": row.rated,
        }
        for n, row in enumerate(rows, start=1)
    ]
    return caching.page(request, "public/ranking.html", {"rows": shown, "period": period})
