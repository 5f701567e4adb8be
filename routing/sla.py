"""Working-time calendar and deadline (SLA) policy for reports.

Working time is Monday-Friday 07:30-11:30 and 13:00-17:00 in Asia/Ho_Chi_Minh, minus Vietnamese
public holidays (from the ``holidays`` library, Tết included) and days off added by an
administrator, plus make-up Saturdays (from the library and from the administrator).

Windows are half-open: 07:30 is working time, 11:30 is not. A deadline is the first instant at
which the duration has elapsed, so it may be exactly a window end (11:30, 17:00) but never lies
inside lunch, night, a weekend or a holiday.
"""

from __future__ import annotations

import functools
from collections.abc import Iterator, Set
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from enum import StrEnum
from zoneinfo import ZoneInfo

import holidays
from pydantic import BaseModel, ConfigDict, Field

# Vietnam has kept UTC+7 without daylight saving since 1975, so wall-clock arithmetic in local
# time is exact; we compute on naive local datetimes and attach the zone at the end.
VN_TZ = ZoneInfo("Asia/Ho_Chi_Minh")
DEFAULT_WINDOWS: tuple[tuple[time, time], ...] = (
    (time(7, 30), time(11, 30)),
    (time(13, 0), time(17, 0)),
)
_ONE_DAY = timedelta(days=1)
_ZERO = timedelta(0)


@functools.cache
def _official_days(year: int) -> tuple[frozenset[date], frozenset[date]]:
    """Return (public holidays, make-up working Saturdays) of one year, from ``holidays``."""
    # The next year is loaded too: a make-up day in late December can belong to next year's Tết.
    vn = holidays.country_holidays("VN", years=(year, year + 1))
    days_off = frozenset(d for d in vn if d.year == year)
    workdays = frozenset(d for d in vn.weekend_workdays if d.year == year)
    return days_off, workdays


def _require_aware(dt: datetime) -> None:
    """Raise ValueError unless ``dt`` carries a UTC offset."""
    if dt.tzinfo is None or dt.utcoffset() is None:
        raise ValueError(f"naive datetime not allowed: {dt!r}")


def _to_local(dt: datetime) -> datetime:
    """Return ``dt`` as a naive Asia/Ho_Chi_Minh wall-clock datetime."""
    _require_aware(dt)
    return dt.astimezone(VN_TZ).replace(tzinfo=None)


def _to_aware(local: datetime) -> datetime:
    """Attach the Asia/Ho_Chi_Minh zone to a naive wall-clock datetime."""
    return local.replace(tzinfo=VN_TZ)


def _check_windows(windows: tuple[tuple[time, time], ...]) -> None:
    """Raise ValueError unless windows are naive, non-empty, ordered and non-overlapping."""
    if not windows:
        raise ValueError("a schedule needs at least one window")
    previous_end: time | None = None
    for start, end in windows:
        if start.tzinfo is not None or end.tzinfo is not None:
            raise ValueError("window times are local wall-clock times and must be naive")
        if start >= end:
            raise ValueError(f"window {start}-{end} is empty or reversed")
        if previous_end is not None and start < previous_end:
            raise ValueError(f"window {start}-{end} overlaps the previous one")
        previous_end = end


@dataclass(frozen=True)
class WorkCalendar:
    """Working time: weekday windows minus public holidays and admin days off."""

    extra_days_off: Set[date] = frozenset()
    extra_working_days: Set[date] = frozenset()
    windows: tuple[tuple[time, time], ...] = DEFAULT_WINDOWS
    day_length: timedelta = field(init=False)

    def __post_init__(self) -> None:
        """Freeze the day sets, validate the schedule and precompute the day length."""
        days_off, workdays = frozenset(self.extra_days_off), frozenset(self.extra_working_days)
        if days_off & workdays:
            raise ValueError(f"days both off and working: {sorted(days_off & workdays)}")
        _check_windows(self.windows)
        length = sum((_span(start, end) for start, end in self.windows), _ZERO)
        object.__setattr__(self, "extra_days_off", days_off)
        object.__setattr__(self, "extra_working_days", workdays)
        object.__setattr__(self, "windows", tuple(self.windows))
        object.__setattr__(self, "day_length", length)

    def is_working_day(self, day: date) -> bool:
        """Tell whether ``day`` has working windows."""
        # Administrator decisions win over the library, which wins over the plain weekday rule.
        if day in self.extra_days_off:
            return False
        if day in self.extra_working_days:
            return True
        days_off, workdays = _official_days(day.year)
        if day in days_off:
            return False
        return day in workdays or day.weekday() < 5

    def is_working_time(self, dt: datetime) -> bool:
        """Tell whether ``dt`` lies inside a working window (window ends excluded)."""
        local = _to_local(dt)
        return any(start <= local < end for start, end in self._windows_on(local.date()))

    def add_working_time(self, start: datetime, duration: timedelta) -> datetime:
        """Return the first instant at which ``duration`` of working time has elapsed."""
        if duration < _ZERO:
            raise ValueError(f"duration must not be negative: {duration}")
        cursor, remaining = _to_local(start), duration
        day = cursor.date()
        while True:
            for window_start, window_end in self._windows_on(day):
                if cursor >= window_end:
                    continue
                begin = max(cursor, window_start)
                if remaining <= window_end - begin:
                    return _to_aware(begin + remaining)
                remaining -= window_end - begin
            day, remaining = self._skip_whole_days(day + _ONE_DAY, remaining)
            cursor = datetime.combine(day, time())

    def add_working_days(self, start: datetime, days: int) -> datetime:
        """Add ``days`` working days, each counted as one full day of windows (8 hours)."""
        if days < 0:
            raise ValueError(f"days must not be negative: {days}")
        return self.add_working_time(start, days * self.day_length)

    def working_time_between(self, a: datetime, b: datetime) -> timedelta:
        """Return the working time from ``a`` to ``b`` (negative when ``b`` is before ``a``)."""
        low, high = _to_local(a), _to_local(b)
        if high < low:
            return -self.working_time_between(b, a)
        total, day = _ZERO, low.date()
        while day <= high.date():
            for window_start, window_end in self._windows_on(day):
                total += max(_ZERO, min(window_end, high) - max(window_start, low))
            day += _ONE_DAY
        return total

    def _windows_on(self, day: date) -> Iterator[tuple[datetime, datetime]]:
        """Yield the naive local windows of ``day`` (none on a day off)."""
        if not self.is_working_day(day):
            return
        for start, end in self.windows:
            yield datetime.combine(day, start), datetime.combine(day, end)

    def _skip_whole_days(self, day: date, remaining: timedelta) -> tuple[date, timedelta]:
        """Advance past days off and whole working days that ``remaining`` uses up entirely."""
        # Strictly greater: a duration that ends exactly at a day's last window end must land
        # on that day (e.g. 17:00), not at the first window of the next working day.
        while True:
            if not self.is_working_day(day):
                day += _ONE_DAY
            elif remaining > self.day_length:
                remaining -= self.day_length
                day += _ONE_DAY
            else:
                return day, remaining


def _span(start: time, end: time) -> timedelta:
    """Return the length of a same-day window."""
    return datetime.combine(date.min, end) - datetime.combine(date.min, start)


class Priority(StrEnum):
    """How fast a report must be handled."""

    urgent = "urgent"  # khẩn
    normal = "normal"
    complex = "complex"  # phức tạp


class Span(BaseModel):
    """A deadline length; a day means one full working day, or 24 hours on the calendar clock."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    days: int = Field(default=0, ge=0)
    hours: int = Field(default=0, ge=0)
    minutes: int = Field(default=0, ge=0)

    def as_working_time(self, calendar: WorkCalendar) -> timedelta:
        """Return the span as working time on ``calendar``."""
        return self.days * calendar.day_length + timedelta(hours=self.hours, minutes=self.minutes)

    def as_calendar_time(self) -> timedelta:
        """Return the span as elapsed calendar time."""
        return timedelta(days=self.days, hours=self.hours, minutes=self.minutes)

    def length(self, calendar: WorkCalendar, *, calendar_clock: bool) -> timedelta:
        """Return the span as calendar time or as working time on ``calendar``."""
        return self.as_calendar_time() if calendar_clock else self.as_working_time(calendar)

    def after(self, start: datetime, calendar: WorkCalendar, *, calendar_clock: bool) -> datetime:
        """Return the instant this span ends after ``start``, in Asia/Ho_Chi_Minh."""
        if calendar_clock:
            _require_aware(start)
            return (start + self.as_calendar_time()).astimezone(VN_TZ)
        return calendar.add_working_time(start, self.as_working_time(calendar))


def _default_resolve() -> dict[Priority, Span]:
    """Return the published default result deadlines per priority."""
    return {
        Priority.urgent: Span(hours=4),
        Priority.normal: Span(days=3),
        Priority.complex: Span(days=10),
    }


class CategoryOverride(BaseModel):
    """Deadlines a category sets instead of the policy defaults; unset fields inherit."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    verify: Span | None = None
    accept: Span | None = None
    resolve: dict[Priority, Span] = Field(default_factory=dict)


class SlaPolicy(BaseModel):
    """Deadline rules; defaults follow DOMAIN.md (Hà Nội, Đà Nẵng, TP HCM published rules)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    verify: Span = Span(hours=2)
    accept: Span = Span(hours=8)
    resolve: dict[Priority, Span] = Field(default_factory=_default_resolve)
    # Priorities whose deadlines run on the calendar clock (nights, weekends, holidays count).
    calendar_clock: frozenset[Priority] = frozenset({Priority.urgent})
    max_extension: Span = Span(days=5)
    categories: dict[str, CategoryOverride] = Field(default_factory=dict)

    def for_category(self, category: str | None) -> SlaPolicy:
        """Return this policy with ``category``'s overrides applied."""
        override = self.categories.get(category) if category is not None else None
        if override is None:
            return self
        return self.model_copy(
            update={
                "verify": self.verify if override.verify is None else override.verify,
                "accept": self.accept if override.accept is None else override.accept,
                "resolve": {**self.resolve, **override.resolve},
            }
        )


@dataclass(frozen=True)
class DueTimes:
    """When a report must be verified, accepted and resolved, in Asia/Ho_Chi_Minh."""

    verify_by: datetime
    accept_by: datetime
    resolve_by: datetime


def due_times(
    submitted_at: datetime,
    priority: Priority,
    calendar: WorkCalendar,
    policy: SlaPolicy,
    *,
    category: str | None = None,
) -> DueTimes:
    """Return the deadlines counted from submission, urgent on calendar hours, in stage order."""
    # DOMAIN.md: "an urgent report counts calendar hours"; we apply that to all three stages,
    # since an urgent report left waiting overnight for verification would defeat its purpose.
    effective = policy.for_category(category)
    if priority not in effective.resolve:
        raise ValueError(f"no resolve deadline configured for priority {priority}")
    on_calendar = priority in effective.calendar_clock
    resolve_by = effective.resolve[priority].after(
        submitted_at, calendar, calendar_clock=on_calendar
    )
    # An earlier stage is never due after a later one: urgent defaults resolve in 4 hours while
    # acceptance alone allows 8, so acceptance is capped at the resolve deadline.
    accept_by = min(
        effective.accept.after(submitted_at, calendar, calendar_clock=on_calendar), resolve_by
    )
    verify_by = min(
        effective.verify.after(submitted_at, calendar, calendar_clock=on_calendar), accept_by
    )
    return DueTimes(verify_by=verify_by, accept_by=accept_by, resolve_by=resolve_by)


def extend_deadline(
    resolve_by: datetime,
    extension: Span,
    priority: Priority,
    calendar: WorkCalendar,
    policy: SlaPolicy,
) -> datetime:
    """Return ``resolve_by`` pushed back by ``extension``; ValueError beyond the policy maximum."""
    # Both spans are measured on the priority's own clock, so "5 days" keeps one meaning.
    on_calendar = priority in policy.calendar_clock
    limit = policy.max_extension.length(calendar, calendar_clock=on_calendar)
    if extension.length(calendar, calendar_clock=on_calendar) > limit:
        raise ValueError(f"extension {extension} exceeds the maximum {policy.max_extension}")
    return extension.after(resolve_by, calendar, calendar_clock=on_calendar)
