"""The resident's follow-up on the private status link: public steps, the answer and its photos."""

from __future__ import annotations

from datetime import timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from reports.models import Report
from routing.sla import VN_TZ
from tests.reports.conftest import Post, photo
from tests.reports.lifecycle.conftest import Act, Cast


@pytest.fixture
def mine(post: Post, dbs: Session) -> tuple[Report, str]:
    """A submitted report and its private token."""
    created = post(category="giao-thong", description="Ổ gà", photos=[photo()]).json()
    token = created["links"]["private_api"].split("token=")[1]
    return dbs.get_one(Report, created["id"]), token


def _status(client: TestClient, report: Report, token: str | None, lang: str = "vi") -> dict:  # type: ignore[type-arg]
    query = f"?token={token}" if token else ""
    answer = client.get(
        f"/api/v1/reports/{report.tracking_code}{query}", headers={"Accept-Language": lang}
    )
    assert answer.status_code == 200
    return answer.json()  # type: ignore[no-any-return]


def test_the_answer_and_after_photos_appear_once_published(
    act: Act, cast: Cast, mine: tuple[Report, str], client: TestClient
) -> None:
    report, token = mine
    act(report, "verify_forward", cast.operator, note="Chuyển UBND phường")
    act(report, "accept", cast.agency_a)
    assert report.resolve_by is not None
    until = (report.resolve_by + timedelta(days=1)).astimezone(VN_TZ).date().isoformat()
    act(report, "request_extension", cast.agency_a, until=until, reason="Chờ nhựa đường")
    act(report, "resolve", cast.agency_a, note="Đã thảm lại mặt đường", photos=1)
    under_review = _status(client, report, token)
    assert under_review["result"] is None and len(under_review["photos"]) == 1
    act(report, "approve_result", cast.operator)
    body = _status(client, report, token)
    assert body["result"]["text"] == "Đã thảm lại mặt đường"
    assert len(body["result"]["photos"]) == 1 and len(body["photos"]) == 1
    assert body["result"]["photos"][0]["display_url"] != body["photos"][0]["display_url"]
    steps = [entry["action"] for entry in body["timeline"]]
    assert steps == ["submit", "verify_forward", "accept", "approve_result"]
    assert "Chờ nhựa đường" not in str(body) and "Chuyển UBND" not in str(body)
    page = client.get(f"/r/{report.tracking_code}?t={token}").text
    assert "Đã thảm lại mặt đường" in page and body["result"]["photos"][0]["thumbnail_url"] in page
    assert "Kết quả đã được công bố" in page or "công bố" in page
    english = _status(client, report, None, lang="en")
    assert english["timeline"][-1]["action_label"] == "Result published"


def test_a_rejection_shows_its_reason_to_the_resident_only(
    act: Act, cast: Cast, mine: tuple[Report, str], client: TestClient
) -> None:
    report, token = mine
    act(report, "reject", cast.operator, reason="Không thuộc phạm vi tiếp nhận")
    owner = _status(client, report, token)
    assert owner["timeline"][-1]["reason"] == "Không thuộc phạm vi tiếp nhận"
    page = client.get(f"/r/{report.tracking_code}?t={token}").text
    assert "Không thuộc phạm vi tiếp nhận" in page
    public = _status(client, report, None)
    assert public["visibility"] == "limited" and "Không thuộc" not in str(public)
