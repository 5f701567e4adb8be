"""The operators' queue: filtered reports, overdue first, then the nearest deadline, then newest.

Pages follow a keyset cursor (the sort key of the last row), so that a page stays cheap however far
the operator scrolls and rows do not shift when new reports arrive. The order reads the overdue
flag that the minutely sweep sets (index ``ix_reports_queue``); a deadline passed since the last
sweep still sorts first among the others, as the nearest, and its row says it is overdue.
"""

from __future__ import annotations

import base64
import binascii
import functools
import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import (
    ColumnElement,
    DateTime,
    Integer,
    Select,
    and_,
    bindparam,
    false,
    func,
    or_,
    select,
    true,
)
from sqlalchemy.orm import Session, aliased

from dashboard.operator.filters import (
    Filters,
    Shape,
    bound_conditions,
    bound_values,
    is_overdue,
    shape,
)
from ioc import i18n
from ioc.errors import InvalidInput
from ioc.i18n import N_
from reports.models import Report, ReportState
from routing.models import Agency, Category, Jurisdiction
from routing.sla import Priority

PAGE_SIZE = 50
MAX_PAGE = 200
BAD_CURSOR = N_("This list position is not valid. Reload the list.")


@dataclass(frozen=True)
class QueueRow:
    """One line of the queue."""

    code: str
    state: ReportState
    priority: Priority
    category_code: str
    category_name: str
    category_icon: str
    ward_name: str | None
    agency_name: str | None  # the agency it was forwarded to, else the suggested one
    created_at: datetime
    due_at: datetime | None
    overdue: bool
    lat: float
    lon: float

    def as_json(self) -> dict[str, Any]:
        """The row as JSON (ISO times)."""
        return {
            "code": self.code,
            "state": self.state.value,
            "priority": self.priority.value,
            "category_code": self.category_code,
            "category_name": self.category_name,
            "category_icon": self.category_icon,
            "ward_name": self.ward_name,
            "agency_name": self.agency_name,
            "created_at": self.created_at.isoformat(),
            "due_at": self.due_at.isoformat() if self.due_at else None,
            "overdue": self.overdue,
            "lat": self.lat,
            "lon": self.lon,
        }


@dataclass(frozen=True)
class QueuePage:
    """A page of rows and the cursor of the next page (None on the last)."""

    rows: list[QueueRow]
    next: str | None


@functools.cache
def _statement() -> Select[*tuple[Any, ...]]:
    """The rows with their names (built once: aliased entities are costly to build)."""
    agency = aliased(Agency)
    return (
        select(
            Report.id,
            Report.tracking_code,
            Report.state,
            Report.priority,
            Category.code.label("category_code"),
            Category.name_vi.label("category_vi"),
            Category.name_en.label("category_en"),
            Category.icon.label("category_icon"),
            Jurisdiction.full_name.label("ward_name"),
            agency.name.label("agency_name"),
            Report.created_at,
            Report.due_at,
            Report.overdue,
            is_overdue().label("late"),
            func.ST_Y(Report.location).label("lat"),
            func.ST_X(Report.location).label("lon"),
        )
        .join(Category, Category.id == Report.category_id)
        .outerjoin(Jurisdiction, Jurisdiction.id == Report.ward_id)
        .outerjoin(agency, agency.id == func.coalesce(Report.agency_id, Report.suggested_agency_id))
        .order_by(
            Report.overdue.desc(),
            Report.due_at.asc().nulls_last(),
            Report.created_at.desc(),
            Report.id.desc(),
        )
    )


def encode_cursor(overdue: bool, due_at: datetime | None, created_at: datetime, id_: int) -> str:
    """The sort key of a row as an opaque URL-safe string."""
    key = [int(overdue), due_at.isoformat() if due_at else None, created_at.isoformat(), id_]
    return base64.urlsafe_b64encode(json.dumps(key).encode()).decode().rstrip("=")


def decode_cursor(cursor: str) -> tuple[bool, datetime | None, datetime, int]:
    """A cursor's sort key; anything not made by encode_cursor is a 422."""
    try:
        raw = base64.urlsafe_b64decode(cursor[:200] + "=" * (-len(cursor) % 4))
        overdue, due, created, id_ = json.loads(raw)
        due_at = datetime.fromisoformat(due) if due is not None else None
        created_at = datetime.fromisoformat(created)
        if overdue not in (0, 1) or type(id_) is not int or created_at.tzinfo is None:
            raise ValueError(cursor)
        if due_at is not None and due_at.tzinfo is None:
            raise ValueError(cursor)
    except (ValueError, TypeError, binascii.Error, UnicodeDecodeError):
        raise InvalidInput(BAD_CURSOR, field="after") from None
    return bool(overdue), due_at, created_at, id_


Cursor = tuple[bool, bool] | None  # after an overdue row?, a row with a deadline?; None: first


@functools.cache
def _page_statement(s: Shape, cursor: Cursor) -> Select[*tuple[Any, ...]]:
    """A page of the queue for filters of this shape, after a cursor of this kind."""
    statement = _statement().where(*bound_conditions(s))
    if cursor is not None:
        statement = statement.where(_after(*cursor))
    return statement.limit(bindparam("limit", type_=Integer))


def _after(overdue: bool, has_due: bool) -> ColumnElement[bool]:
    """Rows after the cursor's in the queue's order: overdue first, then the deadline (none
    last), then the newest (the cursor's values are bound as ``c_due``, ``c_created``, ``c_id``)."""
    moment = DateTime(timezone=True)
    created, id_ = bindparam("c_created", type_=moment), bindparam("c_id", type_=Integer)
    older = or_(Report.created_at < created, and_(Report.created_at == created, Report.id < id_))
    if has_due:
        due = bindparam("c_due", type_=moment)
        later = or_(Report.due_at > due, Report.due_at.is_(None), and_(Report.due_at == due, older))
    else:
        later = and_(Report.due_at.is_(None), older)
    if overdue:
        return or_(Report.overdue.is_(false()), and_(Report.overdue.is_(true()), later))
    return and_(Report.overdue.is_(false()), later)


def page(
    db: Session, filters: Filters, *, after: str | None = None, limit: int = PAGE_SIZE
) -> QueuePage:
    """A page of the queue under the filters, after a cursor (the first page without one)."""
    limit = max(1, min(limit, MAX_PAGE))
    values = {**bound_values(filters), "limit": limit + 1}
    cursor: Cursor = None
    if after:
        overdue, due_at, created_at, id_ = decode_cursor(after)
        cursor = (overdue, due_at is not None)
        values.update(c_due=due_at, c_created=created_at, c_id=id_)
    fetched = db.execute(_page_statement(shape(filters), cursor), values).all()
    english = i18n.get_locale() == "en"
    rows = [_row(found, english) for found in fetched[:limit]]
    last = fetched[limit - 1] if len(fetched) > limit else None
    next_cursor = (
        encode_cursor(last.overdue, last.due_at, last.created_at, last.id) if last else None
    )
    return QueuePage(rows=rows, next=next_cursor)


def first_page(db: Session, filters: Filters, *, limit: int = PAGE_SIZE) -> QueuePage:
    """The first page of the queue."""
    return page(db, filters, limit=limit)


def _row(found: Any, english: bool) -> QueueRow:
    """A fetched row as a QueueRow."""
    return QueueRow(
        code=found.tracking_code,
        state=found.state,
        priority=found.priority,
        category_code=found.category_code,
        category_name=found.category_en if english else found.category_vi,
        category_icon=found.category_icon,
        ward_name=found.ward_name,
        agency_name=found.agency_name,
        created_at=found.created_at,
        due_at=found.due_at,
        overdue=bool(found.late),
        lat=found.lat,
        lon=found.lon,
    )
