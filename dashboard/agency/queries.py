"""Statements of the agency pages: the inbox and its counts, a report's media and timeline."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, Select, and_, case, false, func, or_, select

from ioc.auth.models import User
from reports.models import Report, ReportEvent, ReportMedia, ReportState
from routing.models import Agency, Category, Jurisdiction

# The states in which the agency is due to act (accept, then resolve): only these are late.
AGENCY_STAGES = (ReportState.assigned, ReportState.in_progress)


def scope(agency_id: int | None, *, everyone: bool = False) -> ColumnElement[bool]:
    """An agency's reports; ``everyone`` (an admin looking) every agency's."""
    if everyone:
        return Report.agency_id.is_not(None)
    if agency_id is None:
        return false()  # agency staff bound to no agency see nothing
    return Report.agency_id == agency_id


def agency_due() -> ColumnElement[Any]:
    """The deadline the agency works to; none while the IOC has the report."""
    return case((Report.state.in_(AGENCY_STAGES), Report.due_at), else_=None)


def is_late(now: datetime) -> ColumnElement[bool]:
    """Past the agency's deadline: flagged by the sweep, or passed since its last run."""
    return and_(Report.state.in_(AGENCY_STAGES), or_(Report.overdue, Report.due_at < now))


def inbox(
    where: ColumnElement[bool], state: ReportState | None, now: datetime, limit: int, offset: int
) -> Select[Report, str, str, str | None, str | None, bool]:
    """A page of reports: late ones first, then by the agency's deadline, then the newest."""
    late = is_late(now)
    stmt = (
        select(
            Report,
            Category.name_vi,
            Category.name_en,
            Jurisdiction.full_name.label("ward_name"),
            Agency.name.label("agency_name"),
            late.label("late"),
        )
        .join(Category, Category.id == Report.category_id)
        .outerjoin(Jurisdiction, Jurisdiction.id == Report.ward_id)
        .outerjoin(Agency, Agency.id == Report.agency_id)
        .where(where)
    )
    if state is not None:
        stmt = stmt.where(Report.state == state)
    return (
        stmt.order_by(
            late.desc(), agency_due().asc().nulls_last(), Report.created_at.desc(), Report.id.desc()
        )
        .limit(limit)
        .offset(offset)
    )


def counts(where: ColumnElement[bool]) -> Select[ReportState, int]:
    """How many reports there are in each state."""
    return select(Report.state, func.count()).where(where).group_by(Report.state)


def late_count(where: ColumnElement[bool], now: datetime) -> Select[int]:
    """How many reports are past the agency's deadline."""
    return select(func.count()).select_from(Report).where(where, is_late(now))


def media(report_id: int) -> Select[ReportMedia]:
    """A report's photos and videos, the resident's and the agency's after-photos."""
    return (
        select(ReportMedia).where(ReportMedia.report_id == report_id).order_by(ReportMedia.position)
    )


def video(report_id: int, media_id: int) -> Select[ReportMedia]:
    """One video of a report."""
    return select(ReportMedia).where(
        ReportMedia.id == media_id, ReportMedia.report_id == report_id, ReportMedia.kind == "video"
    )


def timeline(report_id: int) -> Select[ReportEvent, str | None, str | None]:
    """A report's events, oldest first, with the name of the staff member who acted."""
    return (
        select(ReportEvent, User.username, User.full_name)
        .outerjoin(User, User.id == ReportEvent.user_id)
        .where(ReportEvent.report_id == report_id)
        .order_by(ReportEvent.at, ReportEvent.id)
    )


def agency_by_code(code: str) -> Select[Agency]:
    """An agency by its code."""
    return select(Agency).where(Agency.code == code)


def ward_outline(ward_id: int) -> Select[str | None]:
    """A ward's boundary as GeoJSON, simplified to about 10 m (a frame for the report's pin)."""
    return select(
        func.ST_AsGeoJSON(func.ST_SimplifyPreserveTopology(Jurisdiction.geom, 0.0001))
    ).where(Jurisdiction.id == ward_id)
