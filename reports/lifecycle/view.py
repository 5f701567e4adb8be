"""What staff see of a report and of its timeline, and the resident's reopening form.

Privacy (DOMAIN.md): the reporter's contact is the IOC's to see; an agency sees it only where the
resident turned off "keep my identity from the agency"; no other reader ever. An agency reads
the whole timeline of a report assigned to it, but not the notes the IOC wrote for itself, nor
the usernames of people outside its agency and the IOC.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.orm import Session

from ioc.db import utcnow
from ioc.i18n import get_locale, gettext
from ioc.settings import Settings
from reports import queries as report_queries
from reports.lifecycle import queries
from reports.lifecycle.labels import ACTION_LABELS
from reports.lifecycle.rules import Action
from reports.lifecycle.schemas import (
    Contact,
    Deadlines,
    EventActor,
    EventOut,
    EventsOut,
    Extension,
    MediaOut,
    StaffView,
)
from reports.lifecycle.service import Actor, allowed_actions
from reports.models import Report, ReportMedia, ReportState
from reports.schemas import Ref
from reports.tracking.codes import IOC_ROLES, token_matches
from reports.tracking.status import label, media_url
from routing.service import reason_text

# Notes the IOC writes for itself: an agency sees that the step happened, not what was noted.
IOC_NOTES = frozenset(
    {
        Action.reject.value,
        Action.mark_duplicate.value,
        Action.recategorise.value,
        Action.relocate.value,
        Action.set_priority.value,
    }
)
IOC_ROLE_VALUES = frozenset(role.value for role in IOC_ROLES)


def is_ioc(actor: Actor) -> bool:
    """The operations centre (operators, supervisors) and administrators."""
    return actor.role in IOC_ROLE_VALUES


def _ref(code: str | None, name: str | None) -> Ref | None:
    return Ref(code=code, name=name) if code and name else None


def _deadlines(report: Report, now: datetime) -> Deadlines:
    due = report.due_at
    return Deadlines(
        verify_by=report.verify_by,
        accept_by=report.accept_by,
        resolve_by=report.resolve_by,
        due_at=due,
        overdue=report.overdue or (due is not None and due < now),
        overdue_since=report.overdue_since or (due if due is not None and due < now else None),
    )


def _extension(report: Report) -> Extension | None:
    if report.extension_state is None:
        return None
    return Extension(
        state=report.extension_state.value,
        until=report.extension_until,
        reason=report.extension_reason,
    )


def contact_for(report: Report, actor: Actor) -> Contact | None:
    """The reporter's contact if this staff member may see it (DOMAIN.md, Privacy)."""
    may = is_ioc(actor) or (actor.is_agency and not report.keep_identity_private)
    if not may:
        return None
    return Contact(
        name=report.reporter_name, phone=report.reporter_phone, email=report.reporter_email
    )


def _media(base: str, rows: list[ReportMedia]) -> list[MediaOut]:
    return [
        MediaOut(
            kind=row.kind,
            stage=row.stage,
            display_url=media_url(base, row.display_path),
            thumbnail_url=media_url(base, row.thumbnail_path),
            width=row.width,
            height=row.height,
            duration_s=row.duration_s,
        )
        for row in rows
    ]


def staff_view(
    db: Session, settings: Settings, report: Report, actor: Actor, base: str
) -> StaffView:
    """The staff view of a report, for a staff member who may see it."""
    row: Any = db.execute(report_queries.report_names(), {"report_id": report.id}).one()
    lat, lon = row.lat, row.lon
    media = list(db.scalars(queries.media_of(report.id)))
    return StaffView(
        tracking_code=report.tracking_code,
        status=report.state.value,
        status_label=label(report.state),
        version=report.version,
        category=Ref(code=row.category_code, name=category_name(row)),
        priority=report.priority.value,
        description=report.description,
        location={"lat": lat, "lon": lon},
        ward=_ref(row.ward_code, row.ward_name),
        suggested_agency=_ref(row.suggested_code, row.suggested_name),
        agency=_ref(row.agency_code, row.agency_name),
        routing_reason=reason_text(report.routing_reason, report.routing_reason_params) or None,
        outside_coverage=report.outside_coverage,
        created_at=report.created_at,
        forwarded_at=report.forwarded_at,
        accepted_at=report.accepted_at,
        resolved_at=report.resolved_at,
        published_at=report.published_at,
        closed_at=report.closed_at,
        deadlines=_deadlines(report, utcnow()),
        extension=_extension(report),
        result_text=report.result_text,
        duplicate_of=row.original_code,
        media=_media(base, media),
        allowed_actions=allowed_actions(report, actor, settings),
        identity_shared=not report.keep_identity_private,
        contact=contact_for(report, actor),
    )


def category_name(row: Any) -> str:
    """A category's name in the reader's language, from a row with both names."""
    return str(row.name_en if get_locale() == "en" else row.name_vi)


def _event(row: Any, actor: Actor) -> EventOut:
    """One event as this reader may see it."""
    event = row.ReportEvent
    ioc_reader = is_ioc(actor)
    colleague = actor.agency_id is not None and row.actor_agency_id == actor.agency_id
    return EventOut(
        id=event.id,
        at=event.at,
        action=event.action,
        action_label=gettext(ACTION_LABELS.get(event.action, event.action)),
        from_status=event.from_state.value if event.from_state else None,
        status=event.to_state.value,
        status_label=label(event.to_state),
        actor=EventActor(
            kind=event.actor_kind.value,
            role=row.role.value if row.role is not None else None,
            username=row.username if ioc_reader or colleague else None,
        ),
        note=event.note if ioc_reader or event.action not in IOC_NOTES else None,
        payload=dict(event.payload or {}),
    )


def timeline(db: Session, report: Report, actor: Actor) -> EventsOut:
    """A report's events as this staff member may see them, oldest first."""
    rows = db.execute(queries.events_of(report.id)).all()
    return EventsOut(tracking_code=report.tracking_code, items=[_event(r, actor) for r in rows])


@dataclass
class ReopenForm:
    """The resident's reopening form on the private status page, and what it last said."""

    token: str
    until: datetime | None
    open: bool
    note: str = ""
    error: str | None = None


def reopen_until(report: Report, settings: Settings) -> datetime | None:
    """Until when a published report may be reopened; None if it is not published."""
    if report.state != ReportState.published or report.published_at is None:
        return None
    return report.published_at + timedelta(days=settings.lifecycle.reopen_days)


def reopen_form(
    db: Session, report: Report, settings: Settings, token: str | None
) -> ReopenForm | None:
    """The form for the reporter or a follower (a private token) while reopening is possible."""
    if not token or not token_matches(db, report, token):
        return None
    until = reopen_until(report, settings)
    if until is None or utcnow() > until:
        return None
    return ReopenForm(token=token, until=until, open=True)


def reopen_again(
    report: Report, settings: Settings, token: str, note: str, error: str
) -> ReopenForm:
    """The form drawn again with the message (shut if the window has passed meanwhile)."""
    until = reopen_until(report, settings)
    still = until is not None and utcnow() <= until
    return ReopenForm(token=token, until=until, open=still, note=note, error=error)
