"""The downloads' filters from the URL (``from``, ``to``, ``category``, ``ward``, ``state``).

A filter that names nothing (an unknown category or ward, a state that is never public, a date
that is not one) is a 422 naming the parameter, in the reader's language: an empty file would
look like "no reports" when the question was wrong.
"""

from __future__ import annotations

from datetime import date
from typing import Annotated, Final

from fastapi import Depends, Query
from sqlalchemy.orm import Session

from dashboard.opendata import queries
from dashboard.opendata.fields import STATE_VALUES
from ioc.errors import InvalidInput
from ioc.i18n import N_
from ioc.web import SessionDep
from reports.models import ReportState

EARLIEST: Final = date(2000, 1, 1)
LATEST: Final = date(2100, 12, 31)
BAD_DATE = N_("Enter a date such as 2026-12-31.")
OUT_OF_RANGE = N_("Choose a date between %(first)s and %(last)s.")
REVERSED = N_("The period starts after it ends: the first date must not be after the last.")
UNKNOWN_CATEGORY = N_("There is no category with the code “%(code)s”.")
UNKNOWN_WARD = N_("There is no ward or commune with the code “%(code)s”.")
BAD_STATE = N_("Choose one of the public states: %(states)s.")

Param = Annotated[str | None, Query(max_length=64)]


def parse_day(value: str | None, field: str) -> date | None:
    """An ISO date within the years this system knows, or None when not given."""
    if value is None or not value.strip():
        return None
    try:
        day = date.fromisoformat(value.strip())
    except ValueError:
        raise InvalidInput(BAD_DATE, field=field) from None
    if not EARLIEST <= day <= LATEST:
        raise InvalidInput(OUT_OF_RANGE, field=field, first=EARLIEST, last=LATEST)
    return day


def parse_state(value: str | None) -> ReportState | None:
    """A state a public report can be in, or None when not given."""
    if value is None or not value.strip():
        return None
    if value.strip() not in STATE_VALUES:
        raise InvalidInput(BAD_STATE, field="state", states=", ".join(STATE_VALUES))
    return ReportState(value.strip())


def parse_filters(
    db: Session,
    first: str | None,
    last: str | None,
    category: str | None,
    ward: str | None,
    state: str | None,
) -> queries.Filters:
    """The filters asked for, each checked; an empty parameter is no filter."""
    start, end = parse_day(first, "from"), parse_day(last, "to")
    if start and end and start > end:
        raise InvalidInput(REVERSED, field="from")
    category = (category or "").strip() or None
    if category and db.scalar(queries.category_exists(category)) is None:
        raise InvalidInput(UNKNOWN_CATEGORY, field="category", code=category)
    ward = (ward or "").strip() or None
    if ward and db.scalar(queries.ward_exists(ward)) is None:
        raise InvalidInput(UNKNOWN_WARD, field="ward", code=ward)
    return queries.Filters(start, end, category, ward, parse_state(state))


def filters_dep(
    db: SessionDep,
    first: Annotated[str | None, Query(alias="from", max_length=32)] = None,
    last: Annotated[str | None, Query(alias="to", max_length=32)] = None,
    category: Param = None,
    ward: Param = None,
    state: Param = None,
) -> queries.Filters:
    """The filters of a download request."""
    return parse_filters(db, first, last, category, ward, state)


FiltersDep = Annotated[queries.Filters, Depends(filters_dep)]
