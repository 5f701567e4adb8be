"""The demo data rates about 60% of the published results, nine in ten satisfied or accepted."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from reports.feedback.models import Rating
from reports.feedback.queries import Satisfaction
from reports.geo import demo_data
from reports.models import Report, ReportState


def test_demo_data_rates_published_results(dbs: Session) -> None:
    before = dbs.scalar(select(func.coalesce(func.max(Report.id), 0))) or 0
    demo_data.load(dbs, 600, seed=11, chunk=200)
    published = dbs.scalar(
        select(func.count()).where(Report.id > before, Report.state == ReportState.published)
    )
    rows = dbs.execute(
        select(Rating.value, Rating.published_at, Report.published_at, Rating.agency_id)
        .join(Report, Report.id == Rating.report_id)
        .where(Report.id > before)
    ).all()
    assert published and 0.4 * published <= len(rows) <= 0.8 * published
    assert all(row[1] == row[2] and row[3] is not None for row in rows)
    counts = Satisfaction(
        rated=len(rows),
        satisfied=sum(row[0] == "satisfied" for row in rows),
        accepted=sum(row[0] == "accepted" for row in rows),
        dissatisfied=sum(row[0] == "dissatisfied" for row in rows),
    )
    assert counts.rate is not None and 0.8 <= counts.rate <= 0.97
