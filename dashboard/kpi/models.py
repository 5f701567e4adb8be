"""The KPI rollups: one row per Vietnam day × agency × category, and its durations histogram.

Past days are read from here (the job ``dashboard.kpi_rollup`` keeps them); today is computed
live from the events, so that a change made a second ago counts. ``agency_id`` 0 stands for no
agency: a report's intake, and the IOC's own missed verification deadlines.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Index, Integer, SmallInteger
from sqlalchemy.orm import Mapped, mapped_column

from ioc.db import Base
from reports.models import ReportEvent

NO_AGENCY = 0

# Today's figures and each day's rollup read the events of a time range: without an index on
# the events' time, each would scan every event ever written.
Index("ix_report_events_at", ReportEvent.at)


class KpiDaily(Base):
    """What happened on one Vietnam day to one agency's reports of one category."""

    __tablename__ = "kpi_daily"

    day: Mapped[date] = mapped_column(primary_key=True)
    agency_id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    category_id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    intake: Mapped[int] = mapped_column(Integer, default=0)  # reports sent by residents
    forwarded: Mapped[int] = mapped_column(Integer, default=0)  # received by the agency
    resolved: Mapped[int] = mapped_column(Integer, default=0)  # results published
    on_time: Mapped[int] = mapped_column(Integer, default=0)  # ... with no missed deadline
    overdue: Mapped[int] = mapped_column(Integer, default=0)  # deadlines missed
    returned: Mapped[int] = mapped_column(Integer, default=0)
    reopened: Mapped[int] = mapped_column(Integer, default=0)


class KpiDuration(Base):
    """How many results published that day took a time to result within one histogram bucket."""

    __tablename__ = "kpi_daily_durations"

    day: Mapped[date] = mapped_column(primary_key=True)
    agency_id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    category_id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    bucket: Mapped[int] = mapped_column(SmallInteger, primary_key=True, autoincrement=False)
    n: Mapped[int] = mapped_column(Integer)


class KpiRollupDay(Base):
    """A day whose rollup rows are in place, and when they were computed."""

    __tablename__ = "kpi_rollup_days"

    day: Mapped[date] = mapped_column(primary_key=True)
    computed_at: Mapped[datetime]
