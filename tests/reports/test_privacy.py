"""What the tracking code alone shows, the limit on lookups by code, and routing reasons in the
reader's language (issue 8, items 9 and 10; DOMAIN.md, Privacy)."""

from __future__ import annotations

import threading
from collections.abc import Callable

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import delete, select
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from ioc.auth.models import Role
from reports.models import LookupCounter, Report, ReportState
from reports.tracking import codes as tracking
from tests.conftest import TEST_SECRET, MakeUser, sign_in
from tests.reports.conftest import Post, photo

DETAILS = ("Giao thông", "Phường Tam Thắng", "UBND Phường Tam Thắng", "Ổ gà sâu", "/media/")


def _file(post: Post, dbs: Session, state: ReportState = ReportState.submitted) -> dict[str, str]:
    created = post(category="giao-thong", description="Ổ gà sâu", photos=[photo()]).json()
    report = dbs.get_one(Report, created["id"])
    report.state = state
    dbs.flush()
    return {"code": created["tracking_code"], "private_api": created["links"]["private_api"]}


@pytest.mark.parametrize(
    "state", [ReportState.submitted, ReportState.rejected, ReportState.duplicate]
)
def test_the_code_alone_shows_only_that_the_report_exists(
    post: Post, client: TestClient, dbs: Session, state: ReportState
) -> None:
    code = _file(post, dbs, state)["code"]
    body = client.get(f"/api/v1/reports/{code}").json()
    assert body["visibility"] == "limited" and body["status"] == state.value
    shown = {key for key, value in body.items() if value not in (None, [])}
    assert shown == {"tracking_code", "status", "status_label", "visibility"}
    page = client.get(f"/r/{code}").text
    assert code in page and not [text for text in DETAILS if text in page]
    sent = client.get(f"/report/sent/{code}").text
    assert not [text for text in DETAILS if text in sent]


def test_a_verified_report_is_public(post: Post, client: TestClient, dbs: Session) -> None:
    code = _file(post, dbs, ReportState.assigned)["code"]
    body = client.get(f"/api/v1/reports/{code}").json()
    assert body["visibility"] == "public" and body["category"]["code"] == "giao-thong"
    assert body["agency"]["code"] == "ubnd-26526" and body["description"] == "Ổ gà sâu"
    assert body["created_at"] and body["timeline"]


def test_the_private_token_and_ioc_staff_see_everything(
    post: Post, client: TestClient, dbs: Session, make_user: MakeUser
) -> None:
    filed = _file(post, dbs)
    owner = client.get(filed["private_api"]).json()
    assert owner["visibility"] == "owner" and owner["ward"]["name"] == "Phường Tam Thắng"
    make_user("privacy-operator", Role.ioc_operator)
    sign_in(client, "privacy-operator")
    staff = client.get(f"/api/v1/reports/{filed['code']}").json()
    assert staff["visibility"] == "staff" and staff["description"] == "Ổ gà sâu"


def test_lookups_by_code_alone_are_limited_per_address(
    post: Post, client_with: Callable[..., TestClient], dbs: Session
) -> None:
    limited = client_with(lookups_per_minute=3)
    filed = _file(post, dbs)
    answers = [limited.get(f"/api/v1/reports/{filed['code']}") for _ in range(3)]
    assert [a.status_code for a in answers] == [200, 200, 200]
    # Unknown codes count too (codes are sequential): the fourth lookup is refused.
    refused = limited.get("/api/v1/reports/PA-2000-000001", headers={"Accept-Language": "en"})
    assert refused.status_code == 429
    assert 1 <= int(refused.headers["retry-after"]) <= 60
    assert refused.json()["detail"].startswith("Too many reports were looked up")
    assert limited.get(f"/r/{filed['code']}").status_code == 429
    assert limited.post(f"/api/v1/reports/{filed['code']}/follow").status_code == 429
    # With the private token, not limited.
    assert limited.get(filed["private_api"]).status_code == 200


def test_staff_lookups_are_not_limited(
    post: Post, client_with: Callable[..., TestClient], dbs: Session, make_user: MakeUser
) -> None:
    limited = client_with(lookups_per_minute=1)
    code = _file(post, dbs)["code"]
    make_user("privacy-admin", Role.admin)
    sign_in(limited, "privacy-admin")
    assert [limited.get(f"/api/v1/reports/{code}").status_code for _ in range(3)] == [200] * 3


def test_concurrent_lookups_are_each_counted(engine: Engine) -> None:
    # Twenty app servers' worth of lookups at once from one address: one upsert each, no lost
    # update, so the twenty-first is over a limit of twenty.
    address = "198.51.100.77"
    key = tracking.submitter_key(TEST_SECRET, address)
    waits: list[int | None] = []

    def look() -> None:
        with Session(engine) as db:
            waits.append(tracking.count_lookup(db, TEST_SECRET, address, 20))
            db.commit()

    try:
        threads = [threading.Thread(target=look) for _ in range(20)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        with Session(engine) as db:
            counter = db.scalars(select(LookupCounter).where(LookupCounter.submitter_key == key))
            count = counter.one().count
            over = tracking.count_lookup(db, TEST_SECRET, address, 20)
        # The minute may turn during the test: then the count restarted, and nothing is over.
        assert waits == [None] * 20
        assert (count == 20 and over is not None) or count < 20
    finally:
        with Session(engine) as db:
            db.execute(delete(LookupCounter).where(LookupCounter.submitter_key == key))
            db.commit()


def test_the_routing_reason_is_shown_in_the_readers_language(
    post: Post, client: TestClient, dbs: Session
) -> None:
    filed = _file(post, dbs)
    vietnamese = client.get(filed["private_api"], headers={"Accept-Language": "vi"}).json()
    english = client.get(filed["private_api"], headers={"Accept-Language": "en"}).json()
    assert vietnamese["routing_reason"].startswith("Điểm thuộc Phường Tam Thắng; lĩnh vực Giao")
    assert english["routing_reason"] == (
        "The place is in Phường Tam Thắng; category Roads and traffic → "
        "UBND Phường Tam Thắng (rule 2)"
    )


def test_a_reason_stored_as_text_before_is_shown_as_it_is(
    post: Post, client: TestClient, dbs: Session
) -> None:
    filed = _file(post, dbs)
    report = dbs.scalars(select(Report).where(Report.tracking_code == filed["code"])).one()
    report.routing_reason, report.routing_reason_params = "Điểm thuộc phường cũ", None
    dbs.flush()
    body = client.get(filed["private_api"], headers={"Accept-Language": "en"}).json()
    assert body["routing_reason"] == "Điểm thuộc phường cũ"
