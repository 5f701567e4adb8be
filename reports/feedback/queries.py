"""Statements on ratings: satisfaction counts per agency, per ward or in all, for a period.

A rating counts for the publication it rates (``Rating.published_at``), with the agency whose
result that was: the period "March" means the results published in March and how their residents
judged them. Counts are live (ratings change for a few days after publication; the index on
``published_at`` that includes the agency and value serves them without reading the table).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, Select, func, select

from reports.feedback.models import Rating, RatingValue
from reports.models import Report


@dataclass(frozen=True)
class Satisfaction:
    """How many residents rated, and how: the satisfaction rate of DOMAIN.md."""

    rated: int = 0
    satisfied: int = 0
    accepted: int = 0
    dissatisfied: int = 0

    @property
    def rate(self) -> float | None:
        """(satisfied + accepted) / rated; None without any rating."""
        return (self.satisfied + self.accepted) / self.rated if self.rated else None

    def __add__(self, other: Satisfaction) -> Satisfaction:
        return Satisfaction(
            self.rated + other.rated,
            self.satisfied + other.satisfied,
            self.accepted + other.accepted,
            self.dissatisfied + other.dissatisfied,
        )

    @classmethod
    def of(cls, row: Any) -> Satisfaction:
        """From a row of ``satisfaction_by``."""
        return cls(int(row.rated), int(row.satisfied), int(row.accepted), int(row.dissatisfied))


def _counts() -> list[ColumnElement[int]]:
    def count(value: RatingValue) -> ColumnElement[int]:
        return func.count().filter(Rating.value == value).label(value.value)

    return [
        func.count().label("rated"),
        count(RatingValue.satisfied),
        count(RatingValue.accepted),
        count(RatingValue.dissatisfied),
    ]


def satisfaction_by(column: Any, since: datetime, until: datetime) -> Select[Any]:
    """Counts of the ratings of results published in [since, until), one row per ``column``.

    ``column``: ``Rating.agency_id`` (the agency whose result was rated), a column of the
    report (``Report.ward_id``, ``Report.category_id``: the report is joined), or None for one
    row of the whole period. Each row has ``key``, ``rated``, ``satisfied``, ``accepted`` and
    ``dissatisfied``.
    """
    keys = [] if column is None else [column.label("key")]
    statement = (
        select(*keys, *_counts())
        .select_from(Rating)
        .where(Rating.published_at >= since, Rating.published_at < until)
    )
    if column is not None and getattr(column, "table", None) is Report.__table__:
        statement = statement.join(Report, Report.id == Rating.report_id)
    return statement.group_by(column) if column is not None else statement
