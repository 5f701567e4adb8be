"""The report page of the agency workspace: facts, media, map, timeline and the action forms."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

import folium
from sqlalchemy.orm import Session
from starlette.requests import Request
from starlette.responses import Response

from dashboard import media
from dashboard.agency import queries as q
from dashboard.agency.display import local_date, local_time, relative_due
from dashboard.agency.labels import AGENCY_ACTIONS, BUTTONS, PRIORITY_LABELS
from ioc import i18n
from ioc.db import utcnow
from ioc.errors import DomainError
from ioc.i18n import N_
from ioc.settings import Settings
from ioc.web import maps, templating
from reports import queries as report_queries
from reports.lifecycle.labels import ACTION_LABELS
from reports.lifecycle.rules import Action
from reports.lifecycle.service import Actor, allowed_actions
from reports.models import STATE_LABELS, ActorKind, Report, ReportEvent, ReportMedia
from reports.tracking.status import media_url
from routing import service as routing_service

MAP_ZOOM = 15
ACTOR_NAMES = {ActorKind.resident: N_("Resident"), ActorKind.system: N_("System")}


def render(
    request: Request,
    db: Session,
    settings: Settings,
    actor: Actor,
    report: Report,
    *,
    error: DomainError | None = None,
    action: str | None = None,
    values: dict[str, str] | None = None,
    notice: str | None = None,
) -> Response:
    """The page; with ``error``, the form of ``action`` shown again with its message and status."""
    now = utcnow()
    context: dict[str, Any] = {
        "report": report,
        "state_label": i18n.gettext(STATE_LABELS[report.state]),
        "priority_label": i18n.gettext(PRIORITY_LABELS[report.priority]),
        "late": _late(report, now),
        "due_text": _due_text(report, now),
        "local_time": local_time,
        "reason": routing_service.reason_text(report.routing_reason, report.routing_reason_params),
        "contact": None if report.keep_identity_private else _contact(report),
        "timeline": _timeline(db, report),
        "notice": i18n.gettext(notice) if notice else None,
        "error": i18n.gettext(error.detail, **error.params) if error else None,
        "error_field": error.field if error else None,
        "error_action": action if error else None,
        "values": values or {},
    }
    context |= _facts(request, db, settings, report)
    context |= _media(db, report)
    context |= _forms(db, settings, report, actor, now)
    status = error.status if error else 200
    return templating.render(request, "agency/report.html", context, status=status)


def _due_text(report: Report, now: datetime) -> str:
    """How long until (or since) the agency's deadline; nothing while the IOC has the report."""
    if report.due_at is None or report.state not in q.AGENCY_STAGES:
        return ""
    return relative_due(report.due_at, now)


def _agency_stage(report: Report) -> bool:
    return report.state in q.AGENCY_STAGES and report.due_at is not None


def _late(report: Report, now: datetime) -> bool:
    """Past the agency's deadline (the sweep's flag, or the deadline passed since)."""
    return _agency_stage(report) and (report.overdue or (report.due_at or now) < now)


def _contact(report: Report) -> dict[str, str] | None:
    """The reporter's name, phone and email, where the resident chose to share them."""
    given = {
        "name": report.reporter_name or "",
        "phone": report.reporter_phone or "",
        "email": report.reporter_email or "",
    }
    return given if any(given.values()) else None


def _facts(request: Request, db: Session, settings: Settings, report: Report) -> dict[str, Any]:
    """Category, ward, agency, and the place on a small map."""
    row: Any = db.execute(report_queries.refs(report)).one()
    lat, lon = db.execute(report_queries.location(report.id)).one()
    return {
        "category": row.name_en if i18n.get_locale() == "en" else row.name_vi,
        "ward": row.ward_name,
        "agency": row.agency_name,
        "lat": lat,
        "lon": lon,
        "map": _map(db, settings, report, (lat, lon), templating.csp_nonce(request)),
    }


def _map(
    db: Session, settings: Settings, report: Report, where: tuple[float, float], nonce: str
) -> maps.RenderedMap:
    """The report's pin, framed by its ward's outline (there may be no base map)."""
    fmap = maps.make_map(settings.map, location=where, zoom_start=MAP_ZOOM)
    outline = db.scalar(q.ward_outline(report.ward_id)) if report.ward_id else None
    if outline:
        style = {"color": "#1d4ed8", "weight": 2, "fillOpacity": 0.05}
        folium.GeoJson(json.loads(outline), style_function=lambda _: style).add_to(fmap)
    folium.Marker(where).add_to(fmap)
    return maps.render(fmap, nonce)


def _media(db: Session, report: Report) -> dict[str, Any]:
    """The resident's photos and videos, and the agency's after-photos."""
    items = list(db.scalars(q.media(report.id)))
    code = report.tracking_code

    def shown(item: ReportMedia) -> dict[str, Any]:
        return {
            "id": item.id,
            "display_url": media_url("", item.display_path),
            "thumbnail_url": media_url("", item.thumbnail_path),
            "video_url": f"/agency/reports/{code}/media/{item.id}",
            "mime": item.mime,
            **(media.copy_facts(item) if item.kind == "video" else {}),
        }

    report_media = [item for item in items if item.stage == "report"]
    return {
        "photos": [shown(i) for i in report_media if i.kind == "image"],
        "videos": [shown(i) for i in report_media if i.kind == "video"],
        "results": [shown(i) for i in items if i.stage == "result"],
    }


def _timeline(db: Session, report: Report) -> list[dict[str, Any]]:
    """The events, oldest first: when, what (in words), who, and what they wrote."""
    entries = []
    for event, username, full_name in db.execute(q.timeline(report.id)):
        if event.actor_kind == ActorKind.staff:
            who = full_name or username or ""
        else:
            who = i18n.gettext(ACTOR_NAMES.get(event.actor_kind, ""))
        entries.append(
            {
                "at": local_time(event.at),
                "action": event.action,
                "label": i18n.gettext(ACTION_LABELS.get(event.action, event.action)),
                "who": who,
                "note": event.note,
                "details": _details(event),
            }
        )
    return entries


def _details(event: ReportEvent) -> str:
    """What an event's payload adds to its note: the agency forwarded to, a date asked for."""
    payload = event.payload or {}
    if event.action == Action.verify_forward.value and payload.get("agency_name"):
        return str(payload["agency_name"])
    if event.action in (Action.request_extension.value, Action.approve_extension.value):
        until = payload.get("until")
        return local_time(datetime.fromisoformat(until)) if until else ""
    return ""


def _forms(
    db: Session, settings: Settings, report: Report, actor: Actor, now: datetime
) -> dict[str, Any]:
    """The action forms open to this actor now, with the extension's limits."""
    allowed = set(allowed_actions(report, actor, settings))
    if report.extension_state is not None:  # one extension per report
        allowed.discard(Action.request_extension.value)
    actions = [name for name in AGENCY_ACTIONS if name in allowed]
    context: dict[str, Any] = {
        "actions": actions,
        "buttons": {name: i18n.gettext(BUTTONS[name]) for name in actions},
        "max_photos": settings.intake.max_photos,
        "photo_mb": settings.intake.photo_mb,
    }
    if Action.request_extension.value in actions:
        current = report.resolve_by or now
        clock = routing_service.clock(db, report.category_id, now)
        latest = clock.latest_extension(current, report.priority)
        context |= {
            "extension_latest": local_time(latest),
            "extension_min": local_date(max(current, now)),
            "extension_max": local_date(latest),
        }
    return context
