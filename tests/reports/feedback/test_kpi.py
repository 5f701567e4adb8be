"""Satisfaction in the KPIs: per agency and in all, counted live, in the page and the bulletin."""

from __future__ import annotations

import re
from datetime import timedelta

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from dashboard.kpi import rollup
from dashboard.kpi.figures import period_figures, today
from ioc.auth.models import Role
from ioc.db import utcnow
from ioc.settings import Settings
from reports.feedback import service
from reports.feedback.queries import Satisfaction, satisfaction_by
from reports.intake.service import follow
from reports.models import Report
from reports.schemas import FollowIn
from reports.tracking.codes import Holder, token_holder
from tests.conftest import MakeUser, sign_in
from tests.dashboard.kpi.conftest import DAY, Stories, at, stories
from tests.reports.feedback.conftest import Filed
from tests.reports.lifecycle.conftest import AGENCY_A

__all__ = ["stories"]


def _rate(dbs: Session, settings: Settings, report: Report, value: str, holder: Holder) -> None:
    moment = report.published_at
    assert moment is not None
    service.rate(
        dbs, settings, report.id, holder, service.RatingIn(value), now=moment + timedelta(hours=2)
    )


def _rated(dbs: Session, settings: Settings, stories: Stories) -> None:
    """On time: the reporter satisfied, a follower accepting; late: dissatisfied; moved (agency
    B): accepted. The reopened one was not rated."""
    r = stories.reports
    followed = follow(dbs, settings, r["on_time"].tracking_code, FollowIn(), "10.1.1.1")
    assert followed.token is not None
    follower = token_holder(dbs, r["on_time"], followed.token)
    assert follower is not None
    _rate(dbs, settings, r["on_time"], "satisfied", Holder())
    _rate(dbs, settings, r["on_time"], "accepted", follower)
    _rate(dbs, settings, r["late"], "dissatisfied", Holder())
    _rate(dbs, settings, r["moved"], "accepted", Holder())


def test_satisfaction_per_agency_counts_the_results_published_in_the_period(
    stories: Stories, dbs: Session, settings: Settings
) -> None:
    _rated(dbs, settings, stories)
    figures = period_figures(dbs, DAY, DAY + timedelta(days=2), at(3, 9))
    assert figures.satisfaction[stories.a] == Satisfaction(3, 1, 1, 1)
    assert figures.satisfaction[stories.b] == Satisfaction(1, 0, 1, 0)
    assert figures.total_satisfaction.rate == 0.75
    first_day = period_figures(dbs, DAY, DAY, at(3, 9))  # "late" was published on DAY + 2
    assert first_day.satisfaction[stories.a] == Satisfaction(2, 1, 1, 0)
    wards = dbs.execute(satisfaction_by(Report.ward_id, at(0, 0), at(3, 0))).all()
    assert sum(row.rated for row in wards) == 4 and len(wards) == 1  # all in Tam Thắng


def test_a_changed_rating_counts_at_once_though_the_days_are_rolled_up(
    stories: Stories, dbs: Session, settings: Settings
) -> None:
    _rated(dbs, settings, stories)
    rollup.roll_up(dbs, DAY, DAY + timedelta(days=2), at(4, 0))
    _rate(dbs, settings, stories.reports["late"], "accepted", Holder())  # within 7 days
    figures = period_figures(dbs, DAY, DAY + timedelta(days=2), at(4, 1))
    assert figures.satisfaction[stories.a] == Satisfaction(3, 1, 2, 0)


def _satisfaction_cell(html: str, agency: str) -> str:
    row = re.search(rf'<tr data-agency="{re.escape(agency)}">(.*?)</tr>', html, re.S)
    assert row is not None
    cell = re.search(r'data-col="satisfaction"[^>]*>([^<]*)<', row.group(1))
    assert cell is not None
    return cell.group(1)


def test_the_page_and_the_bulletin_show_today_s_satisfaction(
    client: TestClient, published: Filed, make_user: MakeUser, dbs: Session
) -> None:
    answer = client.post(
        f"/api/v1/reports/{published.code}/rating",
        json={"value": "dissatisfied", "token": published.token},
    )
    assert answer.status_code == 201
    make_user("kpi-sup", Role.ioc_supervisor)
    dbs.commit()
    sign_in(client, "kpi-sup")
    day = today(utcnow()).isoformat()
    page = client.get(f"/dashboard/kpi?from={day}&to={day}&sort=satisfaction&order=asc")
    assert page.status_code == 200
    assert _satisfaction_cell(page.text, AGENCY_A) == "0%"
    headline = re.search(r'data-figure="satisfaction"><dt>[^<]*</dt><dd>([^<]*)</dd>', page.text)
    assert headline is not None and headline.group(1) == "0%"
    assert 'data-col="satisfaction" aria-sort="ascending"' in page.text
    answer = client.get(f"/dashboard/kpi/bulletin?day={day}")
    assert answer.status_code == 200, answer.text[-3000:]
    bulletin = answer.text
    assert "Mức độ hài lòng với kết quả được công bố" in bulletin
    assert "0% trên 1 lượt đánh giá" in bulletin
