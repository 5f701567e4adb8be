"""The rollups and the live figures against the story set's numbers, counted by hand."""

from __future__ import annotations

import statistics
from datetime import timedelta

from hypothesis import given
from hypothesis import settings as hsettings
from hypothesis import strategies as st
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from dashboard.kpi import histogram, rollup
from dashboard.kpi.figures import Figures, period_figures
from dashboard.kpi.models import NO_AGENCY, KpiDaily, KpiDuration, KpiRollupDay
from tests.dashboard.kpi.conftest import DAY, Stories, at

D0, D1, D2 = DAY, DAY + timedelta(days=1), DAY + timedelta(days=2)
LAST = DAY + timedelta(days=3)


def expected(s: Stories) -> dict[tuple[object, int], dict[str, int]]:
    """What happened, per day and agency (counts not listed are 0)."""
    return {
        (D0, s.a): {"forwarded": 4, "resolved": 2, "on_time": 2, "returned": 1},
        (D0, s.b): {"forwarded": 1, "resolved": 1, "on_time": 1},
        (D1, s.a): {"forwarded": 1, "reopened": 1},
        (D1, NO_AGENCY): {"overdue": 1},
        (D2, s.a): {"overdue": 1, "resolved": 1},
    }


DURATIONS = {(D0, "a"): [3.0, 8.0], (D0, "b"): [7.0], (D2, "a"): [54.0]}


def _by_day_agency(dbs: Session) -> dict[tuple[object, int], dict[str, int]]:
    """The rollup rows of the story's days, summed over categories, without zero counts."""
    sums = [func.sum(getattr(KpiDaily, name)).label(name) for name in ("intake", *COUNT_NAMES)]
    rows = dbs.execute(
        select(KpiDaily.day, KpiDaily.agency_id, *sums)
        .where(KpiDaily.day.between(D0, LAST))
        .group_by(KpiDaily.day, KpiDaily.agency_id)
    )
    found = {}
    for row in rows:
        counts = {name: int(getattr(row, name)) for name in COUNT_NAMES if getattr(row, name)}
        if counts:
            found[(row.day, row.agency_id)] = counts
    return found


COUNT_NAMES = ("forwarded", "resolved", "on_time", "overdue", "returned", "reopened")


def test_a_rollup_counts_what_happened_each_day(stories: Stories, dbs: Session) -> None:
    rollup.roll_up(dbs, D0, LAST, at(10, 12))
    assert _by_day_agency(dbs) == expected(stories)
    buckets = dbs.execute(
        select(KpiDuration.day, KpiDuration.agency_id, KpiDuration.bucket, KpiDuration.n)
        .where(KpiDuration.day.between(D0, LAST))
        .order_by(KpiDuration.day, KpiDuration.agency_id, KpiDuration.bucket)
    ).all()
    ids = {"a": stories.a, "b": stories.b}
    wanted = sorted(
        (day, ids[who], histogram.bucket_of(h), 1)
        for (day, who), hs in DURATIONS.items()
        for h in hs
    )
    assert sorted(tuple(row) for row in buckets) == wanted


def test_rolling_up_twice_gives_the_same_rows(stories: Stories, dbs: Session) -> None:
    rollup.roll_up(dbs, D0, LAST, at(10, 12))
    first = dbs.execute(select(KpiDaily).order_by(KpiDaily.day)).scalars().all()
    first_rows = [(r.day, r.agency_id, r.category_id, r.forwarded, r.resolved) for r in first]
    rollup.roll_up(dbs, D0, LAST, at(11, 12))
    again = dbs.execute(select(KpiDaily).order_by(KpiDaily.day)).scalars().all()
    assert [
        (r.day, r.agency_id, r.category_id, r.forwarded, r.resolved) for r in again
    ] == first_rows
    done = dbs.scalar(select(func.count()).where(KpiRollupDay.day.between(D0, LAST)))
    assert done == 4


def _agency_counts(figures: Figures, agency_id: int) -> dict[str, int]:
    counts = figures.by_agency[agency_id].counts
    return {name: counts[name] for name in COUNT_NAMES if counts[name]}


def _check_period(figures: Figures, s: Stories) -> None:
    assert _agency_counts(figures, s.a) == {
        "forwarded": 5,
        "resolved": 3,
        "on_time": 2,
        "overdue": 1,
        "returned": 1,
        "reopened": 1,
    }
    assert _agency_counts(figures, s.b) == {"forwarded": 1, "resolved": 1, "on_time": 1}
    assert figures.by_agency[NO_AGENCY].counts["overdue"] == 1
    assert figures.by_day[D1].counts["overdue"] == 1 and figures.by_day[D0].counts["resolved"] == 3
    rate = figures.by_agency[s.a].on_time_rate
    assert rate is not None and abs(rate - 2 / 3) < 1e-9
    median = figures.by_agency[s.a].median_hours  # exact: 8 h of (3, 8, 54)
    low, high = histogram.bounds(histogram.bucket_of(8.0))
    assert median is not None and low <= median <= high


def test_the_period_from_rollups_equals_the_period_computed_live(
    stories: Stories, dbs: Session
) -> None:
    live = period_figures(dbs, D0, LAST, at(3, 12))  # nothing rolled up: every day live
    assert set(live.live_days) == {D0, D1, D2, LAST}
    _check_period(live, stories)
    rollup.roll_up(dbs, D0, LAST, at(10, 12))
    rolled = period_figures(dbs, D0, LAST, at(10, 12))
    assert rolled.live_days == []
    _check_period(rolled, stories)
    assert rolled.by_agency[stories.a].durations == live.by_agency[stories.a].durations


def test_a_rollup_made_before_the_day_ended_is_not_trusted(stories: Stories, dbs: Session) -> None:
    rollup.roll_up(dbs, D0, D0, at(0, 9))  # early in the day: most of D0 came later
    figures = period_figures(dbs, D0, D0, at(10, 12))
    assert figures.live_days == [D0]
    assert figures.by_agency[stories.a].counts["resolved"] == 2


def test_the_job_fills_in_missing_days_newest_first(stories: Stories, dbs: Session) -> None:
    missing = rollup.missing_days(dbs, LAST, 2)
    assert missing == [LAST, D2]
    done = rollup.refresh(dbs, at(4, 12))
    assert done[:2] == [LAST, LAST + timedelta(days=1)]
    assert rollup.missing_days(dbs, LAST, 100)[:1] != [LAST]
    assert dbs.scalar(select(func.count()).where(KpiRollupDay.day == D2)) == 1


@hsettings(max_examples=60, deadline=None)
@given(st.lists(st.floats(min_value=0, max_value=5000, allow_nan=False), min_size=1, max_size=60))
def test_the_median_of_a_histogram_is_in_the_bucket_of_the_exact_median(hours: list[float]) -> None:
    counts: dict[int, int] = {}
    for value in hours:
        counts[histogram.bucket_of(value)] = counts.get(histogram.bucket_of(value), 0) + 1
    estimate = histogram.median(counts)
    exact = statistics.median_low(hours)
    low, high = histogram.bounds(histogram.bucket_of(exact))
    assert estimate is not None and low <= estimate <= high


def test_buckets_are_eight_per_doubling() -> None:
    assert histogram.bucket_of(0.1) == 0
    assert histogram.bucket_of(0.25) == 1
    assert histogram.bucket_of(0.5) == 1 + histogram.PER_DOUBLING
    assert histogram.bucket_of(10**6) == histogram.LAST
    assert histogram.median({}) is None
