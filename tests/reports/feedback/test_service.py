"""The rating rules: one per resident and publication, changeable for 7 days, refused before
publication; followers' own private links."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from ioc.errors import Conflict, InvalidInput
from ioc.settings import Settings
from reports.feedback import service
from reports.feedback.models import RatingValue
from reports.feedback.service import RatingIn
from reports.intake.service import follow
from reports.models import Follower, ReportState
from reports.schemas import FollowIn
from reports.tracking.codes import Holder, token_hash, token_holder, visibility
from tests.reports.feedback.conftest import Filed, publish, rating_count, ratings
from tests.reports.lifecycle.conftest import Act, Cast

REPORTER = Holder()
S = RatingValue


def _rate(dbs: Session, settings: Settings, filed: Filed, value: str, **kw: object) -> bool:
    holder = kw.pop("holder", REPORTER)
    assert isinstance(holder, Holder)
    comment = str(kw.pop("comment", ""))
    now = kw.pop("now", None)
    _, new = service.rate(
        dbs,
        settings,
        filed.report.id,
        holder,
        RatingIn(value, comment),
        now=now,  # type: ignore[arg-type]
    )
    return new


def test_no_rating_before_the_result_is_published(
    dbs: Session, settings: Settings, filed: Filed
) -> None:
    with pytest.raises(Conflict) as refused:
        _rate(dbs, settings, filed, "satisfied")
    assert refused.value.status == 409 and refused.value.field == "value"
    assert rating_count(dbs) == 0


def test_one_rating_per_resident_changed_within_seven_days(
    dbs: Session, settings: Settings, published: Filed
) -> None:
    assert _rate(dbs, settings, published, "accepted", comment="Tạm được") is True
    assert _rate(dbs, settings, published, " satisfied ", comment="Tốt") is False
    assert ratings(dbs, published.report) == [(None, S.satisfied, "Tốt", 1)]
    published_at = published.report.published_at
    assert published_at is not None
    day_seven = published_at + timedelta(days=7)
    assert _rate(dbs, settings, published, "dissatisfied", now=day_seven) is False
    assert ratings(dbs, published.report) == [(None, S.dissatisfied, "", 2)]


def test_a_change_after_seven_days_is_refused_and_nothing_changes(
    dbs: Session, settings: Settings, published: Filed
) -> None:
    _rate(dbs, settings, published, "satisfied", comment="Tốt")
    published_at = published.report.published_at
    assert published_at is not None
    late = published_at + timedelta(days=7, seconds=1)
    with pytest.raises(Conflict) as refused:
        _rate(dbs, settings, published, "dissatisfied", now=late)
    assert refused.value.params == {"days": 7}
    assert ratings(dbs, published.report) == [(None, S.satisfied, "Tốt", 0)]


def test_a_first_rating_is_taken_late_but_not_changed(
    dbs: Session, settings: Settings, published: Filed
) -> None:
    published_at = published.report.published_at
    assert published_at is not None
    late = published_at + timedelta(days=30)
    assert _rate(dbs, settings, published, "accepted", now=late) is True
    with pytest.raises(Conflict):
        _rate(dbs, settings, published, "satisfied", now=late)
    assert ratings(dbs, published.report) == [(None, S.accepted, "", 0)]


@pytest.mark.parametrize(
    ("value", "comment", "field"),
    [("great", "", "value"), ("", "", "value"), ("satisfied", "x" * 2001, "comment")],
)
def test_bad_values_are_422_and_nothing_is_written(
    dbs: Session, settings: Settings, published: Filed, value: str, comment: str, field: str
) -> None:
    with pytest.raises(InvalidInput) as refused:
        _rate(dbs, settings, published, value, comment=comment)
    assert refused.value.status == 422 and refused.value.field == field
    assert rating_count(dbs) == 0


def test_followers_rate_each_for_themselves(
    dbs: Session, settings: Settings, filed: Filed, act: Act, cast: Cast
) -> None:
    followed = follow(dbs, settings, filed.code, FollowIn(phone="0912345678"), "10.0.0.9")
    assert followed.token is not None
    holder = token_holder(dbs, filed.report, followed.token)
    assert holder == Holder(followed.follower.id) and not holder.is_reporter
    publish(dbs, act, cast, filed.report)
    _rate(dbs, settings, filed, "satisfied")
    _rate(dbs, settings, filed, "dissatisfied", holder=holder)
    _rate(dbs, settings, filed, "accepted", holder=holder)
    assert ratings(dbs, filed.report) == [
        (None, S.satisfied, "", 0),
        (followed.follower.id, S.accepted, "", 1),
    ]


def test_a_follower_token_shows_the_report_once_it_is_public(
    dbs: Session, settings: Settings, filed: Filed, act: Act, cast: Cast
) -> None:
    followed = follow(dbs, settings, filed.code, FollowIn(), "10.0.0.9")
    assert followed.token is not None
    stored = dbs.scalars(select(Follower).where(Follower.id == followed.follower.id)).one()
    assert stored.status_token_hash == token_hash(followed.token)
    assert visibility(dbs, filed.report, followed.token) == "limited"  # not verified yet
    assert visibility(dbs, filed.report, filed.token) == "owner"
    act(filed.report, "verify_forward", cast.operator)
    assert visibility(dbs, filed.report, followed.token) == "owner"
    other = follow(dbs, settings, filed.code, FollowIn(), "10.0.0.9")
    assert other.token is not None and token_holder(dbs, filed.report, other.token) == Holder(
        other.follower.id
    )
    assert token_holder(dbs, filed.report, "not-a-token") is None


def test_a_new_publication_after_a_reopening_is_rated_again(
    dbs: Session, settings: Settings, published: Filed, act: Act, cast: Cast
) -> None:
    _rate(dbs, settings, published, "dissatisfied", comment="Chưa sửa")
    act(published.report, "reopen", cast.resident, note="Ổ gà vẫn còn")
    assert published.report.state == ReportState.reopened
    with pytest.raises(Conflict):  # reopened: nothing to rate until it is published again
        _rate(dbs, settings, published, "satisfied")
    act(published.report, "verify_forward", cast.operator)
    act(published.report, "accept", cast.agency_a)
    act(published.report, "resolve", cast.agency_a, note="Đã vá lại", photos=1)
    act(published.report, "approve_result", cast.operator, now=None)
    assert _rate(dbs, settings, published, "satisfied") is True
    assert ratings(dbs, published.report) == [
        (None, S.dissatisfied, "Chưa sửa", 0),
        (None, S.satisfied, "", 0),
    ]
