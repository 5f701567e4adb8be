"""The agency workspace through its pages: scope, roles, CSRF, actions, bad input, privacy."""

from __future__ import annotations

import re
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from dashboard.agency.labels import AGENCY_ACTIONS
from ioc.cli import DEMO_PASSWORD
from ioc.db import utcnow
from ioc.settings import Settings
from reports.lifecycle.seed import KEYS, load_demo_lifecycle
from reports.media import videos
from reports.media.store import MediaStore
from reports.models import IdempotencyKey, Report, ReportEvent, ReportMedia, ReportState
from routing.models import Agency
from routing.sla import VN_TZ
from tests.conftest import csrf_from, sign_in
from tests.reports import media_samples as samples
from tests.reports.conftest import Post, files_under, photo
from tests.reports.lifecycle.conftest import AGENCY_B, Act, Cast

S = ReportState
PHONE = "0907654321"


@pytest.fixture
def forwarded(filed: Report, cast: Cast, act: Act, dbs: Session) -> Report:
    """The filed report, forwarded by the IOC to agency A (committed in the test's transaction)."""
    act(filed, "verify_forward", cast.operator)
    dbs.commit()
    return filed


def _signed_in(client: TestClient, username: str, lang: str = "vi") -> TestClient:
    client.cookies.set("ioc_lang", lang)
    sign_in(client, username)
    return client


def _file_and_forward(post: Post, act: Act, cast: Cast, dbs: Session, **fields: Any) -> Report:
    agency = fields.pop("agency", None)
    created = post(category="giao-thong", photos=[photo()], **fields).json()
    report = dbs.get_one(Report, created["id"])
    act(report, "verify_forward", cast.operator, agency=agency)
    return report


def _post_action(
    client: TestClient,
    report: Report,
    action: str,
    *,
    token: str | None = "from-page",
    photos: list[bytes] | None = None,
    **fields: str,
) -> Any:
    url = f"/agency/reports/{report.tracking_code}/{action}"
    data = dict(fields)
    if token == "from-page":
        token = csrf_from(client, "/agency")
    if token is not None:
        data["csrf_token"] = token
    files = [("photos", (f"p{i}.jpg", p, "image/jpeg")) for i, p in enumerate(photos or [])]
    return client.post(url, data=data, files=files or None, follow_redirects=False)


def _snapshot(dbs: Session, report: Report, media_root: Path) -> tuple[Any, ...]:
    dbs.expire_all()
    fresh = dbs.get_one(Report, report.id)
    events = dbs.scalar(select(func.count()).where(ReportEvent.report_id == report.id))
    media = dbs.scalar(select(func.count()).where(ReportMedia.report_id == report.id))
    return fresh.state, fresh.version, fresh.extension_state, events, media, files_under(media_root)


def _main(html: str) -> str:
    found = re.search(r"<main.*?</main>", html, re.S)
    assert found
    return found.group(0)


def _codes_in_order(html: str) -> list[str]:
    return re.findall(r'data-code="([^"]+)"', html)


# --- Scope, roles, CSRF ---------------------------------------------------------------------


def test_the_inbox_lists_only_the_agencys_own_reports(
    client: TestClient, post: Post, act: Act, cast: Cast, dbs: Session
) -> None:
    mine = _file_and_forward(post, act, cast, dbs)
    theirs = _file_and_forward(post, act, cast, dbs, agency=AGENCY_B)
    waiting = post(category="giao-thong", photos=[photo()]).json()["tracking_code"]
    dbs.commit()
    page = _signed_in(client, "staff-a").get("/agency")
    assert page.status_code == 200
    codes = _codes_in_order(page.text)
    assert mine.tracking_code in codes
    assert theirs.tracking_code not in page.text and waiting not in page.text
    assert '<a href="/agency">' in page.text  # the way back from any page, in the top bar


def _counts(html: str) -> dict[str, int]:
    return {
        tab: int(n)
        for tab, n in re.findall(r'data-tab="(\w+)"[^>]*>[^<]*<span class="count">(\d+)<', html)
    }


def test_late_reports_come_first_marked_in_words_and_counted(
    client: TestClient, post: Post, act: Act, cast: Cast, dbs: Session
) -> None:
    client = _signed_in(client, "staff-a")
    counted = _counts(client.get("/agency").text)  # the demo data has reports of its own
    on_time = _file_and_forward(post, act, cast, dbs)
    working = _file_and_forward(post, act, cast, dbs)
    act(working, "accept", cast.agency_a)
    created = post(category="giao-thong", photos=[photo()]).json()
    late = dbs.get_one(Report, created["id"])
    act(late, "verify_forward", cast.operator, now=utcnow() - timedelta(days=20))
    dbs.commit()
    page = client.get("/agency").text
    codes = _codes_in_order(page)
    assert codes.index(late.tracking_code) < codes.index(on_time.tracking_code)
    assert codes.index(late.tracking_code) < codes.index(working.tracking_code)
    late_flags = re.findall(r'data-code="[^"]+" data-late="(\w+)"', page)
    assert late_flags == sorted(late_flags, reverse=True)  # every late one before the others
    item = re.search(
        rf'<li class="inbox-item late" data-code="{late.tracking_code}".*?</li>', page, re.S
    )
    assert item and "Quá hạn" in item.group(0) and "quá hạn" in item.group(0)  # badge and "by…"
    on_time_item = re.search(rf'data-code="{on_time.tracking_code}".*?</li>', page, re.S)
    assert on_time_item and "Quá hạn" not in on_time_item.group(0)
    assert "còn" in on_time_item.group(0)  # "due in …"
    now = _counts(page)
    assert now["assigned"] == counted["assigned"] + 2
    assert now["in_progress"] == counted["in_progress"] + 1
    assert now["all"] == counted["all"] + 3
    assert 'id="late-count"' in page
    only_working = _codes_in_order(client.get("/agency?state=in_progress").text)
    assert working.tracking_code in only_working
    assert on_time.tracking_code not in only_working and late.tracking_code not in only_working


def test_another_agency_gets_404_for_the_page_every_action_and_the_video(
    client: TestClient, forwarded: Report, dbs: Session
) -> None:
    client = _signed_in(client, "staff-b")
    missing = client.get("/agency/reports/PA-2026-999999")
    page = client.get(f"/agency/reports/{forwarded.tracking_code}")
    assert page.status_code == missing.status_code == 404
    assert _main(page.text) == _main(missing.text)  # the same answer as for no report at all
    for action in AGENCY_ACTIONS:
        answer = _post_action(client, forwarded, action, reason="x", note="x", until="2099-01-01")
        assert answer.status_code == 404, action
    assert client.get(f"/agency/reports/{forwarded.tracking_code}/media/1").status_code == 404
    dbs.expire_all()
    assert dbs.get_one(Report, forwarded.id).state == S.assigned


@pytest.mark.parametrize("username", ["op", "sup"])
def test_ioc_roles_get_403(
    client: TestClient, forwarded: Report, cast: Cast, dbs: Session, username: str
) -> None:
    client = _signed_in(client, username)
    assert client.get("/agency").status_code == 403
    assert client.get(f"/agency/reports/{forwarded.tracking_code}").status_code == 403
    assert _post_action(client, forwarded, "accept").status_code == 403
    dbs.expire_all()
    assert dbs.get_one(Report, forwarded.id).state == S.assigned


def test_anonymous_visitors_get_the_sign_in_page(client: TestClient) -> None:
    page = client.get("/agency")
    assert page.status_code == 401
    assert 'name="password"' in page.text and 'value="/agency"' in page.text


def test_an_admin_looks_but_may_not_act(
    client: TestClient, forwarded: Report, cast: Cast, dbs: Session
) -> None:
    client = _signed_in(client, "adm")
    assert forwarded.tracking_code in client.get("/agency").text
    assert forwarded.tracking_code in client.get("/agency?agency=ubnd-26526").text
    assert forwarded.tracking_code not in client.get(f"/agency?agency={AGENCY_B}").text
    assert client.get("/agency?agency=no-such-agency").status_code == 404
    page = client.get(f"/agency/reports/{forwarded.tracking_code}")
    assert page.status_code == 200 and '<form method="post" action="/agency' not in page.text
    assert _post_action(client, forwarded, "accept").status_code == 403
    dbs.expire_all()
    assert dbs.get_one(Report, forwarded.id).state == S.assigned


def test_a_form_without_its_csrf_token_is_refused(
    client: TestClient, forwarded: Report, dbs: Session
) -> None:
    client = _signed_in(client, "staff-a")
    assert _post_action(client, forwarded, "accept", token=None).status_code == 403
    assert _post_action(client, forwarded, "accept", token="forged").status_code == 403
    dbs.expire_all()
    assert dbs.get_one(Report, forwarded.id).state == S.assigned


# --- The page and the actions -----------------------------------------------------------------


def test_the_page_shows_map_reason_deadlines_and_timeline(
    client: TestClient, forwarded: Report
) -> None:
    page = _signed_in(client, "staff-a", "en").get(f"/agency/reports/{forwarded.tracking_code}")
    assert page.status_code == 200
    html = page.text
    assert 'id="report-map"' in html and "L.map(" in html
    nonce = re.search(r"'nonce-([^']+)'", page.headers["content-security-policy"])
    assert nonce and f'<script nonce="{nonce.group(1)}">' in html
    assert 'id="routing-reason"' in html and 'id="accept-by"' in html
    assert "Sent by the resident" in html and "Verified and forwarded to the agency" in html
    assert 'id="form-accept"' in html and 'id="form-return"' in html
    assert 'id="form-resolve"' not in html  # only once accepted
    assert "Times are Vietnam time" in html


def test_an_agency_accepts_then_resolves_with_an_after_photo(
    client: TestClient, forwarded: Report, dbs: Session
) -> None:
    client = _signed_in(client, "staff-a", "en")
    accepted = _post_action(client, forwarded, "accept", version=str(forwarded.version))
    assert accepted.status_code == 303
    assert accepted.headers["location"] == f"/agency/reports/{forwarded.tracking_code}?done=accept"
    page = client.get(accepted.headers["location"]).text
    assert 'id="notice"' in page and "Being handled" in page
    assert 'capture="environment"' in page and 'accept="image/*"' in page
    resolved = _post_action(client, forwarded, "resolve", note="Đã vá ổ gà", photos=[photo()])
    assert resolved.status_code == 303, resolved.text
    dbs.expire_all()
    report = dbs.get_one(Report, forwarded.id)
    assert report.state == S.resolved and report.result_text == "Đã vá ổ gà"
    after = dbs.scalars(
        select(ReportMedia).where(ReportMedia.stage == "result", ReportMedia.report_id == report.id)
    ).all()
    assert len(after) == 1
    page = client.get(f"/agency/reports/{forwarded.tracking_code}").text
    assert 'id="result-photos"' in page and after[0].thumbnail_path.removeprefix("public/") in page
    assert client.get(f"/media/{after[0].display_path.removeprefix('public/')}").status_code == 200


def test_the_extension_form_shows_its_limit_and_is_gone_once_used(
    client: TestClient, forwarded: Report, cast: Cast, act: Act, dbs: Session
) -> None:
    act(forwarded, "accept", cast.agency_a)
    dbs.commit()
    client = _signed_in(client, "staff-a", "en")
    page = client.get(f"/agency/reports/{forwarded.tracking_code}").text
    assert 'id="extension-limit"' in page and "at most 5 working days" in page
    assert forwarded.resolve_by is not None
    until = (forwarded.resolve_by + timedelta(days=1)).astimezone(VN_TZ).date().isoformat()
    asked = _post_action(client, forwarded, "request_extension", until=until, reason="Chờ vật tư")
    assert asked.status_code == 303
    page = client.get(asked.headers["location"]).text
    assert 'id="form-request_extension"' not in page and "waiting for approval" in page


# --- Bad input --------------------------------------------------------------------------------


BAD_INPUTS = [
    ("resolve", {"note": "Đã vá"}, 0, 422, "photos", "Add at least one photo of the result."),
    ("resolve", {"note": "  "}, 1, 422, "note", "Write a note."),
    ("request_extension", {"until": "31/12/2099", "reason": "x"}, 0, 422, "until", "2026-12-31"),
    ("request_extension", {"until": "2020-01-01", "reason": "x"}, 0, 422, "until", "future"),
    ("request_extension", {"until": "2099-01-01"}, 0, 422, "reason", "Give a reason."),
    ("request_extension", {"until": "2099-01-01", "reason": "x"}, 0, 422, "until", "at most 5"),
    ("accept", {}, 0, 409, None, "is not possible now"),
    ("resolve", {"note": "Đã vá", "version": "1"}, 1, 409, "version", "Someone else changed"),
]


@pytest.mark.parametrize(("action", "fields", "photos", "status", "field", "message"), BAD_INPUTS)
def test_bad_input_shows_the_form_again_and_changes_nothing(
    client: TestClient,
    forwarded: Report,
    cast: Cast,
    act: Act,
    dbs: Session,
    media_root: Path,
    action: str,
    fields: dict[str, str],
    photos: int,
    status: int,
    field: str | None,
    message: str,
) -> None:
    act(forwarded, "accept", cast.agency_a)
    dbs.commit()
    client = _signed_in(client, "staff-a", "en")
    before = _snapshot(dbs, forwarded, media_root)
    answer = _post_action(client, forwarded, action, photos=[photo()] * photos, **fields)
    assert answer.status_code == status, answer.text
    error = re.search(
        r'<p class="alert" id="error" role="alert" data-field="([^"]*)">([^<]*)<', answer.text
    )
    assert error and message in error.group(2)
    assert error.group(1) == (field or "")
    assert 'id="state" data-state="in_progress"' in answer.text  # the report as it is now
    assert _snapshot(dbs, forwarded, media_root) == before


def test_a_return_without_a_reason_is_refused(
    client: TestClient, forwarded: Report, dbs: Session, media_root: Path
) -> None:
    client = _signed_in(client, "staff-a", "en")
    before = _snapshot(dbs, forwarded, media_root)
    answer = _post_action(client, forwarded, "return", reason="   ")
    assert answer.status_code == 422
    assert 'data-field="reason">Give a reason.<' in answer.text
    assert '<details class="action-details" open>' in answer.text  # the return form, opened
    assert _snapshot(dbs, forwarded, media_root) == before


def test_a_second_extension_is_refused_and_changes_nothing(
    client: TestClient, forwarded: Report, cast: Cast, act: Act, dbs: Session, media_root: Path
) -> None:
    act(forwarded, "accept", cast.agency_a)
    assert forwarded.resolve_by is not None
    until = (forwarded.resolve_by + timedelta(days=1)).astimezone(VN_TZ).date().isoformat()
    act(forwarded, "request_extension", cast.agency_a, until=until, reason="Chờ vật tư")
    act(forwarded, "deny_extension", cast.supervisor)
    dbs.commit()
    client = _signed_in(client, "staff-a", "en")
    before = _snapshot(dbs, forwarded, media_root)
    answer = _post_action(client, forwarded, "request_extension", until=until, reason="Lần hai")
    assert answer.status_code == 409
    assert "already had its one extension request" in answer.text
    assert _snapshot(dbs, forwarded, media_root) == before


def test_a_file_that_is_not_a_photo_leaves_nothing_behind(
    client: TestClient, forwarded: Report, cast: Cast, act: Act, dbs: Session, media_root: Path
) -> None:
    act(forwarded, "accept", cast.agency_a)
    dbs.commit()
    client = _signed_in(client, "staff-a", "en")
    before = _snapshot(dbs, forwarded, media_root)
    answer = _post_action(
        client, forwarded, "resolve", note="Đã vá", photos=[photo(), samples.pdf()]
    )
    assert answer.status_code == 422 and 'data-field="photos"' in answer.text
    assert _snapshot(dbs, forwarded, media_root) == before


@pytest.mark.parametrize(
    ("lang", "fields", "message"),
    [
        ("vi", {"version": "abc"}, "Biểu mẫu đã cũ. Hãy tải lại trang và thử lại."),
        ("en", {"version": "abc"}, "The form is out of date. Reload the page and try again."),
        ("vi", {"reason": ""}, "Hãy nêu lý do."),
        ("en", {"reason": ""}, "Give a reason."),
    ],
)
def test_messages_come_in_the_users_language(
    client: TestClient,
    forwarded: Report,
    dbs: Session,
    lang: str,
    fields: dict[str, str],
    message: str,
) -> None:
    client = _signed_in(client, "staff-a", lang)
    action = "return" if "reason" in fields else "accept"
    answer = _post_action(client, forwarded, action, photos=[], **fields)
    assert answer.status_code == 422 and f">{message}<" in answer.text
    dbs.expire_all()
    assert dbs.get_one(Report, forwarded.id).state == S.assigned


# --- Privacy ----------------------------------------------------------------------------------


def test_the_contact_shows_only_where_the_resident_shared_it(
    client: TestClient, post: Post, act: Act, cast: Cast, dbs: Session
) -> None:
    private = _file_and_forward(post, act, cast, dbs, name="Nguyễn Văn Kín", phone=PHONE)
    shared = _file_and_forward(
        post, act, cast, dbs, name="Trần Thị Mở", phone="0911222333", private="false"
    )
    dbs.commit()
    client = _signed_in(client, "staff-a", "en")
    hidden = client.get(f"/agency/reports/{private.tracking_code}").text
    assert PHONE not in hidden and "Nguyễn Văn Kín" not in hidden
    assert "chose to keep their identity" in hidden
    shown = client.get(f"/agency/reports/{shared.tracking_code}").text
    assert "0911222333" in shown and "Trần Thị Mở" in shown


def test_a_video_plays_for_the_agency_only(
    client: TestClient, post: Post, act: Act, cast: Cast, dbs: Session, settings: Settings
) -> None:
    created = post(category="giao-thong", photos=[photo()], video=samples.video()).json()
    report = dbs.get_one(Report, created["id"])
    act(report, "verify_forward", cast.operator)
    dbs.commit()
    video = dbs.scalars(
        select(ReportMedia).where(ReportMedia.report_id == report.id, ReportMedia.kind == "video")
    ).one()
    client = _signed_in(client, "staff-a")
    url = f"/agency/reports/{report.tracking_code}/media/{video.id}"
    assert client.get(url).status_code == 404  # not the original: its copy is not made yet
    videos.make_copy(dbs, MediaStore(settings.media_dir), video.id)
    page = client.get(f"/agency/reports/{report.tracking_code}").text
    assert "<video" in page and f'src="{url}"' in page
    answer = client.get(url)
    assert answer.status_code == 200 and answer.headers["content-type"] == "video/mp4"
    client.cookies.clear()
    assert client.get(url).status_code == 401


def test_every_demo_report_opens_for_its_agency(
    client: TestClient, dbs: Session, settings: Settings
) -> None:
    # The demo data plays reports through every state: each page renders for its agency.
    load_demo_lifecycle(dbs, settings)
    dbs.commit()
    rows = dbs.execute(
        select(Report.tracking_code, Agency.code)
        .join(Agency, Agency.id == Report.agency_id)
        .join(IdempotencyKey, IdempotencyKey.report_id == Report.id)
        .where(IdempotencyKey.key.in_(KEYS))
    ).all()
    assert len({code for _, code in rows}) >= 2, "the demo stories involve several agencies"
    for agency in sorted({code for _, code in rows}):
        client.cookies.clear()
        sign_in(client, agency, DEMO_PASSWORD)
        inbox = client.get("/agency")
        assert inbox.status_code == 200
        for code, owner in rows:
            page = client.get(f"/agency/reports/{code}")
            assert page.status_code == (200 if owner == agency else 404), (agency, code)
            assert (code in inbox.text) == (owner == agency)
