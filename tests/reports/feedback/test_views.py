"""Rating from the private status page and through the API; followers' links; bad input."""

from __future__ import annotations

from datetime import timedelta
from urllib.parse import parse_qs, urlsplit

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from reports.feedback.models import Rating, RatingValue
from reports.models import Report, ReportEvent, ReportState
from reports.notify.models import Audience, Message
from tests.conftest import csrf_from
from tests.reports.feedback.conftest import Filed, publish, rating_count, ratings
from tests.reports.lifecycle.conftest import Act, Cast

S = RatingValue
EN = {"Accept-Language": "en"}


def _page(filed: Filed, token: str | None = None) -> str:
    return f"/r/{filed.code}?t={token or filed.token}"


def _form(client: TestClient, filed: Filed, **fields: str) -> dict[str, str]:
    return {"csrf_token": csrf_from(client, _page(filed)), "t": filed.token, **fields}


def _age(dbs: Session, filed: Filed, days: int) -> None:
    """Move the publication (and the ratings of it) ``days`` back."""
    report = dbs.get_one(Report, filed.report.id)
    assert report.published_at is not None
    earlier = report.published_at - timedelta(days=days)
    dbs.execute(
        update(Rating)
        .where(Rating.report_id == report.id, Rating.published_at == report.published_at)
        .values(published_at=earlier)
    )
    report.published_at = earlier
    dbs.commit()


def test_the_form_shows_only_through_the_private_link_once_published(
    client: TestClient, filed: Filed, dbs: Session, act: Act, cast: Cast
) -> None:
    assert 'id="rating-form"' not in client.get(_page(filed)).text  # not published yet
    publish(dbs, act, cast, filed.report)
    page = client.get(_page(filed)).text
    assert 'id="rating-form"' in page and "Bạn đánh giá như thế nào về kết quả xử lý?" in page
    assert 'type="radio" name="value" value="satisfied"' in page and "Không hài lòng" in page
    assert 'id="rating-form"' not in client.get(f"/r/{filed.code}").text


def test_the_resident_rates_then_changes_the_rating(
    client: TestClient, published: Filed, dbs: Session
) -> None:
    sent = client.post(
        f"/r/{published.code}/rating",
        data=_form(client, published, value="accepted", comment="Tạm ổn"),
        follow_redirects=False,
    )
    assert sent.status_code == 303
    assert sent.headers["location"] == _page(published) + "#rating"
    page = client.get(_page(published)).text
    assert "Đánh giá của bạn: Chấp nhận" in page and "Thay đổi đánh giá" in page
    assert 'value="accepted" id="rating-accepted" required checked' in page
    again = client.post(
        f"/r/{published.code}/rating", data=_form(client, published, value="satisfied")
    )
    assert again.status_code == 200 and "Đánh giá của bạn: Hài lòng" in again.text
    assert ratings(dbs, published.report) == [(None, S.satisfied, "", 1)]


@pytest.mark.parametrize(
    ("fields", "status", "message"),
    [
        ({"value": "great"}, 422, "Choose a rating: satisfied, accepted, dissatisfied."),
        ({"value": "satisfied", "comment": "x" * 2001}, 422, "At most 2000 characters."),
    ],
)
def test_bad_form_input_draws_the_page_again_and_changes_nothing(
    client: TestClient,
    published: Filed,
    dbs: Session,
    fields: dict[str, str],
    status: int,
    message: str,
) -> None:
    answer = client.post(
        f"/r/{published.code}/rating", data=_form(client, published, **fields), headers=EN
    )
    assert answer.status_code == status
    assert message in answer.text and 'id="rating-error"' in answer.text
    assert 'id="rating-form"' in answer.text  # the form again, to correct it
    assert rating_count(dbs) == 0


def test_a_change_after_seven_days_is_409_on_the_page(
    client: TestClient, published: Filed, dbs: Session
) -> None:
    form = _form(client, published, value="satisfied")
    assert client.post(f"/r/{published.code}/rating", data=form).status_code == 200
    _age(dbs, published, 8)
    page = client.get(_page(published)).text
    assert 'id="rating-form"' not in page and "Đã hết thời hạn thay đổi đánh giá." in page
    late = client.post(
        f"/r/{published.code}/rating", data={**form, "value": "dissatisfied"}, headers=EN
    )
    assert late.status_code == 409 and "that time is over" in late.text
    assert ratings(dbs, published.report) == [(None, S.satisfied, "", 0)]


def test_a_wrong_token_or_no_csrf_is_403(
    client: TestClient, published: Filed, dbs: Session
) -> None:
    form = _form(client, published, value="satisfied")
    wrong = client.post(f"/r/{published.code}/rating", data={**form, "t": "nope"})
    assert wrong.status_code == 403
    no_csrf = client.post(
        f"/r/{published.code}/rating", data={"t": published.token, "value": "satisfied"}
    )
    assert no_csrf.status_code == 403
    assert rating_count(dbs) == 0


def test_the_api_rates_and_changes_with_the_token(
    client: TestClient, published: Filed, dbs: Session
) -> None:
    url = f"/api/v1/reports/{published.code}/rating"
    assert client.get(url, params={"token": published.token}).status_code == 404
    first = client.post(url, params={"token": published.token}, json={"value": "accepted"})
    assert first.status_code == 201, first.text
    assert first.json()["value"] == "accepted" and first.json()["value_label"] == "Chấp nhận"
    body = {"value": "satisfied", "comment": "Nhanh", "token": published.token}
    changed = client.post(url, json=body)
    assert changed.status_code == 200 and changed.json()["comment"] == "Nhanh"
    shown = client.get(url, params={"token": published.token}).json()
    assert shown["value"] == "satisfied"
    assert ratings(dbs, published.report) == [(None, S.satisfied, "Nhanh", 1)]


def test_api_errors_are_problems_and_change_nothing(
    client: TestClient, filed: Filed, dbs: Session, act: Act, cast: Cast
) -> None:
    dbs.commit()  # the cast's users: a refused request rolls back to here
    url = f"/api/v1/reports/{filed.code}/rating"
    early = client.post(url, json={"value": "satisfied", "token": filed.token}, headers=EN)
    assert early.status_code == 409
    assert early.headers["content-type"].startswith("application/problem+json")
    assert "not published" in early.json()["detail"]
    publish(dbs, act, cast, filed.report)
    bad = client.post(url, json={"value": "great", "token": filed.token})
    assert bad.status_code == 422 and bad.json()["field"] == "value"
    long = client.post(url, json={"value": "accepted", "comment": "x" * 2001, "token": filed.token})
    assert long.status_code == 422 and long.json()["field"] == "comment"
    assert client.post(url, json={"value": "accepted", "token": "nope"}).status_code == 403
    assert client.post(url, json={"value": "accepted"}).status_code == 403
    assert rating_count(dbs) == 0
    assert client.post(url, json={"value": "accepted", "token": filed.token}).status_code == 201
    _age(dbs, filed, 8)
    late = client.post(url, json={"value": "dissatisfied", "token": filed.token})
    assert late.status_code == 409
    assert ratings(dbs, filed.report) == [(None, S.accepted, "", 0)]


def test_a_follower_gets_a_private_link_rates_and_reopens(
    client: TestClient, published: Filed, dbs: Session
) -> None:
    answer = client.post(
        f"/api/v1/reports/{published.code}/follow", json={"email": "hang@example.vn"}
    )
    assert answer.status_code == 201, answer.text
    link = answer.json()["status_page"]
    token = parse_qs(urlsplit(link).query)["t"][0]
    assert token != published.token
    [told] = dbs.scalars(
        select(Message).where(Message.recipient == "hang@example.vn", Message.event_id.is_(None))
    )
    assert told.audience == Audience.resident and link in told.body and told.sensitive
    page = client.get(_page(published, token)).text
    assert "Đã vá ổ gà" in page and 'id="rating-form"' in page and 'id="reopen-form"' in page
    assert "0901234567" not in page  # never the reporter's contact
    form = {"csrf_token": csrf_from(client, _page(published, token)), "t": token}
    client.post(f"/r/{published.code}/rating", data={**form, "value": "dissatisfied"})
    done = client.post(
        f"/r/{published.code}/reopen", data={**form, "note": "Vẫn còn"}, follow_redirects=False
    )
    assert done.status_code == 303
    dbs.expire_all()
    report = dbs.get_one(Report, published.report.id)
    assert report.state == ReportState.reopened
    assert report.suggested_agency_id == report.agency_id  # the same agency suggested
    [(follower_id, value, _, _)] = ratings(dbs, published.report)
    assert follower_id is not None and value == S.dissatisfied
    event = dbs.scalars(
        select(ReportEvent).where(
            ReportEvent.report_id == report.id, ReportEvent.action == "reopen"
        )
    ).one()
    assert event.note == "Vẫn còn"


def test_following_an_unverified_report_by_its_hint_gives_no_link(
    client: TestClient, filed: Filed, dbs: Session
) -> None:
    nearby = client.get(
        "/api/v1/reports/nearby",
        params={"lat": 10.3736, "lon": 107.095, "category": "giao-thong"},
    ).json()
    [item] = [i for i in nearby["items"] if not i["verified"]][:1]
    answer = client.post(item["follow_url"].removeprefix("http://testserver"), json={})
    assert answer.status_code == 201
    assert answer.json() == {"following": True, "tracking_code": None, "status_page": None}
