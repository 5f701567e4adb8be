"""What each action does to a report: its fields, its deadlines, the event's note and payload.

A step runs after the checks of ``service.apply_action`` (who, state, version, required fields)
and may still refuse with a domain error (an unknown agency, a date too late); it never commits.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, time, timedelta
from typing import Any

from sqlalchemy import Row, func, select
from sqlalchemy.orm import Session

from ioc.errors import Conflict, InvalidInput
from ioc.i18n import N_
from ioc.settings import Settings
from reports.lifecycle.rules import Action
from reports.models import (
    ExtensionState,
    Follower,
    LocationSource,
    Report,
    ReportEvent,
    ReportState,
)
from routing import service as routing
from routing.models import Agency, Category
from routing.sla import VN_TZ, Priority

S = ReportState
WAITING_FOR_IOC = frozenset({S.submitted, S.returned, S.reopened})
END_OF_DAY = time(17, 0)  # a date alone means the end of that working day


@dataclass
class Context:
    """The report being changed and what a step needs around it."""

    db: Session
    settings: Settings
    report: Report
    actor_user_id: int | None
    now: datetime
    _clock: routing.Clock | None = None

    def forget_clock(self) -> None:
        """The category changed: load its clock again when next needed."""
        self._clock = None

    def clock(self) -> routing.Clock:
        """The report's category's deadline clock (loaded once)."""
        if self._clock is None:
            self._clock = routing.clock(self.db, self.report.category_id, self.now)
        return self._clock


@dataclass(frozen=True)
class Outcome:
    """The event's note and structured payload."""

    note: str = ""
    payload: dict[str, Any] = field(default_factory=dict)


Step = Callable[[Context, Any], Outcome]


def stage_due(report: Report) -> datetime | None:
    """The deadline of the report's current stage; None when nobody is due to act."""
    if report.state in WAITING_FOR_IOC:
        return report.verify_by
    if report.state == S.assigned:
        return report.accept_by
    if report.state == S.in_progress:
        return report.resolve_by
    return None


def stage_name(state: ReportState) -> str | None:
    """The deadline a state waits on: verify, accept or resolve."""
    if state in WAITING_FOR_IOC:
        return "verify"
    return {S.assigned: "accept", S.in_progress: "resolve"}.get(state)


def set_due(report: Report, due: datetime | None) -> None:
    """A new stage deadline; a report is overdue only against the deadline it has now."""
    if due != report.due_at:
        report.due_at = due
        report.overdue = False
        report.overdue_since = None


def _iso(value: datetime | None) -> str | None:
    return value.astimezone(VN_TZ).isoformat() if value else None


# --- The IOC's steps ---


def verify_forward(ctx: Context, data: Any) -> Outcome:
    """Forward to the agency chosen (default: the suggestion); its deadlines start now."""
    report = ctx.report
    agency = _agency(ctx.db, data.agency, report.suggested_agency_id)
    due = ctx.clock().due(ctx.now, report.priority)
    report.agency_id = agency.id
    report.accept_by, report.resolve_by = due.accept_by, due.resolve_by
    report.forwarded_at, report.accepted_at = ctx.now, None
    set_due(report, report.accept_by)
    payload = {"agency": agency.id, "agency_code": agency.code, "agency_name": agency.name}
    return Outcome(data.note.strip(), payload)


def _agency(db: Session, code: str | None, suggested: int | None) -> Row[int, str, str, bool]:
    """The active agency named by code, else the suggested one; 422 if neither.

    Only the columns a forward needs: an agency's row carries its service-area geometry.
    """
    columns = select(Agency.id, Agency.code, Agency.name, Agency.active)
    if code and code.strip():
        agency = db.execute(columns.where(Agency.code == code.strip().lower())).first()
    elif suggested is not None:
        agency = db.execute(columns.where(Agency.id == suggested)).first()
    else:
        agency = None
    if agency is None:
        raise InvalidInput(N_("Choose the agency to forward the report to."), field="agency")
    if not agency.active:
        raise InvalidInput(N_("This agency no longer takes reports."), field="agency")
    return agency


def reject(ctx: Context, data: Any) -> Outcome:
    """Close the report as invalid; the reason is shown to the resident."""
    ctx.report.closed_at = ctx.now
    set_due(ctx.report, None)
    return Outcome(data.reason.strip(), {"reason": data.reason.strip()})


def mark_duplicate(ctx: Context, data: Any) -> Outcome:
    """Merge into the original: its followers, and the reporter, follow the original.

    Someone who already follows the original (or reported it) is not added twice: they stay a
    follower of the duplicate only, and hear of the merge from it.
    """
    report = ctx.report
    original = ctx.db.scalar(select(Report).where(Report.tracking_code == data.of.strip().upper()))
    if original is None or original.id == report.id:
        raise InvalidInput(N_("No other report has this tracking code."), field="of")
    if original.state in (S.rejected, S.duplicate):
        raise InvalidInput(N_("The original report is itself closed."), field="of")
    moved = _move_followers(ctx.db, report, original)
    report.duplicate_of_id, report.closed_at = original.id, ctx.now
    set_due(report, None)
    payload: dict[str, Any] = {"of": original.tracking_code}
    if moved:  # the notification of the merge still reaches them (reports.notify)
        payload["moved_followers"] = moved
    return Outcome(data.note.strip(), payload)


def _contact_keys(phone: str | None, email: str | None) -> set[str]:
    """A contact's phone (without spaces) and email (lower case), as comparable keys."""
    keys = {"p:" + "".join(phone.split())} if phone and phone.strip() else set()
    return keys | ({"e:" + email.strip().lower()} if email and email.strip() else set())


def _move_followers(db: Session, report: Report, original: Report) -> list[int]:
    """The duplicate's followers and reporter follow the original, each contact once."""
    known = _contact_keys(original.reporter_phone, original.reporter_email)
    for phone, email in db.execute(
        select(Follower.phone, Follower.email).where(Follower.report_id == original.id)
    ):
        known |= _contact_keys(phone, email)
    moved: list[int] = []
    followers = db.scalars(
        select(Follower).where(Follower.report_id == report.id).order_by(Follower.id)
    )
    for follower in followers:
        keys = _contact_keys(follower.phone, follower.email)
        if not keys & known:
            follower.report_id = original.id
            moved.append(follower.id)
            known |= keys
    reporter = _contact_keys(report.reporter_phone, report.reporter_email)
    if reporter and not reporter & known:
        db.add(
            Follower(
                report_id=original.id,
                name=report.reporter_name,
                phone=report.reporter_phone,
                email=report.reporter_email,
                submitter_key=report.submitter_key,
            )
        )
    db.flush()
    return moved


def recategorise(ctx: Context, data: Any) -> Outcome:
    """Another category: routed again (new suggestion and reason), deadlines recounted."""
    report = ctx.report
    category = ctx.db.scalar(select(Category).where(Category.code == data.category.strip()))
    if category is None or not category.active:
        raise InvalidInput(N_("Unknown category."), field="category")
    if category.id == report.category_id:
        raise InvalidInput(N_("The report already has this category."), field="category")
    before = ctx.db.get_one(Category, report.category_id).code
    report.category_id = category.id
    ctx.forget_clock()
    routed = _reroute(ctx, category.code, _point(ctx), priority=category.default_priority)
    payload = {"category": category.code, "from": before, **routed}
    return Outcome(data.note.strip(), payload)


def relocate(ctx: Context, data: Any) -> Outcome:
    """Another place: routed again from there, deadlines recounted."""
    report = ctx.report
    code = ctx.db.get_one(Category, report.category_id).code
    routed = _reroute(ctx, code, (data.lat, data.lon), priority=None)
    report.location = f"SRID=4326;POINT({data.lon} {data.lat})"  # type: ignore[assignment]
    report.location_source = LocationSource.map
    return Outcome(data.note.strip(), {"lat": data.lat, "lon": data.lon, **routed})


def set_priority(ctx: Context, data: Any) -> Outcome:
    """Another priority: deadlines recounted from the stage's start."""
    try:
        priority = Priority(data.priority.strip())
    except ValueError:
        raise InvalidInput(N_("Unknown priority."), field="priority") from None
    before = ctx.report.priority
    if priority == before:
        raise InvalidInput(N_("The report already has this priority."), field="priority")
    ctx.report.priority = priority
    _recount(ctx)
    return Outcome(data.note.strip(), {"priority": priority.value, "from": before.value})


def _point(ctx: Context) -> tuple[float, float]:
    """The report's latitude and longitude."""
    row = ctx.db.execute(
        select(func.ST_Y(Report.location), func.ST_X(Report.location)).where(
            Report.id == ctx.report.id
        )
    ).one()
    return float(row[0]), float(row[1])


def _reroute(
    ctx: Context, category: str, where: tuple[float, float], *, priority: Priority | None
) -> dict[str, Any]:
    """Ask the routing engine again; the suggestion, ward and reason follow its answer."""
    report = ctx.report
    office = ctx.db.get(Agency, report.office_id) if report.office_id else None
    near = ctx.settings.routing.nearest_ward_metres
    routed = routing.assign(
        ctx.db,
        category=category,
        lat=where[0],
        lon=where[1],
        office=office.code if office else None,
        at=ctx.now,
        near_metres=near,
    )
    report.suggested_agency_id = routed.agency.id if routed.agency else None
    report.ward_id = routed.jurisdiction.id if routed.jurisdiction else None
    report.rule_position = routed.rule
    report.routing_reason, report.routing_reason_params = routed.why.msgid, routed.why.params
    report.outside_coverage = routed.outside_coverage
    if priority is not None:
        report.priority = priority
    _recount(ctx)
    return {"suggested_agency": routed.agency.code if routed.agency else None}


def _recount(ctx: Context) -> None:
    """Deadlines counted again from the stage's start (submission, else forwarding)."""
    report = ctx.report
    start = report.forwarded_at or report.created_at
    due = ctx.clock().due(start, report.priority)
    if report.forwarded_at is None and report.state == S.submitted:
        report.verify_by = due.verify_by
    report.accept_by = due.accept_by
    if report.extension_state != ExtensionState.approved:
        report.resolve_by = due.resolve_by
    set_due(report, stage_due(report))


def approve_result(ctx: Context, data: Any) -> Outcome:
    """Publish the result: it is public from now on, with whether it came on time."""
    ctx.report.published_at = ctx.now
    ctx.report.on_time = not _missed_since_forward(ctx)
    set_due(ctx.report, None)
    return Outcome(data.note.strip())


def _missed_since_forward(ctx: Context) -> bool:
    """Whether the agency missed a deadline (accept, resolve) since the forward of this cycle.

    The KPIs' definition of "on time" (dashboard.kpi.queries); migration 0011_public backfills it.
    """
    report = ctx.report
    start = report.forwarded_at or report.created_at
    missed = select(ReportEvent.id).where(
        ReportEvent.report_id == report.id,
        ReportEvent.action == "overdue",
        ReportEvent.payload["stage"].astext.in_(("accept", "resolve")),
        ReportEvent.at >= start,
        ReportEvent.at <= ctx.now,
    )
    return bool(ctx.db.scalar(select(missed.exists())))


def send_back(ctx: Context, data: Any) -> Outcome:
    """The proof is not enough: back to the agency, against its own deadline."""
    set_due(ctx.report, ctx.report.resolve_by)
    return Outcome(data.reason.strip(), {"reason": data.reason.strip()})


def approve_extension(ctx: Context, data: Any) -> Outcome:
    """The result is now due at the date asked."""
    report = ctx.report
    _extension_waiting(report)
    report.extension_state = ExtensionState.approved
    report.resolve_by = report.extension_until
    set_due(report, report.resolve_by)
    return Outcome(data.note.strip(), {"until": _iso(report.extension_until)})


def deny_extension(ctx: Context, data: Any) -> Outcome:
    """The deadline stays; the one extension is spent."""
    _extension_waiting(ctx.report)
    ctx.report.extension_state = ExtensionState.denied
    reason = data.reason.strip()
    return Outcome(reason or data.note.strip(), {"reason": reason} if reason else {})


def _extension_waiting(report: Report) -> None:
    if report.extension_state != ExtensionState.requested:
        raise Conflict(N_("No extension request is waiting for a decision."), field="action")


# --- The agency's steps ---


def accept(ctx: Context, data: Any) -> Outcome:
    """The agency takes the report on: the result deadline runs."""
    ctx.report.accepted_at = ctx.now
    set_due(ctx.report, ctx.report.resolve_by)
    return Outcome(data.note.strip())


def return_(ctx: Context, data: Any) -> Outcome:
    """Not this agency's: back to the IOC, which must forward it again."""
    report = ctx.report
    report.verify_by = ctx.clock().verify_by(ctx.now, report.priority)
    set_due(report, report.verify_by)
    return Outcome(data.reason.strip(), {"reason": data.reason.strip()})


def request_extension(ctx: Context, data: Any) -> Outcome:
    """Ask once for a later result date, at most 5 working days later (DOMAIN.md)."""
    report = ctx.report
    if report.extension_state is not None:
        raise Conflict(N_("This report has already had its one extension request."), field="until")
    until = parse_until(data.until)
    _check_until(ctx, until)
    reason = data.reason.strip()
    report.extension_state = ExtensionState.requested
    report.extension_until, report.extension_reason = until, reason
    return Outcome(reason, {"until": _iso(until), "reason": reason})


def parse_until(value: str) -> datetime:
    """A date (the end of that working day) or a date and time; Vietnam's time if none is given."""
    text = value.strip()
    try:
        if len(text) == 10:
            day = datetime.fromisoformat(text).date()
            return datetime.combine(day, END_OF_DAY, tzinfo=VN_TZ)
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise InvalidInput(N_("Enter a date such as 2026-12-31."), field="until") from None
    return moment if moment.tzinfo else moment.replace(tzinfo=VN_TZ)


def _check_until(ctx: Context, until: datetime) -> None:
    report = ctx.report
    if until <= ctx.now:
        raise InvalidInput(N_("The new date must be in the future."), field="until")
    current = report.resolve_by or ctx.now
    if until <= current:
        raise InvalidInput(
            N_("The new date must be later than the current deadline (%(due)s)."),
            field="until",
            due=_shown(current),
        )
    latest = ctx.clock().latest_extension(current, report.priority)
    if until > latest + timedelta(seconds=59):
        raise InvalidInput(
            N_("An extension may add at most 5 working days: the latest date is %(latest)s."),
            field="until",
            latest=_shown(latest),
        )


def _shown(moment: datetime) -> str:
    return moment.astimezone(VN_TZ).strftime("%d/%m/%Y %H:%M")


def resolve(ctx: Context, data: Any) -> Outcome:
    """The agency's result with its proof; the IOC reviews it before it is published."""
    text = data.note.strip()
    ctx.report.result_text = text
    ctx.report.resolved_at = ctx.now
    set_due(ctx.report, None)
    return Outcome(text, {"text": text})


# --- The resident's step ---


def reopen(ctx: Context, data: Any) -> Outcome:
    """Not fixed: back to the IOC's queue within the reopening window, same agency suggested."""
    report = ctx.report
    days = ctx.settings.lifecycle.reopen_days
    if report.published_at is None or ctx.now > report.published_at + timedelta(days=days):
        raise Conflict(
            N_("A report can be reopened within %(days)s days of its result."),
            field="action",
            days=days,
        )
    report.suggested_agency_id = report.agency_id
    report.verify_by = ctx.clock().verify_by(ctx.now, report.priority)
    set_due(report, report.verify_by)
    note = data.note.strip()
    return Outcome(note, {"note": note})


STEPS: dict[Action, Step] = {
    Action.verify_forward: verify_forward,
    Action.reject: reject,
    Action.mark_duplicate: mark_duplicate,
    Action.recategorise: recategorise,
    Action.relocate: relocate,
    Action.set_priority: set_priority,
    Action.accept: accept,
    Action.return_: return_,
    Action.request_extension: request_extension,
    Action.approve_extension: approve_extension,
    Action.deny_extension: deny_extension,
    Action.resolve: resolve,
    Action.approve_result: approve_result,
    Action.send_back: send_back,
    Action.reopen: reopen,
}
