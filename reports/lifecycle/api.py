"""The lifecycle API: actions on a report, its staff view, its timeline, and the staff list.

Who may call it:
- Staff with a bearer token (``POST /api/v1/auth/token``): the API clients' way.
- Staff with the session cookie of the site's pages, for an action only together with the CSRF
  token of those pages (header ``X-CSRF-Token`` or form field ``csrf_token``): a cookie is sent
  by the browser whatever page made the request, a bearer token is not. Reading needs no token.
- The resident, for ``reopen`` only, with the report's private status token (form field or
  query ``token``), as on the private status link; no staff credentials.

A report outside the caller's scope is 404, exactly as a code that does not exist.
"""

from __future__ import annotations

import base64
import binascii
import hmac
import json
from dataclasses import dataclass
from datetime import datetime
from typing import Annotated, Any

import anyio.to_thread
from fastapi import APIRouter, Query, Request
from sqlalchemy.orm import Session
from starlette.responses import JSONResponse, Response

from ioc.auth import csrf
from ioc.auth.models import User
from ioc.db import utcnow
from ioc.errors import CsrfFailed, Forbidden, InvalidInput, NotFound, Unauthorized
from ioc.i18n import N_, get_locale
from ioc.settings import Settings
from ioc.web import OptionalUser, SessionDep, SettingsDep, WriteSessionDep, bearer_token
from reports import queries as report_queries
from reports.deps import StaffActor, StaffReport, base_url, limiter, load_report, staff_actor
from reports.deps import staff_report as load_staff_report
from reports.intake.service import media_limits
from reports.lifecycle import queries, view
from reports.lifecycle.form import ActionForm, parse_action, prepare_photos, read_action_form
from reports.lifecycle.rules import Action
from reports.lifecycle.schemas import EventsOut, ListItem, ReportList, StaffView
from reports.lifecycle.service import (
    UNKNOWN_ACTION,
    ActionInput,
    Actor,
    apply_action,
    precheck,
)
from reports.media.store import MediaStore
from reports.models import ActorKind, Report, ReportState
from reports.schemas import Ref, ReportStatus
from reports.tracking import codes as tracking
from reports.tracking import status

router = APIRouter()
PHOTOS_FOR_RESULT = N_("Photos can be attached to a result only.")
UNKNOWN_STATE = N_("Unknown state. The states are: %(states)s.")
BAD_CURSOR = N_("This page link is not valid. Start again from the first page.")
MAX_ID = 2**31 - 1
TEXT = {"type": "string"}
BINARY = "binary"
ACTION_FIELDS: dict[str, Any] = {
    "reason": TEXT,
    "note": TEXT,
    "agency": {"type": "string", "description": "agency code (verify_forward)"},
    "until": {"type": "string", "description": "2026-12-31 or an ISO date and time"},
    "of": {"type": "string", "description": "the original's tracking code"},
    "category": TEXT,
    "lat": {"type": "number"},
    "lon": {"type": "number"},
    "priority": {"enum": ["urgent", "normal", "complex"]},
    "version": {"type": "integer", "description": "the version last seen: a stale one is 409"},
    "token": {"type": "string", "description": "the private status token (reopen)"},
}
ACTION_DOC: dict[str, Any] = {
    "requestBody": {
        "required": False,
        "content": {
            "multipart/form-data": {
                "schema": {
                    "type": "object",
                    "properties": {
                        **ACTION_FIELDS,
                        "photos": {
                            "type": "array",
                            "items": {"type": "string", "format": "binary"},
                        },
                    },
                }
            },
            "application/x-www-form-urlencoded": {
                "schema": {"type": "object", "properties": ACTION_FIELDS}
            },
        },
    },
}


@dataclass(frozen=True)
class Caller:
    """Who acts on which report; ``token`` is the resident's (their answer is the owner view)."""

    actor: Actor
    report: Report
    token: str | None = None


def known_action(action: str) -> None:
    """404 for an action that does not exist (before the body is read)."""
    try:
        Action(action)
    except ValueError:
        actions = ", ".join(a.value for a in Action)
        raise NotFound(UNKNOWN_ACTION, field="action", actions=actions) from None


def check_csrf(request: Request, fields: dict[str, str]) -> None:
    """A browser session acts only with the CSRF token of our pages."""
    cookie = request.cookies.get(csrf.COOKIE)
    sent = request.headers.get(csrf.HEADER) or fields.get(csrf.FIELD)
    if not cookie or not sent:
        raise CsrfFailed()
    expected = csrf.form_token(request.app.state.settings.secret_key, cookie)
    if not hmac.compare_digest(expected.encode(), sent.encode()):
        raise CsrfFailed()


def _caller(
    request: Request,
    db: Session,
    user: User | None,
    fields: dict[str, str],
    target: tuple[str, str | None],
) -> Caller:
    """The resident holding the token, or a staff member who may see the report; else 4xx."""
    code, query_token = target
    token = query_token or fields.get("token") or None
    if token:
        report = load_report(request, db, code, token, None)
        if not tracking.token_matches(db, report, token):
            raise Forbidden(tracking.BAD_TOKEN, field="token")
        return Caller(Actor(ActorKind.resident), report, token)
    if user is None:
        raise Unauthorized()
    if bearer_token(request) is None:
        check_csrf(request, fields)
    actor = staff_actor(db, user)
    return Caller(actor, load_staff_report(db, actor, code))


def _apply(
    request: Request,
    db: Session,
    settings: Settings,
    caller: Caller,
    action: tuple[str, ActionInput],
) -> dict[str, Any]:
    """Apply the action under the row lock; the answer is read in the same transaction."""
    name, data = action
    store = MediaStore(settings.media_dir)
    apply_action(db, settings, caller.report.id, name, caller.actor, data, store=store)
    reload = report_queries.report_by_code(caller.report.tracking_code)
    report = db.scalars(reload.execution_options(populate_existing=True)).one()
    base = base_url(request)
    shown: ReportStatus | StaffView
    if caller.token is not None:
        shown = status.report_status(db, report, caller.token, base)
    else:
        shown = view.staff_view(db, settings, report, caller.actor, base)
    return shown.model_dump(mode="json")


async def _act(
    request: Request,
    db: Session,
    settings: Settings,
    user: User | None,
    form: ActionForm,
    target: tuple[str, str, str | None],
) -> dict[str, Any]:
    """Check early, decode the photos (no transaction open), then apply under the lock."""
    code, action, token = target
    caller = await anyio.to_thread.run_sync(_caller, request, db, user, form.fields, (code, token))
    data = parse_action(form.fields)
    if form.photos and action != Action.resolve.value:
        raise InvalidInput(PHOTOS_FOR_RESULT, field="photos")
    sent = len(form.photos)
    precheck(caller.report, action, caller.actor, data, settings, photos_sent=sent)
    if form.photos:
        await anyio.to_thread.run_sync(db.commit)  # read-only so far: no idle transaction
        data.photos = await anyio.to_thread.run_sync(
            prepare_photos,
            form.photos,
            media_limits(settings.intake),
            limiter=limiter(request, "intake_limiter", settings.intake.concurrency),
        )
    return await anyio.to_thread.run_sync(_apply, request, db, settings, caller, (action, data))


@router.post(
    "/api/v1/reports/{tracking_code}/actions/{action}",
    response_model=StaffView | ReportStatus,
    openapi_extra=ACTION_DOC,
)
async def take_action(
    request: Request,
    db: WriteSessionDep,
    settings: SettingsDep,
    user: OptionalUser,
    tracking_code: str,
    action: str,
    token: str | None = None,
) -> Response:
    """Apply a lifecycle action (form or multipart); 200 with the staff view of the report.

    409 (with ``state``, ``version`` and the ``allowed`` actions) when the state does not allow
    it or ``version`` is stale; 404 outside the caller's scope; 403 for a role that may never
    take it; 422 naming the field. The resident's ``reopen`` answers with the owner's view.
    """
    known_action(action)
    limits = settings.intake
    async with limiter(request, "intake_in_flight", limits.in_flight):
        form = await read_action_form(request, limits)
        try:
            body = await _act(request, db, settings, user, form, (tracking_code, action, token))
        finally:
            form.close()
    return JSONResponse(body)


def staff_view_of(
    request: Request, db: Session, settings: Settings, user: User, tracking_code: str
) -> StaffView:
    """The staff view of a report for a signed-in staff member; 404 outside their scope."""
    actor = staff_actor(db, user)
    report = load_staff_report(db, actor, tracking_code)
    return view.staff_view(db, settings, report, actor, base_url(request))


@router.get("/api/v1/reports/{tracking_code}/events", response_model=EventsOut)
def report_events(db: SessionDep, actor: StaffActor, report: StaffReport) -> EventsOut:
    """The timeline of a report, for staff who may see it (an agency: its own reports)."""
    return view.timeline(db, report, actor)


def encode_cursor(due: datetime | None, report_id: int) -> str:
    """An opaque cursor: the last row's deadline and id."""
    raw = json.dumps([due.isoformat() if due else None, report_id]).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(text: str) -> tuple[datetime | None, int]:
    """The deadline and id a cursor carries; 422 for anything this API did not make."""
    try:
        raw = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
        due, report_id = json.loads(raw)
        moment = datetime.fromisoformat(due) if due is not None else None
    except (ValueError, TypeError, binascii.Error, UnicodeDecodeError):
        raise InvalidInput(BAD_CURSOR, field="after") from None
    usable_id = type(report_id) is int and 0 <= report_id <= MAX_ID
    if not usable_id or (moment is not None and moment.tzinfo is None):
        raise InvalidInput(BAD_CURSOR, field="after")
    return moment, report_id


def _states(values: list[str] | None) -> tuple[ReportState, ...]:
    names = [name.strip() for value in values or [] for name in value.split(",") if name.strip()]
    try:
        return tuple(ReportState(name) for name in names)
    except ValueError:
        states = ", ".join(state.value for state in ReportState)
        raise InvalidInput(UNKNOWN_STATE, field="state", states=states) from None


def _lookup(db: Session, code: str | None, statement: Any, name: str) -> int | None:
    """The id of the agency or category a filter names; 422 if there is none."""
    if not code:
        return None
    found: int | None = db.scalar(statement(code))
    if found is None:
        message = N_("Unknown agency.") if name == "agency" else N_("Unknown category.")
        raise InvalidInput(message, field=name)
    return found


def _item(row: Any) -> ListItem:
    return ListItem(
        tracking_code=row.tracking_code,
        status=row.state.value,
        status_label=status.label(row.state),
        category=Ref(
            code=row.category_code, name=row.name_en if get_locale() == "en" else row.name_vi
        ),
        priority=row.priority.value,
        agency=Ref(code=row.agency_code, name=row.agency_name) if row.agency_code else None,
        created_at=row.created_at,
        due_at=row.due_at,
        overdue=bool(row.is_overdue),
        version=row.version,
    )


@router.get("/api/v1/reports", response_model=ReportList)
def list_reports(
    request: Request,
    db: SessionDep,
    actor: StaffActor,
    state: Annotated[list[str] | None, Query(description="repeat or comma-separate")] = None,
    agency: Annotated[str | None, Query(max_length=64)] = None,
    category: Annotated[str | None, Query(max_length=64)] = None,
    overdue: bool | None = None,
    q: Annotated[str | None, Query(max_length=100)] = None,
    limit: Annotated[int, Query(ge=1, le=100)] = 50,
    after: Annotated[str | None, Query(max_length=200)] = None,
) -> ReportList:
    """Reports for staff by deadline (none last): an agency sees only its own, whatever it asks."""
    wanted = queries.ListFilter(
        scope=actor.agency_id,
        agency_staff=actor.is_agency,
        states=_states(state),
        agency_id=_lookup(db, agency, queries.agency_id_of, "agency"),
        category_id=_lookup(db, category, queries.category_id_of, "category"),
        overdue=overdue,
        q=(q or "").strip() or None,
        after=decode_cursor(after) if after else None,
        limit=limit,
    )
    rows = db.execute(queries.staff_list(wanted, utcnow())).all()
    page = ReportList(items=[_item(row) for row in rows[:limit]], limit=limit)
    if len(rows) > limit:
        last = rows[limit - 1]
        page.next_cursor = encode_cursor(last.due_at, last.id)
        page.next = str(request.url.include_query_params(after=page.next_cursor))
    return page
