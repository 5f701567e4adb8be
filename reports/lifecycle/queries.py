"""Statements of the lifecycle API: a report's names, media and events, and the staff list."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Select,
    and_,
    false,
    not_,
    or_,
    select,
)

from ioc.auth.models import User
from reports.models import Report, ReportEvent, ReportMedia, ReportState
from routing.models import Agency, AgencyMember, Category

Rows = Select[*tuple[Any, ...]]  # a statement of several columns


def media_of(report_id: int) -> Select[ReportMedia]:
    """A report's photos and videos (the resident's, then the after-photos), in order."""
    return (
        select(ReportMedia).where(ReportMedia.report_id == report_id).order_by(ReportMedia.position)
    )


def events_of(report_id: int) -> Rows:
    """A report's events, oldest first, with the actor's username, role and agency."""
    return (
        select(
            ReportEvent,
            User.username,
            User.role,
            AgencyMember.agency_id.label("actor_agency_id"),
        )
        .outerjoin(User, User.id == ReportEvent.user_id)
        .outerjoin(AgencyMember, AgencyMember.user_id == ReportEvent.user_id)
        .where(ReportEvent.report_id == report_id)
        .order_by(ReportEvent.at, ReportEvent.id)
    )


def is_overdue(now: datetime) -> ColumnElement[bool]:
    """Flagged by the deadline sweep, or past its deadline and not swept yet."""
    return or_(Report.overdue.is_(True), Report.due_at < now)


@dataclass(frozen=True)
class ListFilter:
    """What the staff list shows: ``scope`` is the agency of agency staff (whatever they ask)."""

    scope: int | None
    agency_staff: bool
    states: tuple[ReportState, ...] = ()
    agency_id: int | None = None
    category_id: int | None = None
    overdue: bool | None = None
    q: str | None = None
    after: tuple[datetime | None, int] | None = None
    limit: int = 50


def _like(text: str) -> str:
    """A LIKE pattern that finds ``text`` anywhere, its wildcards taken literally."""
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def _after(cursor: tuple[datetime | None, int]) -> ColumnElement[bool]:
    """Rows after the cursor in the order (due_at nulls last, id)."""
    due, last_id = cursor
    if due is None:
        return and_(Report.due_at.is_(None), Report.id > last_id)
    return or_(
        Report.due_at > due,
        and_(Report.due_at == due, Report.id > last_id),
        Report.due_at.is_(None),
    )


def _conditions(f: ListFilter, now: datetime) -> list[ColumnElement[bool]]:
    conditions: list[ColumnElement[bool]] = []
    if f.agency_staff:  # their own agency's reports, whatever the filters say
        conditions.append(Report.agency_id == f.scope if f.scope is not None else false())
    if f.agency_id is not None:
        conditions.append(Report.agency_id == f.agency_id)
    if f.states:
        conditions.append(Report.state.in_(f.states))
    if f.category_id is not None:
        conditions.append(Report.category_id == f.category_id)
    if f.overdue is not None:
        conditions.append(is_overdue(now) if f.overdue else not_(is_overdue(now)))
    if f.q:
        conditions.append(
            or_(
                Report.tracking_code == f.q.upper(),
                Report.description.ilike(_like(f.q), escape="\\"),
            )
        )
    if f.after is not None:
        conditions.append(_after(f.after))
    return conditions


def staff_list(f: ListFilter, now: datetime) -> Rows:
    """One page (and one row more, to know if another follows) of the staff list.

    Ordered by the current deadline, those without one last, then id: the (state, due_at) and
    (agency_id, state, due_at) indexes give that order within a state.
    """
    return (
        select(
            Report.id,
            Report.tracking_code,
            Report.state,
            Report.priority,
            Report.created_at,
            Report.due_at,
            Report.version,
            is_overdue(now).label("is_overdue"),
            Category.code.label("category_code"),
            Category.name_vi,
            Category.name_en,
            Agency.code.label("agency_code"),
            Agency.name.label("agency_name"),
        )
        .join(Category, Category.id == Report.category_id)
        .outerjoin(Agency, Agency.id == Report.agency_id)
        .where(*_conditions(f, now))
        .order_by(Report.due_at.asc().nulls_last(), Report.id)
        .limit(f.limit + 1)
    )


def agency_id_of(code: str) -> Select[int]:
    """An agency's id by code."""
    return select(Agency.id).where(Agency.code == code.strip().lower())


def category_id_of(code: str) -> Select[int]:
    """A category's id by code."""
    return select(Category.id).where(Category.code == code.strip())
