"""The lifecycle over HTTP: actions, the staff view, the timeline, the staff list, and the
resident's reopening (issue 9, item 2); every forbidden role and agency pair, and bad input."""

from __future__ import annotations

import io
import re
import threading
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx2 as httpx
import pytest
from fastapi.testclient import TestClient
from PIL import Image
from sqlalchemy import func, select
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from ioc import i18n
from ioc.app import create_app
from ioc.cli import DEMO_PASSWORD
from ioc.db import utcnow
from ioc.settings import IntakeSettings, Settings
from reports.lifecycle.rules import RULES, Action, who_may
from reports.models import Report, ReportEvent, ReportMedia, ReportState
from routing.sla import VN_TZ
from tests.conftest import PASSWORD, csrf_from, sign_in
from tests.ioc import serving
from tests.reports import media_samples as samples
from tests.reports.conftest import TAM_THANG, Post, files_under, photo
from tests.reports.lifecycle.conftest import AGENCY_A, AGENCY_B, Act, Cast, event_count

S = ReportState
Headers = dict[str, str]
STAFF = ("operator", "supervisor", "admin", "agency_a", "agency_b")
USERNAMES = {
    "operator": "op",
    "supervisor": "sup",
    "admin": "adm",
    "agency_a": "staff-a",
    "agency_b": "staff-b",
}
PHONE = "0901234567"


@dataclass(frozen=True)
class Filed:
    """A submitted report, its tracking code and its private status token."""

    report: Report
    code: str
    token: str


@pytest.fixture
def filed_report(post: Post, dbs: Session) -> Filed:
    """A report of a pothole in Phường Tam Thắng (suggested: AGENCY_A), with a phone."""
    created = post(category="giao-thong", description="Ổ gà", photos=[photo()], phone=PHONE)
    body = created.json()
    token = parse_qs(urlsplit(body["links"]["private_api"]).query)["token"][0]
    return Filed(dbs.get_one(Report, body["id"]), body["tracking_code"], token)


@pytest.fixture
def bearer(client: TestClient, cast: Cast) -> dict[str, Headers]:
    """A bearer token's header for each staff member of the cast."""
    headers = {}
    for who, username in USERNAMES.items():
        answer = client.post(
            "/api/v1/auth/token", json={"username": username, "password": PASSWORD}
        )
        assert answer.status_code == 200, answer.text
        headers[who] = {"Authorization": f"Bearer {answer.json()['access_token']}"}
    return headers


@pytest.fixture
def step(act: Act, dbs: Session) -> Act:
    """Apply an action with the lifecycle function and commit it (a savepoint of the test's
    transaction): a request that fails rolls back to there, not past the test's setup."""

    def _step(*args: Any, **kwargs: Any) -> ReportEvent:
        event = act(*args, **kwargs)
        dbs.commit()
        return event

    return _step


Do = Callable[..., httpx.Response]


@pytest.fixture
def do(client: TestClient) -> Do:
    """POST an action: ``do(code, "accept", headers, reason=..., photos=[...])``."""

    def _do(
        code: str,
        action: str,
        headers: Headers | None = None,
        photos: list[bytes] | None = None,
        lang: str | None = None,
        **fields: Any,
    ) -> httpx.Response:
        sent = {**(headers or {}), "Accept": "application/json"}
        if lang:
            sent["Accept-Language"] = lang
        data = {name: str(value) for name, value in fields.items()}
        url = f"/api/v1/reports/{code}/actions/{action}"
        if photos is None:
            return client.post(url, data=data, headers=sent)
        files = [("photos", (f"p{i}.jpg", item, "image/jpeg")) for i, item in enumerate(photos)]
        return client.post(url, data=data, files=files, headers=sent)

    return _do


def _ok(answer: httpx.Response, status: str) -> dict[str, Any]:
    assert answer.status_code == 200, answer.text
    body: dict[str, Any] = answer.json()
    assert body["status"] == status
    return body


def _until(report: Report, days: int) -> str:
    assert report.resolve_by is not None
    return (report.resolve_by.astimezone(VN_TZ) + timedelta(days=days)).date().isoformat()


def test_the_whole_lifecycle_over_http(
    client: TestClient, do: Do, bearer: dict[str, Headers], filed_report: Filed, dbs: Session
) -> None:
    code, report = filed_report.code, filed_report.report
    forwarded = _ok(do(code, "verify_forward", bearer["operator"], version=1), "assigned")
    assert forwarded["agency"]["code"] == AGENCY_A and forwarded["version"] == 2
    assert forwarded["allowed_actions"] == ["recategorise", "relocate", "set_priority"]
    assert forwarded["deadlines"]["due_at"] == forwarded["deadlines"]["accept_by"]
    accepted = _ok(do(code, "accept", bearer["agency_a"], version=2), "in_progress")
    assert "resolve" in accepted["allowed_actions"]
    asked = do(code, "request_extension", bearer["agency_a"], until=_until(report, 1), reason="r")
    assert _ok(asked, "in_progress")["extension"]["state"] == "requested"
    approved = _ok(do(code, "approve_extension", bearer["supervisor"]), "in_progress")
    assert approved["deadlines"]["resolve_by"] == approved["extension"]["until"]
    resolved = _ok(
        do(code, "resolve", bearer["agency_a"], photos=[photo()], note="Đã vá"), "resolved"
    )
    assert resolved["result_text"] == "Đã vá"
    assert [m["stage"] for m in resolved["media"]] == ["report", "result"]
    for link in (resolved["media"][1]["display_url"], resolved["media"][1]["thumbnail_url"]):
        served = client.get(link)
        assert served.status_code == 200
        shown = Image.open(io.BytesIO(served.content))  # the after-photo carried EXIF GPS
        assert not shown.getexif() and "exif" not in shown.info
    _ok(do(code, "approve_result", bearer["operator"]), "published")
    reopened = do(code, "reopen", note="Ổ gà lại xuất hiện", token=filed_report.token)
    owner = _ok(reopened, "reopened")
    assert owner["visibility"] == "owner" and PHONE not in reopened.text
    _ok(do(code, "verify_forward", bearer["operator"]), "assigned")
    events = client.get(f"/api/v1/reports/{code}/events", headers=bearer["operator"]).json()
    assert [e["action"] for e in events["items"]] == [
        "submit",
        "verify_forward",
        "accept",
        "request_extension",
        "approve_extension",
        "resolve",
        "approve_result",
        "reopen",
        "verify_forward",
    ]
    assert events["items"][1]["actor"] == {
        "kind": "staff",
        "role": "ioc_operator",
        "username": "op",
    }
    assert events["items"][7]["action_label"] == "Người dân mở lại phản ánh"
    assert events["items"][7]["actor"] == {"kind": "resident", "role": None, "username": None}
    assert dbs.get_one(Report, report.id).version == 9


def test_the_staff_view_and_who_sees_the_reporters_contact(
    client: TestClient, do: Do, bearer: dict[str, Headers], post: Post
) -> None:
    shared = post(
        category="giao-thong", description="Ổ gà", phone=PHONE, private="false", **_place()
    )
    kept = post(category="giao-thong", description="Ổ gà", email="an@vidu.vn", **_place())
    for answer in (shared, kept):
        _ok(do(answer.json()["tracking_code"], "verify_forward", bearer["operator"]), "assigned")
    ioc = client.get(f"/api/v1/reports/{kept.json()['tracking_code']}", headers=bearer["operator"])
    assert ioc.json()["visibility"] == "staff" and ioc.json()["contact"]["email"] == "an@vidu.vn"
    view = client.get(f"/api/v1/reports/{kept.json()['tracking_code']}", headers=bearer["agency_a"])
    assert view.json()["contact"] is None and "an@vidu.vn" not in view.text
    assert view.json()["identity_shared"] is False
    code = shared.json()["tracking_code"]
    view = client.get(f"/api/v1/reports/{code}", headers=bearer["agency_a"]).json()
    assert view["contact"]["phone"] == PHONE and view["identity_shared"] is True
    assert view["ward"]["name"] == "Phường Tam Thắng" and view["routing_reason"]
    assert view["allowed_actions"] == ["accept", "return"]
    public = client.get(f"/api/v1/reports/{code}")
    assert public.json()["visibility"] == "public" and PHONE not in public.text
    for who in STAFF[:4]:
        events = client.get(f"/api/v1/reports/{code}/events", headers=bearer[who])
        assert events.status_code == 200 and PHONE not in events.text


def _place() -> dict[str, float]:
    return {"lat": TAM_THANG[0], "lon": TAM_THANG[1]}


def test_an_agency_reads_the_ioc_s_own_notes_only_as_steps(
    client: TestClient, do: Do, bearer: dict[str, Headers], filed_report: Filed
) -> None:
    code = filed_report.code
    do(code, "set_priority", bearer["operator"], priority="urgent", note="Gần trường học")
    do(code, "verify_forward", bearer["operator"], note="Xử lý trước 9h")
    do(code, "accept", bearer["agency_a"], note="Đội 2 nhận")
    ioc = client.get(f"/api/v1/reports/{code}/events", headers=bearer["operator"]).json()
    agency = client.get(f"/api/v1/reports/{code}/events", headers=bearer["agency_a"]).json()
    notes = {e["action"]: e["note"] for e in ioc["items"]}
    assert notes["set_priority"] == "Gần trường học"
    seen = {e["action"]: e for e in agency["items"]}
    assert seen["set_priority"]["note"] is None and seen["set_priority"]["payload"]["priority"]
    assert seen["verify_forward"]["note"] == "Xử lý trước 9h"
    assert seen["verify_forward"]["actor"]["username"] is None  # not a colleague
    assert seen["accept"]["actor"]["username"] == "staff-a"


def test_another_agency_sees_nothing_of_the_report(
    client: TestClient, do: Do, bearer: dict[str, Headers], filed_report: Filed, dbs: Session
) -> None:
    code = filed_report.code
    do(code, "verify_forward", bearer["operator"])
    before = (filed_report.report.version, event_count(dbs, filed_report.report))
    unknown = client.get("/api/v1/reports/PA-2000-999999", headers=bearer["agency_b"]).json()
    for answer in (
        client.get(f"/api/v1/reports/{code}", headers=bearer["agency_b"]),
        client.get(f"/api/v1/reports/{code}/events", headers=bearer["agency_b"]),
        do(code, "accept", bearer["agency_b"]),
        do(code, "return", bearer["agency_b"], reason="Không phải của chúng tôi"),
        do(code, "resolve", bearer["agency_b"], photos=[photo()], note="x"),
    ):
        assert answer.status_code == 404, answer.text
        assert {k: answer.json()[k] for k in ("code", "detail", "field")} == {
            k: unknown[k] for k in ("code", "detail", "field")
        }
    assert (filed_report.report.version, event_count(dbs, filed_report.report)) == before
    q = {"q": code}  # the tracking code: demo data and other tests' reports stay out
    for who, sees in (("agency_b", False), ("agency_a", True), ("operator", True)):
        listed = client.get("/api/v1/reports", params=q, headers=bearer[who]).json()
        assert (code in [item["tracking_code"] for item in listed["items"]]) is sees, who
    asked = client.get(
        "/api/v1/reports", params={"agency": AGENCY_A, "limit": 100}, headers=bearer["agency_b"]
    )
    assert asked.status_code == 200 and asked.json()["items"] == []


def _expected_status(action: Action, who: str) -> int:
    """What a staff member gets for an action with a stale version on a report assigned to A."""
    if who == "agency_b":
        return 404  # another agency's report: as if it did not exist
    names = {"operator": "ioc_operator", "supervisor": "ioc_supervisor", "admin": "admin"}
    parties = {"agency"} if who == "agency_a" else {names[who]}
    return 409 if parties & who_may(RULES[action], {}) else 403


@pytest.mark.parametrize("action", list(Action))
def test_every_role_and_agency_pair_at_the_api(
    action: Action,
    client: TestClient,
    do: Do,
    bearer: dict[str, Headers],
    filed_report: Filed,
    step: Act,
    cast: Cast,
    dbs: Session,
) -> None:
    step(filed_report.report, "verify_forward", cast.operator)
    before = (filed_report.report.version, event_count(dbs, filed_report.report))
    for who in STAFF:
        answer = do(filed_report.code, action.value, bearer[who], version=0)
        assert answer.status_code == _expected_status(action, who), (who, answer.text)
    resident = do(filed_report.code, action.value, version=0, token=filed_report.token)
    assert resident.status_code == (409 if action == Action.reopen else 403), resident.text
    anonymous = do(filed_report.code, action.value)
    assert anonymous.status_code == 401
    assert (filed_report.report.version, event_count(dbs, filed_report.report)) == before


def test_a_409_lists_the_actions_allowed_now(
    do: Do, bearer: dict[str, Headers], filed_report: Filed, dbs: Session
) -> None:
    code = filed_report.code
    do(code, "verify_forward", bearer["operator"])
    early = do(code, "resolve", bearer["agency_a"], photos=[photo()], note="Xong", lang="en")
    assert early.status_code == 409
    body = early.json()
    assert body["code"] == "invalid-transition" and body["state"] == "assigned"
    assert body["allowed"] == ["accept", "return"] and body["version"] == 2
    assert "Possible now: accept, return." in body["detail"]
    late = do(code, "reject", bearer["operator"], reason="x")
    assert late.json()["allowed"] == ["recategorise", "relocate", "set_priority"]
    stale = do(code, "accept", bearer["agency_a"], version=1)
    assert stale.status_code == 409 and stale.json()["code"] == "conflict"
    assert stale.json()["state"] == "assigned" and stale.json()["version"] == 2
    assert stale.json()["field"] == "version"
    assert dbs.get_one(Report, filed_report.report.id).state == S.assigned


def test_a_browser_session_acts_only_with_the_csrf_token(
    client: TestClient, do: Do, cast: Cast, filed_report: Filed
) -> None:
    sign_in(client, "op")
    refused = do(filed_report.code, "verify_forward")
    assert refused.status_code == 403 and refused.json()["code"] == "csrf-failed"
    forged = do(filed_report.code, "verify_forward", csrf_token="ồ" * 64)
    assert forged.status_code == 403
    token = csrf_from(client, f"/r/{filed_report.code}")
    _ok(do(filed_report.code, "verify_forward", {"X-CSRF-Token": token}), "assigned")
    _ok(do(filed_report.code, "set_priority", csrf_token=token, priority="urgent"), "assigned")


# --- Bad input: status, field, message in the user's language, nothing changed ---------------


@dataclass
class Case:
    """A bad action and the problem it must get."""

    stage: str  # where the report is before: submitted, assigned, in_progress, extended
    who: str
    action: str
    fields: dict[str, Any]
    status: int
    field: str | None
    message: str  # the English message id (its parameters match anything)
    photos: Callable[[], list[bytes]] | None = None
    code: str = "invalid-input"


CASES: dict[str, Case] = {
    "reject-without-reason": Case(
        "submitted", "operator", "reject", {"reason": "  "}, 422, "reason", "Give a reason."
    ),
    "return-without-reason": Case(
        "assigned", "agency_a", "return", {}, 422, "reason", "Give a reason."
    ),
    "resolve-without-after-photo": Case(
        "in_progress",
        "agency_a",
        "resolve",
        {"note": "Đã vá"},
        422,
        "photos",
        "Add at least one photo of the result.",
    ),
    "resolve-without-text": Case(
        "in_progress",
        "agency_a",
        "resolve",
        {},
        422,
        "note",
        "Write a note.",
        photos=lambda: [photo()],
    ),
    "resolve-with-a-pdf-as-photo": Case(
        "in_progress",
        "agency_a",
        "resolve",
        {"note": "Đã vá"},
        422,
        "photos",
        "The file is not a photo or video that can be accepted.",
        photos=lambda: [photo(), samples.pdf()],
        code="invalid-media",
    ),
    "resolve-with-a-truncated-photo": Case(
        "in_progress",
        "agency_a",
        "resolve",
        {"note": "Đã vá"},
        422,
        "photos",
        "The photo could not be read. It may be damaged or incomplete.",
        photos=lambda: [samples.truncated(photo())],
        code="invalid-media",
    ),
    "photos-with-another-action": Case(
        "assigned",
        "agency_a",
        "accept",
        {},
        422,
        "photos",
        "Photos can be attached to a result only.",
        photos=lambda: [photo()],
    ),
    "second-extension": Case(
        "extended",
        "agency_a",
        "request_extension",
        {"until": 2, "reason": "Chờ vật tư"},
        409,
        "until",
        "This report has already had its one extension request.",
        code="conflict",
    ),
    "extension-past-5-working-days": Case(
        "in_progress",
        "agency_a",
        "request_extension",
        {"until": 30, "reason": "Chờ vật tư"},
        422,
        "until",
        "An extension may add at most 5 working days: the latest date is %(latest)s.",
    ),
    "extension-date-in-the-past": Case(
        "in_progress",
        "agency_a",
        "request_extension",
        {"until": "2020-01-01", "reason": "Chờ vật tư"},
        422,
        "until",
        "The new date must be in the future.",
    ),
    "extension-date-not-a-date": Case(
        "in_progress",
        "agency_a",
        "request_extension",
        {"until": "31/12/2026", "reason": "Chờ vật tư"},
        422,
        "until",
        "Enter a date such as 2026-12-31.",
    ),
    "extension-without-reason": Case(
        "in_progress",
        "agency_a",
        "request_extension",
        {"until": 1},
        422,
        "reason",
        "Give a reason.",
    ),
    "unknown-action": Case(
        "assigned",
        "agency_a",
        "fix",
        {},
        404,
        "action",
        "Unknown action. The actions are: %(actions)s.",
        code="not-found",
    ),
    "another-agency-s-report": Case(
        "assigned",
        "agency_b",
        "accept",
        {},
        404,
        "tracking_code",
        "No report has this tracking code.",
        code="not-found",
    ),
    "latitude-not-a-number": Case(
        "assigned",
        "operator",
        "relocate",
        {"lat": "abc", "lon": 107},
        422,
        "lat",
        "Enter a number.",
    ),
    "longitude-out-of-range": Case(
        "assigned",
        "operator",
        "relocate",
        {"lat": 10.37, "lon": 190},
        422,
        "lon",
        "Enter a number between %(low)s and %(high)s.",
    ),
    "version-not-a-number": Case(
        "assigned", "agency_a", "accept", {"version": "v2"}, 422, "version", "Enter a whole number."
    ),
    "reason-too-long": Case(
        "assigned",
        "agency_a",
        "return",
        {"reason": "x" * 2001},
        422,
        "reason",
        "At most %(n)s characters.",
    ),
    "forward-to-an-unknown-agency": Case(
        "submitted",
        "operator",
        "verify_forward",
        {"agency": "khong-co"},
        422,
        "agency",
        "Choose the agency to forward the report to.",
    ),
    "duplicate-of-an-unknown-report": Case(
        "submitted",
        "operator",
        "mark_duplicate",
        {"of": "PA-2000-000001"},
        422,
        "of",
        "No other report has this tracking code.",
    ),
    "unknown-priority": Case(
        "submitted",
        "operator",
        "set_priority",
        {"priority": "asap"},
        422,
        "priority",
        "Unknown priority.",
    ),
    "unknown-category": Case(
        "assigned",
        "supervisor",
        "recategorise",
        {"category": "khong-co"},
        422,
        "category",
        "Unknown category.",
    ),
}


def _setup(stage: str, report: Report, step: Act, cast: Cast) -> None:
    """Drive the report to the stage a case starts from (through the lifecycle function)."""
    if stage == "submitted":
        return
    step(report, "verify_forward", cast.operator)
    if stage in ("in_progress", "extended"):
        step(report, "accept", cast.agency_a)
    if stage == "extended":
        step(report, "request_extension", cast.agency_a, until=_until(report, 1), reason="r")
        step(report, "deny_extension", cast.supervisor)


def _pattern(message: str, locale: str) -> re.Pattern[str]:
    """The translated message, its parameters matching anything."""
    i18n.set_locale(locale)
    try:
        translated = i18n.translations(locale).gettext(message)
    finally:
        i18n.set_locale("vi")
    parts = re.split(r"%\(\w+\)s", translated)
    return re.compile(".+".join(re.escape(part) for part in parts))


def _fields(case: Case, report: Report) -> dict[str, Any]:
    fields = dict(case.fields)
    if isinstance(fields.get("until"), int):
        fields["until"] = _until(report, fields["until"])
    return fields


def _state_of(dbs: Session, report: Report) -> tuple[Any, ...]:
    dbs.expire_all()
    fresh = dbs.get_one(Report, report.id)
    media = dbs.scalar(select(func.count()).where(ReportMedia.report_id == report.id))
    return (fresh.state, fresh.version, fresh.extension_state, event_count(dbs, fresh), media)


@pytest.mark.parametrize("name", list(CASES))
def test_bad_input_is_refused_and_nothing_changes(
    name: str,
    do: Do,
    bearer: dict[str, Headers],
    filed_report: Filed,
    step: Act,
    cast: Cast,
    dbs: Session,
    media_root: Path,
) -> None:
    case = CASES[name]
    report = filed_report.report
    _setup(case.stage, report, step, cast)
    before, files = _state_of(dbs, report), files_under(media_root)
    titles = set()
    for lang, locale in ((None, "vi"), ("en", "en")):
        photos = case.photos() if case.photos else None
        answer = do(
            filed_report.code, case.action, bearer[case.who], photos, lang, **_fields(case, report)
        )
        assert answer.status_code == case.status, answer.text
        assert answer.headers["content-type"] == "application/problem+json"
        body = answer.json()
        assert body["code"] == case.code and body.get("field") == case.field
        assert _pattern(case.message, locale).fullmatch(body["detail"]), body["detail"]
        assert answer.headers["content-language"] == locale
        titles.add(body["title"])
    assert len(titles) == 2  # Vietnamese, then English
    assert _state_of(dbs, report) == before
    assert files_under(media_root) == files
    assert not list(media_root.rglob(".*.tmp"))


def test_a_wrong_token_or_none_cannot_reopen(
    client: TestClient, do: Do, filed_report: Filed, step: Act, cast: Cast, dbs: Session
) -> None:
    report = filed_report.report
    _setup("in_progress", report, step, cast)
    step(report, "resolve", cast.agency_a, note="Xong", photos=1)
    step(report, "approve_result", cast.operator)
    before = _state_of(dbs, report)
    wrong = do(filed_report.code, "reopen", note="Chưa sửa", token="x" * 43)
    assert wrong.status_code == 403 and wrong.json()["field"] == "token"
    assert do(filed_report.code, "reopen", note="Chưa sửa").status_code == 401
    empty = do(filed_report.code, "reopen", token=filed_report.token, note=" ")
    assert empty.status_code == 422 and empty.json()["field"] == "note"
    assert _state_of(dbs, report) == before
    by_query = client.post(
        f"/api/v1/reports/{filed_report.code}/actions/reopen",
        params={"token": filed_report.token},
        data={"note": "Chưa sửa"},
    )
    assert _ok(by_query, "reopened")["visibility"] == "owner"


# --- The staff list ------------------------------------------------------------------------


def _codes(page: dict[str, Any]) -> list[str]:
    return [item["tracking_code"] for item in page["items"]]


def test_the_staff_list_filters_and_pages(
    client: TestClient,
    post: Post,
    bearer: dict[str, Headers],
    step: Act,
    cast: Cast,
    dbs: Session,
) -> None:
    word = f"listtest{utcnow().timestamp():.0f}"
    reports = [
        dbs.get_one(
            Report, post(category="giao-thong", description=f"{word} {i}", **_place()).json()["id"]
        )
        for i in range(6)
    ]
    for report in reports[:4]:
        step(report, "verify_forward", cast.operator)
    step(reports[4], "verify_forward", cast.operator, agency=AGENCY_B)
    reports[0].due_at = utcnow() - timedelta(hours=1)  # past its deadline, not swept yet
    dbs.commit()
    order = sorted(reports[:4], key=lambda r: (r.due_at, r.id))
    mine: dict[str, str | int] = {"q": word, "state": "assigned", "agency": AGENCY_A, "limit": 3}
    first = client.get("/api/v1/reports", params=mine, headers=bearer["operator"]).json()
    assert _codes(first) == [r.tracking_code for r in order[:3]] and first["next_cursor"]
    second = client.get(first["next"], headers=bearer["operator"]).json()
    assert _codes(second) == [order[3].tracking_code] and second["next"] is None
    everything = client.get(
        "/api/v1/reports", params={"q": word, "limit": 100}, headers=bearer["operator"]
    ).json()
    by_deadline = sorted(reports, key=lambda r: (r.due_at is None, r.due_at, r.id))
    assert _codes(everything) == [r.tracking_code for r in by_deadline]
    agency = client.get(
        "/api/v1/reports",
        params={"q": word, "state": "assigned,submitted"},
        headers=bearer["agency_a"],
    ).json()
    assert sorted(_codes(agency)) == sorted(r.tracking_code for r in reports[:4])
    late = client.get(
        "/api/v1/reports", params={"q": word, "overdue": "true"}, headers=bearer["agency_a"]
    ).json()
    assert _codes(late) == [reports[0].tracking_code] and late["items"][0]["overdue"] is True
    by_code = client.get(
        "/api/v1/reports", params={"q": reports[4].tracking_code}, headers=bearer["agency_b"]
    ).json()
    assert _codes(by_code) == [reports[4].tracking_code]


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"state": "done"}, "state"),
        ({"agency": "khong-co"}, "agency"),
        ({"category": "khong-co"}, "category"),
        ({"after": "not-a-cursor"}, "after"),
        ({"after": "WzEsMl0"}, "after"),  # [1,2]: a cursor's shape, not its content
        ({"limit": 0}, "limit"),
        ({"limit": 1000}, "limit"),
        ({"overdue": "maybe"}, "overdue"),
    ],
)
def test_bad_list_filters_are_422(
    client: TestClient, bearer: dict[str, Headers], params: dict[str, Any], field: str
) -> None:
    answer = client.get("/api/v1/reports", params=params, headers=bearer["operator"])
    assert answer.status_code == 422, answer.text
    assert answer.json()["field"] == field


def test_the_list_and_timeline_need_staff_credentials(
    client: TestClient, filed_report: Filed
) -> None:
    assert client.get("/api/v1/reports").status_code == 401
    assert client.get(f"/api/v1/reports/{filed_report.code}/events").status_code == 401
    owner = client.get(f"/api/v1/reports/{filed_report.code}?token={filed_report.token}")
    assert owner.json()["visibility"] == "owner" and "version" not in owner.json()


# --- The resident's reopening on the private status page -----------------------------------


def _published(filed: Filed, step: Act, cast: Cast) -> None:
    _setup("in_progress", filed.report, step, cast)
    step(filed.report, "resolve", cast.agency_a, note="Đã vá", photos=1)
    step(filed.report, "approve_result", cast.operator)


def test_the_resident_reopens_from_the_private_page(
    client: TestClient, filed_report: Filed, step: Act, cast: Cast, dbs: Session
) -> None:
    _published(filed_report, step, cast)
    page = f"/r/{filed_report.code}?t={filed_report.token}"
    assert 'id="reopen-form"' in client.get(page).text
    assert 'id="reopen-form"' not in client.get(f"/r/{filed_report.code}").text
    token = csrf_from(client, page)
    form = {"t": filed_report.token, "csrf_token": token}
    empty = client.post(f"/r/{filed_report.code}/reopen", data={**form, "note": " "})
    assert empty.status_code == 422
    assert "Hãy ghi nội dung." in empty.text and 'id="reopen-form"' in empty.text
    assert _state_of(dbs, filed_report.report)[0] == S.published
    missing = client.post(f"/r/{filed_report.code}/reopen", data={"t": filed_report.token})
    assert missing.status_code == 403
    done = client.post(
        f"/r/{filed_report.code}/reopen",
        data={**form, "note": "Ổ gà lại xuất hiện"},
        follow_redirects=False,
    )
    assert done.status_code == 303 and done.headers["location"] == page
    assert _state_of(dbs, filed_report.report)[0] == S.reopened
    event = dbs.scalars(
        select(ReportEvent).where(
            ReportEvent.report_id == filed_report.report.id, ReportEvent.action == "reopen"
        )
    ).one()
    assert event.note == "Ổ gà lại xuất hiện" and event.user_id is None
    assert 'id="reopen-form"' not in client.get(page).text


def test_the_reopening_window_closes(
    client: TestClient, filed_report: Filed, step: Act, cast: Cast, dbs: Session
) -> None:
    _published(filed_report, step, cast)
    report = dbs.get_one(Report, filed_report.report.id)
    assert report.published_at is not None
    report.published_at -= timedelta(days=8)
    dbs.commit()
    page = f"/r/{filed_report.code}?t={filed_report.token}"
    assert 'id="reopen-form"' not in client.get(page).text
    token = csrf_from(client)  # the form of a page opened before the window closed
    late = client.post(
        f"/r/{filed_report.code}/reopen",
        data={"t": filed_report.token, "csrf_token": token, "note": "Chưa sửa"},
        headers={"Accept-Language": "en"},
    )
    assert late.status_code == 409
    assert "A report can be reopened within 7 days of its result." in late.text
    assert _state_of(dbs, filed_report.report)[0] == S.published


# --- Two staff at once: real commits on a real server --------------------------------------

# Phường Vũng Tàu, forwarded to its own committee, by the seed's demo accounts: these reports are
# committed and stay, away from Tam Thắng (where other tests read the duplicate hint) and from the
# agencies other tests list; no user is committed (other tests count the seed's accounts).
RACE_PLACE = (10.3452, 107.0745)
RACE_AGENCY = "ubnd-26506"


@pytest.fixture(scope="module")
def served(
    settings: Settings, engine: Engine, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[str]:
    """The app served by uvicorn in a thread, on the real database (every request commits)."""
    changed = settings.model_copy(
        update={
            "media_dir": tmp_path_factory.mktemp("lifecycle-race-media"),
            "intake": IntakeSettings(rate_limit=1_000_000),
        }
    )
    with serving.served(create_app(changed, engine=engine)) as (host, port):
        yield f"http://{host}:{port}"


def _bearer(client: httpx.Client, username: str) -> Headers:
    """A token of a demo account (the seed's, committed: a test's own users would stay)."""
    body = {"username": username, "password": DEMO_PASSWORD}
    answer = client.post("/api/v1/auth/token", json=body)
    assert answer.status_code == 200, answer.text
    return {
        "Authorization": f"Bearer {answer.json()['access_token']}",
        "Accept": "application/json",
    }


def _forwarded_report(client: httpx.Client, operator: Headers, seed: int) -> str:
    """A report filed and forwarded to RACE_AGENCY, committed; its tracking code."""
    fields = {
        "category": "giao-thong",
        "description": f"Đua {seed}",
        "lat": RACE_PLACE[0],
        "lon": RACE_PLACE[1],
    }
    created = client.post(
        "/api/v1/reports",
        data={k: str(v) for k, v in fields.items()},
        files=[("photos", ("", b"", "application/octet-stream"))],
        headers={"Accept": "application/json"},
    )
    assert created.status_code == 201, created.text
    code: str = created.json()["tracking_code"]
    url = f"/api/v1/reports/{code}/actions/verify_forward"
    forwarded = client.post(url, data={"agency": RACE_AGENCY}, headers=operator)
    assert forwarded.status_code == 200, forwarded.text
    return code


def _race(
    url: str, path: str, staff: list[Headers], fields: dict[str, str]
) -> list[httpx.Response]:
    """Each staff member sends the same action at the same moment."""
    start = threading.Barrier(len(staff))

    def send(headers: Headers) -> httpx.Response:
        with httpx.Client(base_url=url, timeout=60) as client:
            start.wait()
            return client.post(path, data=fields, headers=headers)

    with ThreadPoolExecutor(len(staff)) as pool:
        return list(pool.map(send, staff))


@pytest.mark.parametrize("version", [None, "2"])
def test_two_concurrent_accepts_one_wins_and_one_gets_409(
    served: str, engine: Engine, version: str | None
) -> None:
    with httpx.Client(base_url=served, timeout=60) as client:
        op = _bearer(client, "operator")
        tokens = [_bearer(client, RACE_AGENCY) for _ in range(2)]  # two sessions at once
        codes = [_forwarded_report(client, op, seed) for seed in range(3)]
    for code in codes:
        fields = {"note": "Nhận"} | ({"version": version} if version else {})
        answers = _race(served, f"/api/v1/reports/{code}/actions/accept", tokens, fields)
        assert sorted(a.status_code for a in answers) == [200, 409], [a.text for a in answers]
        loser = next(a for a in answers if a.status_code == 409).json()
        assert loser["state"] == "in_progress" and loser["version"] == 3
        if version is None:  # the state moved: the actions possible now are listed
            assert loser["allowed"] == ["request_extension", "resolve"]
        with Session(engine) as db:
            report = db.scalars(select(Report).where(Report.tracking_code == code)).one()
            accepts = db.scalar(
                select(func.count()).where(
                    ReportEvent.report_id == report.id, ReportEvent.action == "accept"
                )
            )
            assert (report.state, report.version, accepts) == (S.in_progress, 3, 1)
