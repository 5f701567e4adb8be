"""Tests for the working-time calendar and the deadline policy."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from routing.sla import (
    VN_TZ,
    CategoryOverride,
    Priority,
    SlaPolicy,
    Span,
    WorkCalendar,
    due_times,
    extend_deadline,
)

CAL = WorkCalendar()
POLICY = SlaPolicy()


def vn(year: int, month: int, day: int, hour: int = 0, minute: int = 0, sec: int = 0) -> datetime:
    """Build an Asia/Ho_Chi_Minh datetime."""
    return datetime(year, month, day, hour, minute, sec, tzinfo=VN_TZ)


def hours(n: float) -> timedelta:
    """Return ``n`` hours."""
    return timedelta(hours=n)


# --- concrete examples -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("start", "duration", "expected"),
    [
        (vn(2025, 1, 3, 16), hours(2), vn(2025, 1, 6, 8, 30)),  # Friday 16:00 -> Monday
        (vn(2025, 1, 2, 11), hours(1), vn(2025, 1, 2, 13, 30)),  # across lunch
        (vn(2025, 1, 4, 10), hours(1), vn(2025, 1, 6, 8, 30)),  # Saturday start
        (vn(2025, 1, 5, 23), hours(1), vn(2025, 1, 6, 8, 30)),  # Sunday night start
        (vn(2025, 1, 2, 12), hours(0.5), vn(2025, 1, 2, 13, 30)),  # lunch start
        (vn(2025, 1, 2, 6), hours(1), vn(2025, 1, 2, 8, 30)),  # before work
        (vn(2025, 1, 2, 18), hours(1), vn(2025, 1, 3, 8, 30)),  # evening start
        (vn(2025, 1, 6, 10, 30), hours(1), vn(2025, 1, 6, 11, 30)),  # ends at a window end
        (vn(2025, 1, 6, 7, 30), hours(8), vn(2025, 1, 6, 17)),  # a full day ends at 17:00
        (vn(2025, 1, 6, 11, 30), hours(0), vn(2025, 1, 6, 13)),  # zero: next working moment
        (vn(2025, 1, 6, 9), hours(0), vn(2025, 1, 6, 9)),  # zero inside a window
    ],
)
def test_add_working_time_examples(
    start: datetime, duration: timedelta, expected: datetime
) -> None:
    """Known starts and durations give the expected deadline."""
    assert CAL.add_working_time(start, duration) == expected


def test_library_gives_tet_2026_mid_february() -> None:
    """The holidays library closes Tết 2026 (16-20 February) and opens the weeks around it."""
    for day in range(16, 21):
        assert not CAL.is_working_day(date(2026, 2, day))
    assert CAL.is_working_day(date(2026, 2, 13))
    assert CAL.is_working_day(date(2026, 2, 23))


def test_across_tet_2026() -> None:
    """Friday before Tết 16:00 + 2 working hours lands on the Monday after Tết."""
    assert CAL.add_working_time(vn(2026, 2, 13, 16), hours(2)) == vn(2026, 2, 23, 8, 30)
    assert not CAL.is_working_time(vn(2026, 2, 17, 10))


def test_across_national_day() -> None:
    """National Day 2025 (Mon 1 and Tue 2 September) is skipped."""
    assert not CAL.is_working_time(vn(2025, 9, 2, 9))
    assert CAL.add_working_time(vn(2025, 8, 29, 16), hours(2)) == vn(2025, 9, 3, 8, 30)


def test_library_make_up_saturday_is_working() -> None:
    """Saturday 26 April 2025 is worked in exchange for Friday 2 May 2025."""
    assert CAL.is_working_time(vn(2025, 4, 26, 9))
    assert not CAL.is_working_day(date(2025, 5, 2))


def test_admin_day_off() -> None:
    """A day off added by an administrator is skipped."""
    cal = WorkCalendar(extra_days_off={date(2025, 1, 6)})
    assert cal.add_working_time(vn(2025, 1, 3, 16), hours(2)) == vn(2025, 1, 7, 8, 30)


def test_admin_extra_working_day() -> None:
    """A make-up Saturday added by an administrator is worked."""
    cal = WorkCalendar(extra_working_days={date(2025, 1, 4)})
    assert cal.add_working_time(vn(2025, 1, 3, 16), hours(2)) == vn(2025, 1, 4, 8, 30)


def test_day_both_off_and_working_is_rejected() -> None:
    """A day cannot be both an extra day off and an extra working day."""
    with pytest.raises(ValueError, match="both"):
        WorkCalendar(extra_days_off={date(2025, 1, 4)}, extra_working_days={date(2025, 1, 4)})


def test_window_boundaries() -> None:
    """Windows are half-open: the start is working time, the end is not."""
    assert CAL.is_working_time(vn(2025, 1, 6, 7, 30))
    assert not CAL.is_working_time(vn(2025, 1, 6, 11, 30))
    assert not CAL.is_working_time(vn(2025, 1, 6, 12))
    assert CAL.is_working_time(vn(2025, 1, 6, 16, 59, 59))
    assert not CAL.is_working_time(vn(2025, 1, 6, 17))


def test_add_working_days() -> None:
    """A working day is 8 working hours: Monday 10:00 + 3 days is Thursday 10:00."""
    assert CAL.add_working_days(vn(2025, 1, 6, 10), 3) == vn(2025, 1, 9, 10)
    assert CAL.add_working_days(vn(2025, 1, 6, 7, 30), 1) == vn(2025, 1, 6, 17)
    assert CAL.add_working_days(vn(2025, 1, 6, 10), 10) == vn(2025, 1, 20, 10)


def test_working_time_between() -> None:
    """Friday 16:00 to Monday 08:30 holds two working hours, negative when reversed."""
    assert CAL.working_time_between(vn(2025, 1, 3, 16), vn(2025, 1, 6, 8, 30)) == hours(2)
    assert CAL.working_time_between(vn(2025, 1, 6, 8, 30), vn(2025, 1, 3, 16)) == -hours(2)
    assert CAL.working_time_between(vn(2025, 1, 6, 12), vn(2025, 1, 6, 12, 30)) == hours(0)


def test_other_zones_in_results_in_vietnam_time() -> None:
    """A UTC input is interpreted correctly and the result is in Asia/Ho_Chi_Minh."""
    result = CAL.add_working_time(datetime(2025, 1, 3, 9, tzinfo=UTC), hours(2))
    assert result == vn(2025, 1, 6, 8, 30)
    assert result.tzinfo == VN_TZ


def test_naive_datetimes_are_rejected() -> None:
    """Every entry point refuses naive datetimes."""
    naive = datetime(2025, 1, 6, 9)
    with pytest.raises(ValueError, match="naive"):
        CAL.is_working_time(naive)
    with pytest.raises(ValueError, match="naive"):
        CAL.add_working_time(naive, hours(1))
    with pytest.raises(ValueError, match="naive"):
        CAL.add_working_days(naive, 1)
    with pytest.raises(ValueError, match="naive"):
        CAL.working_time_between(naive, vn(2025, 1, 6, 10))
    with pytest.raises(ValueError, match="naive"):
        due_times(naive, Priority.urgent, CAL, POLICY)


def test_negative_durations_are_rejected() -> None:
    """Durations and day counts must not be negative."""
    with pytest.raises(ValueError, match="negative"):
        CAL.add_working_time(vn(2025, 1, 6, 9), -hours(1))
    with pytest.raises(ValueError, match="negative"):
        CAL.add_working_days(vn(2025, 1, 6, 9), -1)


def test_custom_schedule() -> None:
    """A configured schedule replaces the default windows."""
    cal = WorkCalendar(windows=((time(8), time(12)), (time(13, 30), time(17, 30))))
    assert cal.day_length == hours(8)
    assert cal.add_working_time(vn(2025, 1, 6, 11), hours(2)) == vn(2025, 1, 6, 14, 30)


@pytest.mark.parametrize(
    "windows",
    [
        (),
        ((time(12), time(8)),),
        ((time(8), time(12)), (time(11), time(17))),
    ],
)
def test_invalid_schedules_are_rejected(windows: tuple[tuple[time, time], ...]) -> None:
    """Empty, reversed or overlapping windows are refused."""
    with pytest.raises(ValueError, match="window"):
        WorkCalendar(windows=windows)


# --- deadline policy ---------------------------------------------------------------------------


def test_normal_due_times() -> None:
    """Normal: verify in 2 and accept in 8 working hours, resolve in 3 working days."""
    due = due_times(vn(2025, 1, 6, 10), Priority.normal, CAL, POLICY)
    assert due.verify_by == vn(2025, 1, 6, 13, 30)
    assert due.accept_by == vn(2025, 1, 7, 10)
    assert due.resolve_by == vn(2025, 1, 9, 10)


def test_complex_due_times_across_tet() -> None:
    """Complex: 10 working days skip the whole Tết 2026 week."""
    due = due_times(vn(2026, 2, 9, 10), Priority.complex, CAL, POLICY)
    assert due.resolve_by == vn(2026, 3, 2, 10)


def test_urgent_counts_calendar_hours_across_a_night() -> None:
    """Urgent: all stages on calendar hours; acceptance is capped at the resolve deadline."""
    due = due_times(vn(2025, 1, 2, 22), Priority.urgent, CAL, POLICY)
    assert due.verify_by == vn(2025, 1, 3, 0)
    assert due.resolve_by == vn(2025, 1, 3, 2)
    assert due.accept_by == due.resolve_by


def test_category_override() -> None:
    """A category may shorten a deadline; other fields keep the policy defaults."""
    policy = SlaPolicy(
        categories={"flooding": CategoryOverride(resolve={Priority.normal: Span(days=1)})}
    )
    start = vn(2025, 1, 6, 10)
    due = due_times(start, Priority.normal, CAL, policy, category="flooding")
    assert due.resolve_by == vn(2025, 1, 7, 10)
    assert due.verify_by == vn(2025, 1, 6, 13, 30)
    other = due_times(start, Priority.normal, CAL, policy, category="lighting")
    assert other.resolve_by == vn(2025, 1, 9, 10)


def test_extension_within_and_beyond_maximum() -> None:
    """Extensions up to 5 working days are allowed, longer ones refused."""
    resolve_by = vn(2025, 1, 9, 10)
    extended = extend_deadline(resolve_by, Span(days=5), Priority.normal, CAL, POLICY)
    assert extended == vn(2025, 1, 16, 10)
    with pytest.raises(ValueError, match="maximum"):
        extend_deadline(resolve_by, Span(days=6), Priority.normal, CAL, POLICY)


# --- properties --------------------------------------------------------------------------------

PROPERTIES = settings(max_examples=150, deadline=None, database=None)
DAYS = st.dates(min_value=date(2025, 1, 1), max_value=date(2027, 12, 31))
STARTS = st.datetimes(
    min_value=datetime(2025, 1, 1),
    max_value=datetime(2027, 12, 31),
    timezones=st.sampled_from([VN_TZ, UTC, ZoneInfo("Europe/Paris")]),
)
DURATIONS = st.timedeltas(min_value=timedelta(0), max_value=timedelta(days=20))


@st.composite
def calendars(draw: st.DrawFn) -> WorkCalendar:
    """Draw a calendar with a few admin days off and make-up days."""
    days_off = draw(st.frozensets(DAYS, max_size=8))
    workdays = draw(st.frozensets(DAYS, max_size=4)) - days_off
    return WorkCalendar(extra_days_off=days_off, extra_working_days=workdays)


def at_window_end(cal: WorkCalendar, dt: datetime) -> bool:
    """Tell whether ``dt`` is exactly the end of a window on a working day."""
    local = dt.astimezone(VN_TZ)
    ends = {end for _, end in cal.windows}
    return cal.is_working_day(local.date()) and local.time() in ends


@PROPERTIES
@given(calendars(), STARTS, DURATIONS)
def test_due_is_working_time_after_start(
    cal: WorkCalendar, start: datetime, duration: timedelta
) -> None:
    """A due time is a working moment or a window end, never before the start."""
    due = cal.add_working_time(start, duration)
    assert due >= start
    assert cal.is_working_time(due) or (duration > timedelta(0) and at_window_end(cal, due))


@PROPERTIES
@given(calendars(), STARTS, DURATIONS)
def test_between_inverts_add(cal: WorkCalendar, start: datetime, duration: timedelta) -> None:
    """The working time from the start to the due time is the duration, reached no earlier."""
    due = cal.add_working_time(start, duration)
    assert cal.working_time_between(start, due) == duration
    if duration > timedelta(0):
        assert cal.working_time_between(start, due - timedelta(microseconds=1)) < duration


@PROPERTIES
@given(calendars(), STARTS, STARTS, DURATIONS)
def test_monotonic_in_start(
    cal: WorkCalendar, first: datetime, second: datetime, duration: timedelta
) -> None:
    """A later start never gives an earlier due time."""
    early, late = sorted((first, second))
    assert cal.add_working_time(early, duration) <= cal.add_working_time(late, duration)


@PROPERTIES
@given(calendars(), STARTS, DURATIONS, DURATIONS.filter(lambda d: d > timedelta(0)))
def test_adding_in_two_steps(
    cal: WorkCalendar, start: datetime, first: timedelta, second: timedelta
) -> None:
    """Adding two positive durations in turn equals adding their sum."""
    two_steps = cal.add_working_time(cal.add_working_time(start, first), second)
    assert two_steps == cal.add_working_time(start, first + second)
