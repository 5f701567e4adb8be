"""The one function that applies a lifecycle action to a report, in the caller's transaction.

``apply_action`` locks the report's row, checks who may act (role and agency scope), the state,
the client's version and the required fields, then lets the action's step change the report,
writes an immutable event (with its attachments), moves the deadlines and queues the
notifications. Nothing is committed here: the caller's transaction makes it all or nothing.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from ioc.auth.models import Role
from ioc.db import utcnow
from ioc.errors import Conflict, Forbidden, InvalidInput, InvalidTransition, NotFound
from ioc.i18n import N_, gettext
from ioc.settings import Settings
from reports.lifecycle import steps
from reports.lifecycle.rules import RULES, Action, Rule, allowed, parties_of, who_may
from reports.media.rows import Stored, media_row
from reports.media.store import MediaStore, PreparedPhoto
from reports.models import STATE_LABELS, ActorKind, Report, ReportEvent, ReportMedia
from reports.notify import service as notify

UNKNOWN_ACTION = N_("Unknown action. The actions are: %(actions)s.")
NOT_ALLOWED_ROLE = N_("Your role may not take the action “%(action)s”.")
NOT_NOW = N_(
    "The report is “%(state)s”: the action “%(action)s” is not possible now. "
    "Possible now: %(allowed)s."
)
STALE = N_(
    "Someone else changed this report in the meantime (it is now “%(state)s”). "
    "Reload it and try again."
)
REQUIRED = {
    "reason": N_("Give a reason."),
    "note": N_("Write a note."),
    "of": N_("Give the tracking code of the original report."),
    "category": N_("Choose a category."),
    "lat": N_("Give the latitude."),
    "lon": N_("Give the longitude."),
    "priority": N_("Choose a priority."),
    "until": N_("Give the new date."),
    "photos": N_("Add at least one photo of the result."),
}


@dataclass(frozen=True)
class Actor:
    """Who acts: a staff user (role, agency), a resident holding the token, or the system."""

    kind: ActorKind
    user_id: int | None = None
    role: str | None = None
    agency_id: int | None = None

    @property
    def is_agency(self) -> bool:
        """Agency staff: they see and act on their own agency's reports only."""
        return self.role == Role.agency_staff.value


@dataclass
class ActionInput:
    """The fields an action may carry (form or multipart); photos already checked and decoded."""

    reason: str = ""
    note: str = ""
    agency: str | None = None
    until: str | None = None
    of: str | None = None
    category: str | None = None
    lat: float | None = None
    lon: float | None = None
    priority: str | None = None
    version: int | None = None
    photos: list[PreparedPhoto] = field(default_factory=list)

    def has(self, name: str) -> bool:
        """Whether a required field was given (blank text counts as missing)."""
        value = getattr(self, name)
        if isinstance(value, str):
            return bool(value.strip())
        if isinstance(value, list):
            return bool(value)
        return value is not None


def can_see(report: Report, actor: Actor) -> bool:
    """Staff scope: the IOC and admins see every report, an agency only those assigned to it."""
    if actor.kind != ActorKind.staff:
        return False
    if actor.is_agency:
        return actor.agency_id is not None and report.agency_id == actor.agency_id
    return True


def _parties(report: Report, actor: Actor) -> frozenset[str]:
    of_agency = actor.is_agency and report.agency_id == actor.agency_id
    return parties_of(actor.role, of_agency=of_agency, resident=actor.kind == ActorKind.resident)


def allowed_actions(report: Report, actor: Actor, settings: Settings) -> list[str]:
    """The actions ``actor`` may take on ``report`` now (for pages and 409 answers)."""
    return allowed(report.state, _parties(report, actor), settings.lifecycle.roles)


def _rule(name: str) -> Rule:
    try:
        return RULES[Action(name)]
    except ValueError:
        actions = ", ".join(a.value for a in Action)
        raise NotFound(UNKNOWN_ACTION, field="action", actions=actions) from None


def _lock(db: Session, report_id: int) -> Report:
    """The report's row, locked until commit; concurrent actions queue here."""
    stmt = (
        select(Report)
        .where(Report.id == report_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    return db.scalars(stmt).one()


def _check(report: Report, rule: Rule, actor: Actor, data: ActionInput, settings: Settings) -> None:
    """Scope (404), role (403), version and state (409), required fields (422), in that order."""
    if actor.kind == ActorKind.staff and not can_see(report, actor):
        raise NotFound(N_("No report has this tracking code."), field="tracking_code")
    parties = _parties(report, actor)
    if not parties & who_may(rule, settings.lifecycle.roles):
        raise Forbidden(NOT_ALLOWED_ROLE, action=rule.action.value)
    state_now = {"state": report.state.value, "version": report.version}
    if data.version is not None and data.version != report.version:
        error = Conflict(STALE, field="version", state=gettext(STATE_LABELS[report.state]))
        error.extra = state_now
        raise error
    if report.state not in rule.sources:
        possible = allowed(report.state, parties, settings.lifecycle.roles)
        error = InvalidTransition(
            NOT_NOW,
            state=gettext(STATE_LABELS[report.state]),
            action=rule.action.value,
            allowed=", ".join(possible) or "—",
        )
        error.extra = {**state_now, "allowed": possible}
        raise error
    for name in rule.required:
        if not data.has(name):
            raise InvalidInput(REQUIRED[name], field=name)


def apply_action(
    db: Session,
    settings: Settings,
    report_id: int,
    action: str,
    actor: Actor,
    data: ActionInput,
    *,
    store: MediaStore | None = None,
    now: datetime | None = None,
) -> ReportEvent:
    """Apply ``action`` to the report, or raise a domain error having changed nothing."""
    rule = _rule(action)
    report = _lock(db, report_id)
    _check(report, rule, actor, data, settings)
    now = now or utcnow()
    before = report.state
    ctx = steps.Context(db, settings, report, actor_user_id=actor.user_id, now=now)
    outcome = steps.STEPS[rule.action](ctx, data)
    if rule.to is not None:
        report.state = rule.to
    stored = _store_photos(store, data.photos) if rule.action == Action.resolve else []
    media = _media_rows(db, report, stored)
    payload = outcome.payload | ({"media": [row.id for row in media]} if media else {})
    event = ReportEvent(
        report_id=report.id,
        at=now,
        actor_kind=actor.kind,
        user_id=actor.user_id,
        from_state=before,
        to_state=report.state,
        action=rule.action.value,
        note=outcome.note,
        payload=payload,
    )
    db.add(event)
    db.flush()
    for row in media:
        row.event_id = event.id
    report.version += 1
    report.updated_at = now
    db.flush()
    notify.queue_for_event(db, settings, report, event)
    return event


def _store_photos(store: MediaStore | None, photos: list[PreparedPhoto]) -> list[Stored]:
    """Write the after-photos, after every check has passed (the sweep removes orphans)."""
    if store is None:
        raise RuntimeError("resolve needs the media store")
    return [photo.store(store) for photo in photos]


def _media_rows(db: Session, report: Report, stored: list[Stored]) -> list[ReportMedia]:
    """The after-photos' rows, numbered after the report's media (flushed: their ids are known)."""
    if not stored:
        return []
    last = db.scalar(
        select(ReportMedia.position)
        .where(ReportMedia.report_id == report.id)
        .order_by(ReportMedia.position.desc())
        .limit(1)
    )
    start = 0 if last is None else last + 1
    rows = [media_row(start + i, item, stage="result") for i, item in enumerate(stored)]
    for row in rows:
        row.report_id = report.id
    db.add_all(rows)
    db.flush()
    return rows


def mark_overdue(
    db: Session, settings: Settings, report_id: int, now: datetime
) -> ReportEvent | None:
    """Flag a report past its stage's deadline, once, with an event and the alerts.

    None if it is not (or no longer) overdue, or already flagged: the sweep may run it twice.
    The version is not bumped: a deadline passing does not make a client's view stale.
    """
    report = _lock(db, report_id)
    if report.overdue or report.due_at is None or report.due_at >= now:
        return None
    stage = steps.stage_name(report.state)
    if stage is None:
        return None
    report.overdue, report.overdue_since = True, report.due_at
    event = ReportEvent(
        report_id=report.id,
        at=now,
        actor_kind=ActorKind.system,
        from_state=report.state,
        to_state=report.state,
        action="overdue",
        # The agency the lateness counts against (KPIs); None while the IOC is the one late.
        payload={
            "stage": stage,
            "due": report.due_at.isoformat(),
            "agency": report.agency_id if stage != "verify" else None,
        },
    )
    db.add(event)
    db.flush()
    notify.queue_for_event(db, settings, report, event)
    return event


def precheck(
    report: Report,
    action: str,
    actor: Actor,
    data: ActionInput,
    settings: Settings,
    *,
    photos_sent: int = 0,
) -> None:
    """``apply_action``'s checks without the row lock, to refuse before costly work.

    The API runs it before it decodes the photos sent (``photos_sent``: not decoded yet, so not
    in ``data``); ``apply_action`` checks everything again under the lock.
    """
    rule = _rule(action)
    if photos_sent:
        rule = replace(rule, required=tuple(n for n in rule.required if n != "photos"))
    _check(report, rule, actor, data, settings)
