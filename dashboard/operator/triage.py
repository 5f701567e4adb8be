"""Triage from the dashboard: the report panel (a fragment, or a full page) and its action forms.

A form posted by the panel's script (``X-Requested-With: fetch``) gets the refreshed panel (200),
or the panel with the error (422 missing or bad input, 409 the report moved on, 403 a role that
may not); a plain form gets a 303 back to the dashboard with its filters, or the full page with
the error. Every change goes through ``reports.lifecycle.service.apply_action``.
"""

from __future__ import annotations

import math
from functools import partial
from typing import Annotated
from urllib.parse import parse_qsl, urlencode

import anyio.to_thread
from fastapi import APIRouter, Depends, Query, Request
from sqlalchemy.orm import Session
from starlette.responses import RedirectResponse, Response

from dashboard import media
from dashboard.agency.actions import check_csrf, read_action_form
from dashboard.operator import panel, reject_templates
from dashboard.operator.deps import OperatorActor
from ioc import i18n
from ioc.errors import Conflict, Forbidden, InvalidInput, NotFound
from ioc.i18n import N_
from ioc.settings import Settings
from ioc.web import SessionDep, SettingsDep
from reports.deps import staff_report
from reports.lifecycle.rules import Action
from reports.lifecycle.service import ActionInput, Actor, apply_action
from reports.models import Report
from routing import service as routing_service

router = APIRouter(prefix="/dashboard/reports")
FETCH = "fetch"
BACK_MAX = 2000
UNKNOWN_ACTION = N_("Unknown action.")
BAD_NUMBER = N_("Enter a number such as 10.4123.")
STALE_FORM = N_("The form is out of date. Reload the page and try again.")
# Refused with the panel shown again; a CSRF failure or a 404 gets its error page.
SHOWN_AGAIN = (InvalidInput, Conflict)
TEXT_FIELDS = (
    "reason",
    "note",
    "agency",
    "agency_other",
    "of",
    "of_code",
    "category",
    "lat",
    "lon",
    "priority",
    "template",
)
DONE: dict[str, str] = {
    Action.verify_forward.value: N_("Forwarded to %(agency)s."),
    Action.reject.value: N_("The report was rejected; the resident reads the reason."),
    Action.mark_duplicate.value: N_(
        "Merged into %(original)s: its followers now follow the original."
    ),
    Action.recategorise.value: N_("Category corrected. Routed again: %(reason)s"),
    Action.relocate.value: N_("Place corrected. Routed again: %(reason)s"),
    Action.set_priority.value: N_("Priority set; the deadlines were counted again."),
    Action.approve_result.value: N_("The result is published."),
    Action.send_back.value: N_("The result went back to the agency."),
    Action.approve_extension.value: N_("Extension approved."),
    Action.deny_extension.value: N_("Extension denied: the deadline stays."),
}


def operator_report(db: SessionDep, actor: OperatorActor, tracking_code: str) -> Report:
    """The report in the path; 404 if there is none."""
    return staff_report(db, actor, tracking_code)


OperatorReport = Annotated[Report, Depends(operator_report)]


def back_query(value: str) -> str:
    """The dashboard's filters to return to, as a clean query string (never the report)."""
    pairs = parse_qsl(value[:BACK_MAX].lstrip("?"), keep_blank_values=False)
    return urlencode([(k, v) for k, v in pairs if k != "report"])


def _back_of(request: Request, back: str | None) -> str:
    """``back`` if given, else the query the panel was asked with (the dashboard's filters)."""
    if back is not None:
        return back_query(back)
    return back_query(str(request.url.query))


@router.get("/{tracking_code}/panel")
def report_panel(
    request: Request,
    db: SessionDep,
    settings: SettingsDep,
    actor: OperatorActor,
    report: OperatorReport,
    back: Annotated[str | None, Query(max_length=BACK_MAX)] = None,
) -> Response:
    """The report's panel, an HTML fragment for the dashboard's side panel."""
    return panel.render(
        request, db, settings, actor, report, full=False, back=_back_of(request, back)
    )


@router.get("/{tracking_code}")
def report_page(
    request: Request,
    db: SessionDep,
    settings: SettingsDep,
    actor: OperatorActor,
    report: OperatorReport,
    back: Annotated[str | None, Query(max_length=BACK_MAX)] = None,
) -> Response:
    """The report's panel as a page of its own (a link to share, or without scripts)."""
    return panel.render(
        request, db, settings, actor, report, full=True, back=_back_of(request, back)
    )


@router.get("/{tracking_code}/media/{media_id}")
def video_file(
    db: SessionDep,
    settings: SettingsDep,
    report: OperatorReport,
    media_id: int,
    original: bool = False,
) -> Response:
    """A report's video for the IOC: its public copy, or the original (evidence)."""
    return media.video_response(
        db, settings, report.id, media_id, original_allowed=True, original=original
    )


@router.post("/{tracking_code}/actions/{action}")
async def take_action(
    request: Request,
    db: SessionDep,
    settings: SettingsDep,
    actor: OperatorActor,
    report: OperatorReport,
    action: str,
) -> Response:
    """Apply one of the panel's actions; the refreshed panel (fetch) or a 303 to the dashboard."""
    if action not in panel.PANEL_ACTIONS:
        raise NotFound(UNKNOWN_ACTION, field="action")
    form = await read_action_form(request, settings.intake)
    try:
        check_csrf(request, form)
        fields = {name: form.fields.get(name, "") for name in TEXT_FIELDS}
        fields["version"] = form.fields.get("version", "")
        back = back_query(form.fields.get("back", ""))
    finally:
        form.close()
    fetch = request.headers.get("x-requested-with", "").lower() == FETCH
    target = (report.id, report.tracking_code, report.locale)
    apply = partial(_apply, request, db, settings, actor, target, action, fields)
    return await anyio.to_thread.run_sync(lambda: apply(fetch=fetch, back=back))


def _apply(
    request: Request,
    db: Session,
    settings: Settings,
    actor: Actor,
    target: tuple[int, str, str],
    action: str,
    fields: dict[str, str],
    *,
    fetch: bool,
    back: str,
) -> Response:
    """One transaction: the action committed, or nothing and the panel with the message."""
    report_id, code, locale = target
    show = partial(panel.render, request, db, settings, actor, full=not fetch, back=back)
    try:
        data = action_input(db, fields, locale)
        event = apply_action(db, settings, report_id, action, actor, data)
        db.commit()
    except (*SHOWN_AGAIN, Forbidden) as error:  # Forbidden: the role (CSRF was checked before)
        db.rollback()
        values = {k: v for k, v in fields.items() if k != "version"}
        report = staff_report(db, actor, code)
        return show(report, error=error, action=action, values=values)
    except BaseException:
        db.rollback()
        raise
    if not fetch:
        query = f"{back}&" if back else ""
        return RedirectResponse(f"/dashboard?{query}report={code}", status_code=303)
    db.expire_all()
    report = staff_report(db, actor, code)
    return show(report, notice=_done(action, report, event.payload or {}))


def _done(action: str, report: Report, payload: dict[str, object]) -> str:
    """What the panel says after the action, in the operator's language."""
    reason = routing_service.reason_text(report.routing_reason, report.routing_reason_params)
    return i18n.gettext(
        DONE[action],
        agency=str(payload.get("agency_name", "")),
        original=str(payload.get("of", "")),
        reason=reason,
    )


def _number(text: str, field: str) -> float | None:
    """A coordinate from the form; None if blank, 422 if it is not a finite number."""
    if not text.strip():
        return None
    try:
        value = float(text.strip().replace(",", "."))
    except ValueError:
        raise InvalidInput(BAD_NUMBER, field=field) from None
    if not math.isfinite(value):
        raise InvalidInput(BAD_NUMBER, field=field)
    return value


def _reason(db: Session, fields: dict[str, str], locale: str) -> str:
    """The reason typed, else the chosen template's text in the resident's language."""
    chosen = fields["template"].strip()
    if fields["reason"].strip() or not (chosen.isascii() and chosen.isdigit() and len(chosen) < 10):
        return fields["reason"]
    found = db.get(reject_templates.RejectTemplate, int(chosen))
    return found.text(locale) if found is not None and found.active else ""


def action_input(db: Session, fields: dict[str, str], locale: str) -> ActionInput:
    """What the lifecycle reads from the panel's form."""
    version = fields["version"].strip()
    if version and not (version.isascii() and version.isdigit() and len(version) < 10):
        raise InvalidInput(STALE_FORM, field="version")
    return ActionInput(
        reason=_reason(db, fields, locale),
        note=fields["note"],
        agency=fields["agency_other"].strip() or fields["agency"].strip() or None,
        of=fields["of_code"].strip() or fields["of"].strip() or None,
        category=fields["category"].strip() or None,
        lat=_number(fields["lat"], "lat"),
        lon=_number(fields["lon"], "lon"),
        priority=fields["priority"].strip() or None,
        version=int(version) if version else None,
    )
