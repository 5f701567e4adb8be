"""A period's figures: past days from the rollups, today (and any day not yet rolled up) live.

The page, the bulletin and the tests read the same ``period_figures``; the job writes the
rollups from the same statement (``queries.FACTS``) that computes the live days.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy.orm import Session

from dashboard.kpi import histogram
from dashboard.kpi import queries as q
from dashboard.kpi.models import NO_AGENCY
from reports.feedback.models import Rating
from reports.feedback.queries import Satisfaction, satisfaction_by
from routing.sla import VN_TZ


@dataclass
class Tally:
    """Counts and the durations histogram of some days, agencies or categories."""

    counts: dict[str, int] = field(default_factory=lambda: dict.fromkeys(q.COUNTS, 0))
    durations: dict[int, int] = field(default_factory=dict)

    def add_counts(self, row: Any) -> None:
        """Add a row's counts (any object with the ``COUNTS`` attributes)."""
        for name in q.COUNTS:
            self.counts[name] += int(getattr(row, name) or 0)

    def merge(self, other: Tally) -> None:
        """Add another tally."""
        for name in q.COUNTS:
            self.counts[name] += other.counts[name]
        histogram.add(self.durations, other.durations)

    @property
    def on_time_rate(self) -> float | None:
        """Results published on time over results published; None without any."""
        resolved = self.counts["resolved"]
        return self.counts["on_time"] / resolved if resolved else None

    @property
    def median_hours(self) -> float | None:
        """The median time to result (hours), from the histogram."""
        return histogram.median(self.durations)


@dataclass
class Figures:
    """A period's figures per day, per agency (``NO_AGENCY``: the IOC) and in all."""

    first: date
    last: date
    by_day: dict[date, Tally] = field(default_factory=dict)
    by_agency: dict[int, Tally] = field(default_factory=dict)
    live_days: list[date] = field(default_factory=list)
    # Ratings of the results published in the period, per agency (always live: see add_ratings).
    satisfaction: dict[int, Satisfaction] = field(default_factory=dict)

    def day(self, day: date) -> Tally:
        """The tally of one day (created empty)."""
        return self.by_day.setdefault(day, Tally())

    def agency(self, agency_id: int) -> Tally:
        """The tally of one agency (created empty)."""
        return self.by_agency.setdefault(agency_id, Tally())

    @property
    def total(self) -> Tally:
        """The whole period."""
        whole = Tally()
        for tally in self.by_day.values():
            whole.merge(tally)
        return whole

    @property
    def total_satisfaction(self) -> Satisfaction:
        """The ratings of the whole period."""
        return sum(self.satisfaction.values(), Satisfaction())

    def days(self) -> Iterator[date]:
        """Every day of the period, in order."""
        day = self.first
        while day <= self.last:
            yield day
            day += timedelta(days=1)


def today(now: datetime) -> date:
    """The Vietnam day of ``now``."""
    return now.astimezone(VN_TZ).date()


def period_figures(db: Session, first: date, last: date, now: datetime) -> Figures:
    """The figures of the Vietnam days ``first`` to ``last`` (today's live)."""
    figures = Figures(first, last)
    live = _live_days(db, first, last, today(now))
    figures.live_days = live
    past_last = min(last, today(now) - timedelta(days=1))
    if first <= past_last:
        _add_rollups(db, figures, first, past_last, live)
    for start, end in _runs(live):
        add_facts(figures, db.execute(q.facts(start, end)))
    add_ratings(db, figures)
    return figures


def add_ratings(db: Session, figures: Figures) -> None:
    """The satisfaction of the results published in the period, per agency, counted live.

    Not rolled up: a rating may be given late and changed for days after its publication, and
    the ratings of a period are read from one index (``ix_report_ratings_published``).
    """
    since, until = q.day_start(figures.first), q.day_start(figures.last + timedelta(days=1))
    for row in db.execute(satisfaction_by(Rating.agency_id, since, until)):
        agency_id = NO_AGENCY if row.key is None else int(row.key)
        figures.satisfaction[agency_id] = Satisfaction.of(row)
        figures.agency(agency_id)  # an agency rated in the period has a line


def _live_days(db: Session, first: date, last: date, current: date) -> list[date]:
    """Days computed from the events: today, and the days whose rollup is missing or not final."""
    final = set(db.scalars(q.final_days(first, last)))
    days = [first + timedelta(days=n) for n in range((last - first).days + 1)]
    return [day for day in days if day >= current or day not in final]


def _runs(days: list[date]) -> Iterator[tuple[date, date]]:
    """Consecutive days as (first, last) runs."""
    start = previous = None
    for day in days:
        if previous is not None and day != previous + timedelta(days=1):
            assert start is not None
            yield start, previous
            start = None
        start = start or day
        previous = day
    if start is not None and previous is not None:
        yield start, previous


def _add_rollups(db: Session, figures: Figures, first: date, last: date, skip: list[date]) -> None:
    """The rolled-up days' sums, per day and per agency."""
    for row in db.execute(q.rollup_sums(first, last, skip)):
        tally = figures.agency(row.agency_id) if row.by_agency else figures.day(row.day)
        tally.add_counts(row)
    for row in db.execute(q.duration_sums(first, last, skip)):
        tally = figures.agency(row.agency_id) if row.by_agency else figures.day(row.day)
        tally.durations[row.bucket] = tally.durations.get(row.bucket, 0) + int(row.n)


def add_facts(figures: Figures, rows: Iterable[Any]) -> None:
    """Add rows of ``queries.FACTS`` (counts rows and histogram rows) per day and per agency."""
    for row in rows:
        targets = (figures.day(row.day), figures.agency(row.agency_id))
        for tally in targets:
            if row.whole:
                tally.add_counts(row)
            elif row.bucket is not None:
                tally.durations[row.bucket] = tally.durations.get(row.bucket, 0) + int(row.n)


__all__ = ["NO_AGENCY", "Figures", "Tally", "add_facts", "period_figures", "today"]
