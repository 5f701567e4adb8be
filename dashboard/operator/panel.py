"""The report panel of the operators' dashboard: facts, media, map, routing reason, timeline,
the reporter's contact, deadlines and the forms of the actions the IOC may take now.

The same context fills the side panel's fragment and the report's full page. Media, timeline
and contact come from the agency page (one way to show a report to staff).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session
from starlette.requests import Request
from starlette.responses import Response

from dashboard.agency import page as agency_page
from dashboard.agency.display import local_time, relative_due
from dashboard.agency.labels import PRIORITY_LABELS
from dashboard.operator import reject_templates
from ioc import i18n
from ioc.db import utcnow
from ioc.errors import DomainError
from ioc.i18n import N_
from ioc.settings import Settings
from ioc.web import templating
from reports import queries as report_queries
from reports.lifecycle.rules import Action
from reports.lifecycle.service import Actor, allowed_actions
from reports.lifecycle.steps import stage_due
from reports.models import STATE_LABELS, ExtensionState, Report
from reports.tracking.status import label, media_url
from routing import service as routing_service
from routing.models import Agency, Category
from routing.sla import Priority

A = Action
# The IOC's actions in the order the panel shows them, with their shortcut keys (listed on "?").
KEYS: dict[str, str] = {
    A.verify_forward.value: "f",
    A.reject.value: "r",
    A.mark_duplicate.value: "d",
    A.approve_result.value: "a",
    A.send_back.value: "b",
    A.approve_extension.value: "e",
    A.deny_extension.value: "x",
    A.recategorise.value: "c",
    A.relocate.value: "l",
    A.set_priority.value: "p",
}
PANEL_ACTIONS = tuple(KEYS)
KEY_LABELS: dict[str, str] = {
    A.verify_forward.value: N_("Forward to the suggested agency"),
    A.reject.value: N_("Reject"),
    A.mark_duplicate.value: N_("Mark as a duplicate"),
    A.approve_result.value: N_("Publish the result"),
    A.send_back.value: N_("Send the result back"),
    A.approve_extension.value: N_("Approve the extension"),
    A.deny_extension.value: N_("Deny the extension"),
    A.recategorise.value: N_("Correct the category"),
    A.relocate.value: N_("Correct the place"),
    A.set_priority.value: N_("Set the priority"),
}
EXTENSION_ACTIONS = frozenset({A.approve_extension.value, A.deny_extension.value})
DUPLICATE_RADIUS_M = 300.0


def panel_actions(report: Report, actor: Actor, settings: Settings) -> list[str]:
    """The panel's actions open to this actor now (an extension only while one is asked)."""
    allowed = set(allowed_actions(report, actor, settings))
    if report.extension_state != ExtensionState.requested:
        allowed -= EXTENSION_ACTIONS
    return [name for name in PANEL_ACTIONS if name in allowed]


def render(
    request: Request,
    db: Session,
    settings: Settings,
    actor: Actor,
    report: Report,
    *,
    full: bool,
    back: str = "",
    error: DomainError | None = None,
    action: str | None = None,
    values: dict[str, str] | None = None,
    notice: str | None = None,
) -> Response:
    """The panel (a fragment, or within a full page); with ``error`` its status and message."""
    context = build(db, settings, actor, report)
    context |= {
        "back": back,
        "full": full,
        "notice": notice,
        "error": i18n.gettext(error.detail, **error.params) if error else None,
        "error_field": error.field if error else None,
        "error_action": action if error else None,
        "values": values or {},
    }
    template = "panel_page.html" if full else "panel.html"
    return templating.render(request, template, context, status=error.status if error else 200)


def build(db: Session, settings: Settings, actor: Actor, report: Report) -> dict[str, Any]:
    """Everything the panel shows of a report, and its forms."""
    now = utcnow()
    lat, lon = db.execute(report_queries.location(report.id)).one()
    row: Any = db.execute(report_queries.report_names(), {"report_id": report.id}).one()
    actions = panel_actions(report, actor, settings)
    context: dict[str, Any] = {
        "report": report,
        "state_label": label(report.state),
        "priority_label": i18n.gettext(PRIORITY_LABELS[report.priority]),
        "category": row.name_en if i18n.get_locale() == "en" else row.name_vi,
        "category_code": row.category_code,
        "ward": row.ward_name,
        "agency": row.agency_name,
        "suggested": {"code": row.suggested_code, "name": row.suggested_name},
        "original": row.original_code,
        "reason": routing_service.reason_text(report.routing_reason, report.routing_reason_params),
        "contact": agency_page._contact(report),
        "deadlines": _deadlines(report, now),
        "timeline": agency_page._timeline(db, report),
        "lat": lat,
        "lon": lon,
        "map_tiles": settings.map.tile_url,
        "map_attribution": settings.map.tile_attribution,
        "local_time": local_time,
        "actions": actions,
        "keys": {name: KEYS[name] for name in actions},
        "key_labels": {name: i18n.gettext(KEY_LABELS[name]) for name in actions},
    }
    context |= _media(db, report)
    context |= _forms(db, settings, report, actions, (lat, lon))
    return context


def _deadlines(report: Report, now: datetime) -> dict[str, Any]:
    """The current stage's deadline (in words, and whether it has passed) and the others."""
    due = stage_due(report) if report.due_at is not None else None
    return {
        "due": local_time(due),
        "due_text": relative_due(due, now) if due else "",
        "overdue": due is not None and (report.overdue or due < now),
        "verify_by": local_time(report.verify_by),
        "accept_by": local_time(report.accept_by),
        "resolve_by": local_time(report.resolve_by),
    }


def _media(db: Session, report: Report) -> dict[str, Any]:
    """Photos, videos (served by the dashboard's own route) and after-photos."""
    media = agency_page._media(db, report)
    for video in media["videos"]:
        video["video_url"] = f"/dashboard/reports/{report.tracking_code}/media/{video['id']}"
    return media


def _forms(
    db: Session,
    settings: Settings,
    report: Report,
    actions: list[str],
    where: tuple[float, float],
) -> dict[str, Any]:
    """What the open forms list: agencies, reasons, nearby reports, categories, priorities."""
    context: dict[str, Any] = {}
    if A.verify_forward.value in actions:
        context |= _forward(db, settings, report, where)
    if A.reject.value in actions:
        rows = db.scalars(reject_templates.listed(active_only=True))
        context["templates"] = [
            {"id": t.id, "title": t.title(), "text": t.text(report.locale)} for t in rows
        ]
    if A.mark_duplicate.value in actions:
        context["nearby"] = _nearby(db, report, where)
        context["nearby_radius"] = round(DUPLICATE_RADIUS_M)
    if A.recategorise.value in actions:
        english = i18n.get_locale() == "en"
        context["categories"] = [
            {"code": c.code, "name": c.name_en if english else c.name_vi}
            for c in db.scalars(report_queries.categories())
        ]
    if A.set_priority.value in actions:
        context["priorities"] = [
            {"value": p.value, "name": i18n.gettext(PRIORITY_LABELS[p])} for p in Priority
        ]
    return context


def _forward(
    db: Session, settings: Settings, report: Report, where: tuple[float, float]
) -> dict[str, Any]:
    """The routing's candidates at the report's place, each with its reason, and every agency."""
    code = db.scalar(select(Category.code).where(Category.id == report.category_id)) or ""
    near = settings.routing.nearest_ward_metres
    found = routing_service.candidates(
        db, category=code, lat=where[0], lon=where[1], near_metres=near
    )
    agencies = db.execute(
        select(Agency.code, Agency.name).where(Agency.active).order_by(Agency.name)
    ).all()
    return {
        "candidates": [
            {"code": c.agency.code, "name": c.agency.name, "reason": c.reason, "first": c.first}
            for c in found
        ],
        "agencies": [{"code": a.code, "name": a.name} for a in agencies],
    }


def _nearby(db: Session, report: Report, where: tuple[float, float]) -> list[dict[str, Any]]:
    """Open reports of the same category near this one, nearest first, to compare."""
    stmt = report_queries.nearby(where[0], where[1], report.category_id, DUPLICATE_RADIUS_M)
    rows: list[Any] = list(db.execute(stmt.where(Report.id != report.id)))
    return [
        {
            "code": other.tracking_code,
            "description": other.description,
            "state": other.state.value,
            "state_label": i18n.gettext(STATE_LABELS[other.state]),
            "distance": round(distance),
            "created_at": local_time(other.created_at),
            "thumbnail": media_url("", thumbnail) if thumbnail else None,
        }
        for other, distance, thumbnail in rows
    ]
