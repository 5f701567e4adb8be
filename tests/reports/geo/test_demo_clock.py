"""The bulk generator's window clock agrees with routing's working-time calendar."""

from __future__ import annotations

from datetime import date, datetime, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from reports.geo.demo_clock import WindowClock
from routing.sla import VN_TZ, WorkCalendar

CALENDAR = WorkCalendar(extra_days_off=frozenset({date(2026, 3, 4)}))
CLOCK = WindowClock(CALENDAR, date(2025, 12, 1), date(2027, 3, 1))
START = datetime(2026, 1, 1, tzinfo=VN_TZ)


@settings(max_examples=300, deadline=None)
@given(
    minutes=st.integers(0, 365 * 24 * 60),
    seconds=st.integers(0, 59),
    duration=st.one_of(
        st.sampled_from([0, 2 * 3600, 8 * 3600, 24 * 3600, 4 * 3600 * 4]),
        st.integers(0, 120 * 3600),
    ),
)
def test_adding_working_time_agrees_with_routing(minutes: int, seconds: int, duration: int) -> None:
    start = START + timedelta(minutes=minutes, seconds=seconds)
    want = CALENDAR.add_working_time(start, timedelta(seconds=duration))
    assert CLOCK.add(start.timestamp(), duration) == want.timestamp()


def test_window_ends_and_days_off_are_kept() -> None:
    friday_noon = datetime(2026, 3, 6, 11, 0, tzinfo=VN_TZ)
    # 30 minutes to 11:30 exactly; then lunch, the weekend and nothing in between.
    assert (
        CLOCK.add(friday_noon.timestamp(), 1800)
        == datetime(2026, 3, 6, 11, 30, tzinfo=VN_TZ).timestamp()
    )
    assert (
        CLOCK.add(friday_noon.timestamp(), 1801)
        == datetime(2026, 3, 6, 13, 0, 1, tzinfo=VN_TZ).timestamp()
    )
    tuesday_late = datetime(2026, 3, 3, 16, 0, tzinfo=VN_TZ)  # Wednesday 4 March is a day off
    assert (
        CLOCK.add(tuesday_late.timestamp(), 2 * 3600)
        == datetime(2026, 3, 5, 8, 30, tzinfo=VN_TZ).timestamp()
    )
