"""What the KPI page shows: today's headline, the agencies' ranking and the trends' data."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from dashboard.kpi import histogram
from dashboard.kpi import queries as q
from dashboard.kpi.figures import Figures, Tally, period_figures, today
from dashboard.kpi.models import NO_AGENCY
from dashboard.kpi.period import Period, Sort
from ioc import i18n
from ioc.i18n import N_
from reports.feedback.queries import Satisfaction, satisfaction_by
from routing.models import Agency

SATISFACTION_DAYS = 30  # the headline's satisfaction: results published in the last 30 days

SERIES = (
    ("intake", N_("Received from residents")),
    ("forwarded", N_("Forwarded to agencies")),
    ("resolved", N_("Results published")),
    ("overdue", N_("Deadlines missed")),
)


@dataclass(frozen=True)
class AgencyRow:
    """One line of the ranking."""

    id: int
    code: str
    name: str
    received: int
    resolved: int
    on_time: int
    on_time_rate: float | None
    overdue: int
    median: float | None
    returned: int
    reopened: int
    satisfaction: float | None = None  # (satisfied + accepted) / rated
    rated: int = 0


def headline(db: Session, now: datetime, figures: Figures | None = None) -> dict[str, Any]:
    """Today's figures: intake, open and overdue now, on-time rate and median of today's results."""
    day = today(now)
    if figures is None or day not in figures.live_days:
        figures = period_figures(db, day, day, now)
    tally = figures.by_day.get(day, Tally())
    return {
        "intake": tally.counts["intake"],
        "open": db.scalar(q.open_now()) or 0,
        "overdue": db.scalar(q.overdue_now(now)) or 0,
        "resolved": tally.counts["resolved"],
        "on_time_rate": tally.on_time_rate,
        "median": tally.median_hours,
        "satisfaction": recent_satisfaction(db, now),
    }


def recent_satisfaction(db: Session, now: datetime) -> Satisfaction:
    """The ratings of the results published in the last ``SATISFACTION_DAYS`` days.

    A day's results are rarely rated on the day: the headline looks back further.
    """
    since = now - timedelta(days=SATISFACTION_DAYS)
    return Satisfaction.of(db.execute(satisfaction_by(None, since, now)).one())


def agency_rows(db: Session, figures: Figures, sort: Sort) -> list[AgencyRow]:
    """Every agency with something in the period, in the order asked for."""
    ids = [agency_id for agency_id in figures.by_agency if agency_id != NO_AGENCY]
    names = (
        {
            row.id: row
            for row in db.execute(
                select(Agency.id, Agency.code, Agency.name).where(Agency.id.in_(ids))
            )
        }
        if ids
        else {}
    )
    none = Satisfaction()
    rows = [
        _row(
            agency_id,
            names.get(agency_id),
            figures.by_agency[agency_id],
            figures.satisfaction.get(agency_id, none),
        )
        for agency_id in ids
    ]
    return sort_rows(rows, sort)


def _row(agency_id: int, named: Any, tally: Tally, rated: Satisfaction) -> AgencyRow:
    counts = tally.counts
    return AgencyRow(
        id=agency_id,
        code=named.code if named else str(agency_id),
        name=named.name if named else str(agency_id),
        received=counts["forwarded"],
        resolved=counts["resolved"],
        on_time=counts["on_time"],
        on_time_rate=tally.on_time_rate,
        overdue=counts["overdue"],
        median=tally.median_hours,
        returned=counts["returned"],
        reopened=counts["reopened"],
        satisfaction=rated.rate,
        rated=rated.rated,
    )


def sort_rows(rows: list[AgencyRow], sort: Sort) -> list[AgencyRow]:
    """Sorted by a column; agencies without a value (no result yet) always last, then by name."""
    by_name = sorted(rows, key=lambda row: row.name.casefold())
    if sort.key == "agency":
        return by_name[::-1] if sort.descending else by_name
    attribute = "on_time_rate" if sort.key == "on_time" else sort.key
    valued = [row for row in by_name if getattr(row, attribute) is not None]
    empty = [row for row in by_name if getattr(row, attribute) is None]
    valued.sort(key=lambda row: getattr(row, attribute), reverse=sort.descending)
    return valued + empty


def trends(figures: Figures) -> str:
    """The charts' data as JSON: a label per day, a series per count, the on-time rate, medians."""
    days = list(figures.days())
    tallies = [figures.by_day.get(day, Tally()) for day in days]
    data = {
        "labels": [day.strftime("%d/%m") for day in days],
        "counts": [
            {"key": key, "label": i18n.gettext(label), "data": [t.counts[key] for t in tallies]}
            for key, label in SERIES
        ],
        "rate": {
            "label": i18n.gettext(N_("Results on time (%)")),
            "data": [_percent(t.on_time_rate) for t in tallies],
        },
        "median": {
            "label": i18n.gettext(N_("Median time to result (hours)")),
            "data": [_round(t.median_hours) for t in tallies],
        },
    }
    return json.dumps(data, ensure_ascii=False)


def _percent(rate: float | None) -> float | None:
    return None if rate is None else round(rate * 100, 1)


def _round(hours: float | None) -> float | None:
    return None if hours is None else round(hours, 1)


def context(db: Session, period: Period, sort: Sort, now: datetime) -> dict[str, Any]:
    """Everything the page shows."""
    figures = period_figures(db, period.first, period.last, now)
    total = figures.total
    return {
        "period": period,
        "sort": sort,
        "headline": headline(db, now, figures),
        "rows": agency_rows(db, figures, sort),
        "total": total,
        "total_satisfaction": figures.total_satisfaction,
        "ioc_overdue": figures.by_agency.get(NO_AGENCY, Tally()).counts["overdue"],
        "trends": trends(figures),
        "precision": histogram.PRECISION_PERCENT,
        "today": today(now),
    }


def first_of_month(day: date) -> date:
    """The first day of the day's month (the "this month" link)."""
    return day.replace(day=1)
