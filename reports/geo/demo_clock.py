"""Routing's working-time calendar as sorted windows, for adding working time a million times.

``routing.sla.WorkCalendar.add_working_time`` walks day by day (about 11 µs a call); the bulk
demo generator needs several deadlines per report, so it lays the calendar's windows out once
over the period and finds a deadline by bisection. Times are POSIX seconds; the results agree
with ``WorkCalendar`` (tests/reports/geo/test_demo_clock.py checks it).
"""

from __future__ import annotations

import bisect
from datetime import date, datetime, timedelta

from routing.sla import VN_TZ, WorkCalendar


class WindowClock:
    """Working-time arithmetic on a calendar's windows between two days."""

    def __init__(self, calendar: WorkCalendar, first: date, last: date) -> None:
        self.starts: list[float] = []
        self.ends: list[float] = []
        self.before: list[float] = []  # working seconds before each window
        total = 0.0
        day = first
        while day <= last:
            if calendar.is_working_day(day):
                for start, end in calendar.windows:
                    low = datetime.combine(day, start, tzinfo=VN_TZ).timestamp()
                    high = datetime.combine(day, end, tzinfo=VN_TZ).timestamp()
                    self.starts.append(low)
                    self.ends.append(high)
                    self.before.append(total)
                    total += high - low
            day += timedelta(days=1)
        self.cumulative_ends = [
            b + (e - s) for b, s, e in zip(self.before, self.starts, self.ends, strict=True)
        ]

    def worked(self, moment: float) -> float:
        """Working seconds from the first window to ``moment``."""
        i = bisect.bisect_right(self.starts, moment) - 1
        if i < 0:
            return 0.0
        return self.before[i] + min(moment, self.ends[i]) - self.starts[i]

    def add(self, start: float, seconds: float) -> float:
        """The first moment at which ``seconds`` of working time have passed since ``start``."""
        target = self.worked(start) + seconds
        # Windows that end by ``start`` are passed over even when nothing remains to add (as
        # WorkCalendar does): a zero duration outside working time lands on the next window.
        first_open = bisect.bisect_right(self.ends, start)
        i = max(bisect.bisect_left(self.cumulative_ends, target), first_open)
        if i >= len(self.starts):
            raise ValueError("past the end of the laid-out calendar")
        return self.starts[i] + target - self.before[i]
