"""The agency workspace: the inbox of an agency's reports, the report page, its action forms."""

from __future__ import annotations

from functools import partial
from typing import Annotated, Any, Literal

import anyio.to_thread
from fastapi import APIRouter, Query, Request
from sqlalchemy import ColumnElement
from sqlalchemy.orm import Session
from starlette.responses import Response

from dashboard import media
from dashboard.agency import actions, page
from dashboard.agency import queries as q
from dashboard.agency.deps import AgencyActor, AgencyReport
from dashboard.agency.display import local_time, relative_due
from dashboard.agency.labels import AGENCY_ACTIONS, DONE, PRIORITY_LABELS, TABS
from ioc import i18n
from ioc.auth.models import Role
from ioc.db import utcnow
from ioc.errors import InvalidInput, NotFound, PayloadTooLarge
from ioc.i18n import N_
from ioc.web import SessionDep, SettingsDep, templating
from reports.lifecycle.service import Actor
from reports.models import STATE_LABELS, ReportState
from routing.models import Agency

router = APIRouter(prefix="/agency")
PAGE_SIZE = 50
TabKey = Literal["all", "assigned", "in_progress", "returned", "resolved", "published"]
UNKNOWN_ACTION = N_("Unknown action.")


def _scope(db: Session, actor: Actor, agency: str | None) -> tuple[ColumnElement[bool], str]:
    """Whose reports the inbox lists, and its title: the actor's agency, or (an admin) any."""
    if actor.role != Role.admin.value:
        found = db.get(Agency, actor.agency_id) if actor.agency_id else None
        return q.scope(actor.agency_id), found.name if found else ""
    if not agency:
        return q.scope(None, everyone=True), i18n.gettext(N_("Every agency"))
    found = db.scalar(q.agency_by_code(agency))
    if found is None:
        raise NotFound(N_("There is no agency with this code."), field="agency")
    return q.scope(found.id), found.name


def _tabs(db: Session, where: ColumnElement[bool]) -> list[dict[str, Any]]:
    """Each tab with its count."""
    per_state: dict[ReportState, int] = {state: n for state, n in db.execute(q.counts(where))}
    tabs = []
    for key, state in TABS:
        count = sum(per_state.values()) if state is None else per_state.get(state, 0)
        label = i18n.gettext(N_("All")) if state is None else i18n.gettext(STATE_LABELS[state])
        tabs.append({"key": key, "label": label, "count": count})
    return tabs


def _rows(db: Session, where: ColumnElement[bool], tab: str, offset: int) -> list[dict[str, Any]]:
    """A page of the inbox (one more row than shown: whether there is a next page)."""
    now = utcnow()
    state = dict(TABS)[tab]
    english = i18n.get_locale() == "en"
    rows = []
    for report, name_vi, name_en, ward, agency, late in db.execute(
        q.inbox(where, state, now, PAGE_SIZE + 1, offset)
    ):
        due = report.due_at if report.state in q.AGENCY_STAGES else None
        rows.append(
            {
                "report": report,
                "category": name_en if english else name_vi,
                "ward": ward,
                "agency": agency,
                "late": late,
                "state_label": i18n.gettext(STATE_LABELS[report.state]),
                "priority_label": i18n.gettext(PRIORITY_LABELS[report.priority]),
                "due": local_time(due),
                "due_text": relative_due(due, now) if due else "",
            }
        )
    return rows


@router.get("")
def inbox(
    request: Request,
    db: SessionDep,
    actor: AgencyActor,
    state: TabKey = "all",
    page_number: Annotated[int, Query(alias="page", ge=1, le=10_000)] = 1,
    agency: Annotated[str | None, Query(max_length=64)] = None,
) -> Response:
    """An agency's reports: late ones first, then by deadline; counts per state."""
    where, title = _scope(db, actor, agency)
    rows = _rows(db, where, state, (page_number - 1) * PAGE_SIZE)
    context = {
        "title": title,
        "tabs": _tabs(db, where),
        "tab": state,
        "rows": rows[:PAGE_SIZE],
        "late_count": db.scalar(q.late_count(where, utcnow())) or 0,
        "page_number": page_number,
        "has_next": len(rows) > PAGE_SIZE,
        "agency": agency if actor.role == Role.admin.value else None,
        "read_only": actor.role == Role.admin.value,
    }
    return templating.render(request, "agency/inbox.html", context)


@router.get("/reports/{tracking_code}")
def report_page(
    request: Request,
    db: SessionDep,
    settings: SettingsDep,
    actor: AgencyActor,
    report: AgencyReport,
    done: Annotated[str | None, Query(max_length=32)] = None,
) -> Response:
    """A report: photos, video, map, routing reason, deadlines, timeline and the actions."""
    notice = DONE.get(done) if done else None
    return page.render(request, db, settings, actor, report, notice=notice)


@router.get("/reports/{tracking_code}/media/{media_id}")
def video_file(
    db: SessionDep, settings: SettingsDep, report: AgencyReport, media_id: int
) -> Response:
    """A report's video, to staff who may see the report: only its metadata-free copy."""
    return media.video_response(db, settings, report.id, media_id)


@router.post("/reports/{tracking_code}/{action}")
async def take_action(
    request: Request,
    db: SessionDep,
    settings: SettingsDep,
    actor: AgencyActor,
    report: AgencyReport,
    action: str,
) -> Response:
    """Accept, return, ask for an extension or send the result; then back to the page (303)."""
    if action not in AGENCY_ACTIONS:
        raise NotFound(UNKNOWN_ACTION, field="action")
    report_id, code = report.id, report.tracking_code
    try:
        form = await actions.read_action_form(request, settings.intake)
    except (InvalidInput, PayloadTooLarge) as error:  # unread: nothing to apply, the page again
        again = partial(
            page.render, request, db, settings, actor, report, error=error, action=action
        )
        return await anyio.to_thread.run_sync(again)
    try:
        actions.check_csrf(request, form)
        return await actions.run(request, db, settings, actor, report_id, code, action, form)
    finally:
        form.close()
