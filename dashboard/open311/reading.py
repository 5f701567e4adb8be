"""GET requests, GET a request and GET servicerequestupdates: public reports only, through
``reports.publication`` (verified by the IOC; never the reporter, never an original file).

Statuses: ``closed`` is a published result; every other public state (forwarded, returned,
being handled, result under review, reopened) is ``open``.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from geoalchemy2 import Geography
from sqlalchemy import Row, Select, case, cast, func, select
from sqlalchemy.dialects.postgresql import distinct_on
from sqlalchemy.orm import Session

from dashboard.open311 import params
from dashboard.open311.formats import w3c
from ioc import i18n
from ioc.errors import NotFound
from ioc.i18n import N_
from reports.models import PUBLIC_STATES, STATE_LABELS, Report, ReportEvent, ReportMedia
from reports.models import ReportState as State
from reports.publication import public_report, public_reports
from reports.tracking.status import media_url
from routing.models import Category

METRES_PER_DEGREE = 111_320.0
NOT_PUBLIC = N_("No public request has this service_request_id.")


def status_of(state: State | str) -> str:
    """GeoReport's status: a published result is closed, anything else public is open."""
    return "closed" if state == State.published else "open"


def _media(db: Session, ids: Sequence[int], base: str) -> dict[int, str]:
    """The first photo's public display derivative of each report (never the original)."""
    if not ids:
        return {}
    rows = db.execute(
        select(ReportMedia.report_id, ReportMedia.display_path)
        .where(ReportMedia.report_id.in_(ids), ReportMedia.stage == "report")
        .order_by(ReportMedia.report_id, ReportMedia.position)
        .ext(distinct_on(ReportMedia.report_id))
    ).all()
    return {report_id: media_url(base, path) for report_id, path in rows}


def _request(row: Row[Any], media: Mapping[int, str]) -> dict[str, Any]:
    """A public report as a GeoReport service request, in the spec's order."""
    english = i18n.get_locale() == "en"
    return {
        "service_request_id": row.code,
        "status": status_of(row.state),
        "status_notes": row.result_text,
        "service_name": row.category_en if english else row.category_vi,
        "service_code": row.category_code,
        "description": row.description,
        "agency_responsible": row.agency_name,
        "service_notice": None,
        "requested_datetime": w3c(row.created_at),
        "updated_datetime": w3c(row.updated_at),
        "expected_datetime": w3c(row.resolve_by),
        "address": row.ward_name,
        "address_id": None,
        "zipcode": None,
        "lat": row.lat,
        "long": row.lon,
        "media_url": media.get(row.id),
    }


def _as_requests(db: Session, statement: Select[Any], base: str) -> list[dict[str, Any]]:
    """Run a statement of public reports and shape its rows."""
    rows = db.execute(statement).all()
    media = _media(db, [row.id for row in rows], base)
    return [_request(row, media) for row in rows]


def one_request(db: Session, code: str, base: str) -> list[dict[str, Any]]:
    """GET a request: a one-item list; 404 if unknown or not public (yet)."""
    found = _as_requests(db, public_report(code), base)
    if not found:
        raise NotFound(NOT_PUBLIC, field="service_request_id")
    return found


def requests(db: Session, query: Mapping[str, str], now: datetime, base: str) -> list[Any]:
    """GET requests: by ids (which override every other filter), else by the filters."""
    ids = params.comma_list(query, "service_request_id")
    statement = public_reports()
    if ids:
        statement = statement.where(Report.tracking_code.in_([i.upper() for i in ids]))
    else:
        statement = _filtered(statement, query, now)
    statement = statement.order_by(Report.created_at.desc(), Report.id.desc())
    return _as_requests(db, statement.limit(params.MAX_REQUESTS), base)


def _filtered(statement: Select[Any], query: Mapping[str, str], now: datetime) -> Select[Any]:
    """The date window (90 days at most), services, statuses and the lat/long/radius circle."""
    start, end = params.window(query, now)
    statement = statement.where(Report.created_at >= start, Report.created_at <= end)
    if codes := params.comma_list(query, "service_code"):
        statement = statement.where(Category.code.in_(codes))
    wanted = set(params.statuses(query))
    if wanted == {"open"}:
        statement = statement.where(Report.state != State.published)
    elif wanted == {"closed"}:
        statement = statement.where(Report.state == State.published)
    if (near := params.near(query)) is not None:
        here = func.ST_SetSRID(func.ST_MakePoint(near.lon, near.lat), 4326)
        # A box in degrees lets an index find candidates; the geography test is exact.
        margin = near.radius / (METRES_PER_DEGREE * max(math.cos(math.radians(near.lat)), 0.01))
        statement = statement.where(
            Report.location.op("&&")(func.ST_Expand(here, margin)),
            func.ST_DWithin(cast(Report.location, Geography), cast(here, Geography), near.radius),
        )
    return statement


def updates(db: Session, query: Mapping[str, str], now: datetime, base: str) -> list[Any]:
    """GET servicerequestupdates (FixMyStreet): the public changes of state in the window,
    oldest first; the description is the new state's label, or the published result."""
    start, end = params.window(query, now)
    public = public_reports().subquery()
    event = ReportEvent
    result_photo = (
        select(ReportMedia.display_path)
        .where(ReportMedia.report_id == event.report_id, ReportMedia.stage == "result")
        .order_by(ReportMedia.id.desc())
        .limit(1)
        .scalar_subquery()
    )
    published = (event.to_state == State.published) & public.c.result_text.is_not(None)
    statement = (
        select(
            event.id,
            public.c.code,
            event.to_state,
            event.at,
            case((published, public.c.result_text)).label("result_text"),
            case((published, result_photo)).label("photo"),
        )
        .join(public, public.c.id == event.report_id)
        .where(
            event.at >= start,
            event.at <= end,
            event.from_state.is_not(None),
            event.from_state != event.to_state,
            event.to_state.in_(sorted(PUBLIC_STATES)),
        )
        .order_by(event.at, event.id)
        .limit(params.MAX_REQUESTS)
    )
    return [_update(row, base) for row in db.execute(statement)]


def _update(row: Row[Any], base: str) -> dict[str, Any]:
    """One change of state as FixMyStreet's request_update."""
    return {
        "update_id": str(row.id),
        "service_request_id": row.code,
        "status": status_of(row.to_state),
        "updated_datetime": w3c(row.at),
        "description": row.result_text or i18n.gettext(STATE_LABELS[row.to_state]),
        "media_url": media_url(base, row.photo) if row.photo else None,
    }
