"""Statements of the public site, on top of ``reports.publication`` (never around it)."""

from __future__ import annotations

import base64
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, Select, func, select, tuple_
from sqlalchemy.orm import Session

from ioc.errors import InvalidInput
from ioc.i18n import N_
from reports import publication
from reports.feedback.models import Rating
from reports.feedback.queries import Satisfaction, satisfaction_by
from reports.lifecycle.rules import PUBLIC_ACTIONS
from reports.models import Report, ReportEvent, ReportMedia
from routing.models import CURRENT_VINTAGE, Agency, Jurisdiction, JurisdictionLevel

PAGE_SIZE = 20
BAD_CURSOR = N_("This link to the next page is damaged; start again from the first page.")


@dataclass(frozen=True)
class Page:
    """A page of the list and the cursor of the next one (None: the last page)."""

    rows: list[Any]
    next: str | None


def cursor(created_at: datetime, report_id: int) -> str:
    """An opaque keyset cursor: the last row's creation time and id."""
    raw = f"{created_at.isoformat()}|{report_id}".encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def parse_cursor(value: str) -> tuple[datetime, int]:
    """The creation time and id of a cursor; 422 if it is not one of ours."""
    try:
        raw = base64.urlsafe_b64decode(value + "=" * (-len(value) % 4)).decode()
        moment, _, report_id = raw.partition("|")
        parsed = datetime.fromisoformat(moment), int(report_id)
    except (ValueError, UnicodeDecodeError):
        raise InvalidInput(BAD_CURSOR, field="after") from None
    if parsed[0].tzinfo is None:
        raise InvalidInput(BAD_CURSOR, field="after")
    return parsed


def page(
    db: Session, where: list[ColumnElement[bool]], after: str | None, size: int = PAGE_SIZE
) -> Page:
    """The newest public reports first (``ix_reports_public_created``), one keyset page."""
    statement = publication.public_reports().where(*where)
    if after:
        created, report_id = parse_cursor(after)
        statement = statement.where(tuple_(Report.created_at, Report.id) < (created, report_id))
    statement = statement.order_by(Report.created_at.desc(), Report.id.desc()).limit(size + 1)
    rows = list(db.execute(statement))
    more = len(rows) > size
    rows = rows[:size]
    return Page(rows, cursor(rows[-1].created_at, rows[-1].id) if more and rows else None)


def media(db: Session, report_id: int) -> list[ReportMedia]:
    """A public report's photos and videos (their public derivatives are read, never originals)."""
    return list(
        db.scalars(
            select(ReportMedia)
            .where(ReportMedia.report_id == report_id)
            .order_by(ReportMedia.position)
        )
    )


def public_steps(report_id: int) -> Select[*tuple[Any, ...]]:
    """The public steps of a report: when and what, never who nor any note."""
    return (
        select(ReportEvent.at, ReportEvent.action, ReportEvent.to_state)
        .where(ReportEvent.report_id == report_id, ReportEvent.action.in_(sorted(PUBLIC_ACTIONS)))
        .order_by(ReportEvent.at, ReportEvent.id)
    )


def agency(code: str) -> Select[*tuple[Any, ...]]:
    """An agency's public facts by code."""
    return select(Agency.id, Agency.code, Agency.name, Agency.kind).where(
        Agency.code == code.strip().lower()
    )


def ward(code: str) -> Select[*tuple[Any, ...]]:
    """A ward of the current boundaries by code."""
    return select(Jurisdiction.id, Jurisdiction.code, Jurisdiction.full_name.label("name")).where(
        Jurisdiction.code == code.strip(),
        Jurisdiction.vintage == CURRENT_VINTAGE,
        Jurisdiction.level == JurisdictionLevel.ward,
    )


@dataclass(frozen=True)
class Outcomes:
    """Results published in a period: how many, on time, the median time to result."""

    resolved: int = 0
    on_time: int = 0
    median_hours: float | None = None

    @property
    def on_time_rate(self) -> float | None:
        """On time over published; None without any result."""
        return self.on_time / self.resolved if self.resolved else None


def outcomes(db: Session, where: ColumnElement[bool], since: datetime, until: datetime) -> Outcomes:
    """The results published in [since, until) of reports matching ``where`` (a ward's)."""
    hours = func.extract("epoch", Report.published_at - Report.created_at) / 3600.0
    row = db.execute(
        select(
            func.count(),
            func.count().filter(Report.on_time.is_(True)),
            func.percentile_cont(0.5).within_group(hours),
        ).where(
            where,
            publication.public_condition(),
            Report.published_at >= since,
            Report.published_at < until,
        )
    ).one()
    median = float(row[2]) if row[2] is not None else None
    return Outcomes(int(row[0]), int(row[1]), median)


def satisfaction(
    db: Session, column: Any, key: int, since: datetime, until: datetime
) -> Satisfaction:
    """The ratings of the results published in [since, until) of one agency or ward."""
    statement = satisfaction_by(column, since, until).where(column == key)
    found = db.execute(statement).first()
    return Satisfaction.of(found) if found else Satisfaction()


AGENCY_RATINGS = Rating.agency_id
WARD_RATINGS = Report.ward_id
