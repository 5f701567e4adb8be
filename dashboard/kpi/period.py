"""The KPI page's period (``from``, ``to``: Vietnam days) and the ranking's sort, from the URL."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from typing import Final
from urllib.parse import urlencode

from ioc.errors import InvalidInput
from ioc.i18n import N_

DEFAULT_DAYS: Final = 30
MAX_DAYS: Final = 366
EARLIEST: Final = date(2000, 1, 1)
# The agencies' table: a URL key per column, and the default ranking.
SORT_KEYS: Final = (
    "agency",
    "received",
    "resolved",
    "on_time",
    "overdue",
    "median",
    "returned",
    "reopened",
    "satisfaction",
)
DEFAULT_SORT: Final = "received"

BAD_DATE = N_("Enter a date such as 2026-12-31.")
AFTER_TODAY = N_("The period cannot end after today (%(today)s).")
REVERSED = N_("The period starts after it ends: the first date must not be after the last.")
TOO_LONG = N_("A period may cover at most %(days)s days.")
TOO_OLD = N_("The period cannot start before %(earliest)s.")
BAD_SORT = N_("Sort by one of: %(keys)s.")
BAD_ORDER = N_("The order is “asc” or “desc”.")


@dataclass(frozen=True)
class Period:
    """Vietnam days ``first`` to ``last``, both included."""

    first: date
    last: date

    @property
    def days(self) -> int:
        """How many days the period covers."""
        return (self.last - self.first).days + 1


@dataclass(frozen=True)
class Sort:
    """The agencies' table's order."""

    key: str = DEFAULT_SORT
    descending: bool = True


def parse_day(value: str | None, field: str) -> date | None:
    """An ISO date, or None when not given; 422 naming the field otherwise."""
    if value is None or not value.strip():
        return None
    try:
        return date.fromisoformat(value.strip())
    except ValueError:
        raise InvalidInput(BAD_DATE, field=field) from None


def parse_period(first: str | None, last: str | None, today: date) -> Period:
    """The period asked for (default: the last 30 days, today included), or a clear 422."""
    end = parse_day(last, "to") or today
    start = parse_day(first, "from") or end - timedelta(days=DEFAULT_DAYS - 1)
    if end > today:
        raise InvalidInput(AFTER_TODAY, field="to", today=today.isoformat())
    if start > end:
        raise InvalidInput(REVERSED, field="from")
    if start < EARLIEST:
        raise InvalidInput(TOO_OLD, field="from", earliest=EARLIEST.isoformat())
    if (end - start).days + 1 > MAX_DAYS:
        raise InvalidInput(TOO_LONG, field="from", days=MAX_DAYS)
    return Period(start, end)


def parse_sort(key: str | None, order: str | None) -> Sort:
    """The column and direction asked for (default: most received first)."""
    key = (key or DEFAULT_SORT).strip()
    if key not in SORT_KEYS:
        raise InvalidInput(BAD_SORT, field="sort", keys=", ".join(SORT_KEYS))
    order = (order or ("asc" if key == "agency" else "desc")).strip()
    if order not in ("asc", "desc"):
        raise InvalidInput(BAD_ORDER, field="order")
    return Sort(key, order == "desc")


def query(period: Period, sort: Sort | None = None, **extra: str) -> str:
    """The query string of a period (and a sort): shareable links."""
    params = {"from": period.first.isoformat(), "to": period.last.isoformat()}
    if sort is not None:
        params |= {"sort": sort.key, "order": "desc" if sort.descending else "asc"}
    return urlencode(params | extra)
