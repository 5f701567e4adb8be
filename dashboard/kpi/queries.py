"""Statements of the KPIs: the facts of a time range from the events, and sums of the rollups.

What counts (docs/DEADLINES.md): ``intake`` the residents' submissions (no agency);
``forwarded`` the reports an agency received (``verify_forward``); ``resolved`` the results
published (``approve_result``), ``on_time`` those with no missed deadline of the agency (an
``overdue`` event of stage accept or resolve) since the forward that began the cycle; ``overdue``
the deadlines missed that day, against the agency the event names (none: the IOC's own
verification); ``returned`` and ``reopened``. A published result, a return or a reopening counts
for the agency of the latest forward before it; the category is the report's current one. The
time to result is from the submission to the publication.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime, time, timedelta
from typing import Any, Final

from sqlalchemy import (
    ColumnElement,
    DateTime,
    Select,
    TextClause,
    and_,
    bindparam,
    cast,
    func,
    select,
    text,
    tuple_,
)
from sqlalchemy.orm import InstrumentedAttribute

from dashboard.kpi import histogram
from dashboard.kpi.models import KpiDaily, KpiDuration, KpiRollupDay
from reports.lifecycle.sweep import TIMED_STATES
from reports.models import OPEN_STATES, Report, ReportEvent
from routing.sla import VN_TZ

COUNTS: Final = ("intake", "forwarded", "resolved", "on_time", "overdue", "returned", "reopened")
# A day's rollup computed this long after the day's end is final: no event of it comes later.
GRACE: Final = timedelta(minutes=2)

FACTS: Final[TextClause] = text(
    """
WITH ev AS (
    SELECT e.report_id, e.at, e.action, e.payload, r.category_id, r.created_at,
           (e.at AT TIME ZONE 'Asia/Ho_Chi_Minh')::date AS day
    FROM report_events e JOIN reports r ON r.id = e.report_id
    WHERE e.at >= :start AND e.at < :end
      AND e.action IN ('submit', 'verify_forward', 'approve_result', 'overdue', 'return', 'reopen')
), att AS (
    SELECT ev.day, ev.category_id, ev.action,
        CASE ev.action
            WHEN 'submit' THEN 0
            WHEN 'verify_forward' THEN coalesce((ev.payload->>'agency')::int, 0)
            WHEN 'overdue' THEN coalesce((ev.payload->>'agency')::int, 0)
            ELSE coalesce(cycle.agency, 0)
        END AS agency_id,
        CASE WHEN ev.action = 'approve_result' THEN NOT EXISTS (
            SELECT 1 FROM report_events o
            WHERE o.report_id = ev.report_id AND o.action = 'overdue'
              AND o.payload->>'stage' IN ('accept', 'resolve')
              AND o.at >= coalesce(cycle.at, ev.created_at) AND o.at <= ev.at
        ) END AS on_time,
        CASE WHEN ev.action <> 'approve_result' THEN NULL
            WHEN ev.at - ev.created_at < make_interval(secs => :base * 3600) THEN 0
            ELSE least(:last, floor(ln(extract(epoch FROM ev.at - ev.created_at) / 3600.0 / :base)
                                    / ln(2) * :per)::int + 1)
        END AS bucket
    FROM ev LEFT JOIN LATERAL (
        SELECT (f.payload->>'agency')::int AS agency, f.at
        FROM report_events f
        WHERE ev.action IN ('approve_result', 'return', 'reopen')
          AND f.report_id = ev.report_id AND f.action = 'verify_forward' AND f.at <= ev.at
        ORDER BY f.at DESC, f.id DESC
        LIMIT 1
    ) cycle ON true
)
SELECT day, agency_id, category_id, bucket, grouping(bucket) AS whole,
    count(*) FILTER (WHERE action = 'submit') AS intake,
    count(*) FILTER (WHERE action = 'verify_forward') AS forwarded,
    count(*) FILTER (WHERE action = 'approve_result') AS resolved,
    count(*) FILTER (WHERE on_time) AS on_time,
    count(*) FILTER (WHERE action = 'overdue') AS overdue,
    count(*) FILTER (WHERE action = 'return') AS returned,
    count(*) FILTER (WHERE action = 'reopen') AS reopened,
    count(*) AS n
FROM att
GROUP BY GROUPING SETS ((day, agency_id, category_id), (day, agency_id, category_id, bucket))
"""
).bindparams(
    bindparam("base", histogram.BASE_HOURS),
    bindparam("per", histogram.PER_DOUBLING),
    bindparam("last", histogram.LAST),
)


def day_start(day: date) -> datetime:
    """The moment a Vietnam day begins."""
    return datetime.combine(day, time(0), tzinfo=VN_TZ)


def facts(first: date, last: date) -> TextClause:
    """The facts of the Vietnam days ``first`` to ``last``, from the events (``FACTS``)."""
    return FACTS.bindparams(start=day_start(first), end=day_start(last + timedelta(days=1)))


def _in_period(
    column: InstrumentedAttribute[date], first: date, last: date, skip: Sequence[date]
) -> ColumnElement[bool]:
    where = column.between(first, last)
    return and_(where, column.not_in(skip)) if skip else where


def rollup_sums(first: date, last: date, skip: Sequence[date]) -> Select[*tuple[Any, ...]]:
    """The rollups' counts summed per day and per agency (``grouping(day)`` 1: per agency)."""
    sums = [func.sum(getattr(KpiDaily, name)).label(name) for name in COUNTS]
    return (
        select(
            KpiDaily.day, KpiDaily.agency_id, func.grouping(KpiDaily.day).label("by_agency"), *sums
        )
        .where(_in_period(KpiDaily.day, first, last, skip))
        .group_by(func.grouping_sets(KpiDaily.day, KpiDaily.agency_id))
    )


def duration_sums(first: date, last: date, skip: Sequence[date]) -> Select[*tuple[Any, ...]]:
    """The durations histogram summed per day and per agency."""
    return (
        select(
            KpiDuration.day,
            KpiDuration.agency_id,
            func.grouping(KpiDuration.day).label("by_agency"),
            KpiDuration.bucket,
            func.sum(KpiDuration.n).label("n"),
        )
        .where(_in_period(KpiDuration.day, first, last, skip))
        .group_by(
            func.grouping_sets(
                tuple_(KpiDuration.day, KpiDuration.bucket),
                tuple_(KpiDuration.agency_id, KpiDuration.bucket),
            )
        )
    )


def final_days(first: date, last: date) -> Select[date]:
    """The days of a period whose rollup was computed after the day had ended."""
    end = func.timezone("Asia/Ho_Chi_Minh", cast(KpiRollupDay.day + 1, DateTime()))
    return select(KpiRollupDay.day).where(
        KpiRollupDay.day.between(first, last), KpiRollupDay.computed_at >= end + GRACE
    )


def open_now() -> Select[int]:
    """How many reports are open (served by the (state, …) indexes)."""
    return select(func.count()).select_from(Report).where(Report.state.in_(OPEN_STATES))


def overdue_now(now: datetime) -> Select[int]:
    """How many open reports are past their current deadline (exact, not the sweep's flag)."""
    return (
        select(func.count())
        .select_from(Report)
        .where(Report.state.in_(TIMED_STATES), Report.due_at < now)
    )


def first_event_day() -> Select[date | None]:
    """The Vietnam day of the oldest event (from the index on the events' time)."""
    return select(func.date(func.timezone("Asia/Ho_Chi_Minh", func.min(ReportEvent.at))))
