"""Triage from the dashboard's report panel: each form's happy path and bad input, roles, CSRF,
the duplicate's followers, and the routing candidates a forward lists."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ioc.auth.models import Role
from reports.models import (
    ExtensionState,
    Follower,
    Report,
    ReportEvent,
    ReportMedia,
    ReportState,
)
from reports.notify.models import Message
from routing import service as routing_service
from routing.sla import Priority
from tests.conftest import MakeUser, csrf_from, sign_in
from tests.reports import media_samples as samples
from tests.reports.conftest import TAM_THANG, Post, photo
from tests.reports.lifecycle.conftest import AGENCY_A, AGENCY_B, Act, Cast

S = ReportState
FETCH = {"X-Requested-With": "fetch"}


def _as(client: TestClient, username: str, lang: str = "en") -> TestClient:
    client.cookies.set("ioc_lang", lang)
    sign_in(client, username)
    return client


def _post(
    client: TestClient,
    report: Report,
    action: str,
    *,
    token: str | None = "from-page",
    fetch: bool = True,
    **fields: Any,
) -> Any:
    data = {k: str(v) for k, v in fields.items()}
    if token == "from-page":
        token = csrf_from(client, f"/dashboard/reports/{report.tracking_code}")
    if token is not None:
        data["csrf_token"] = token
    return client.post(
        f"/dashboard/reports/{report.tracking_code}/actions/{action}",
        data=data,
        headers=FETCH if fetch else {},
        follow_redirects=False,
    )


def _fresh(dbs: Session, report: Report) -> Report:
    dbs.expire_all()
    return dbs.get_one(Report, report.id)


def _events(dbs: Session, report: Report) -> int:
    return dbs.scalar(select(func.count()).where(ReportEvent.report_id == report.id)) or 0


def _file(post: Post, dbs: Session, **fields: Any) -> Report:
    fields.setdefault("category", "giao-thong")
    created = post(photos=[photo()], **fields).json()
    return dbs.get_one(Report, created["id"])


# --- The panel ---


def test_the_panel_shows_the_report_and_the_forms_of_now(
    client: TestClient, cast: Cast, filed: Report
) -> None:
    _as(client, "op")
    fragment = client.get(f"/dashboard/reports/{filed.tracking_code}/panel?state=open")
    assert fragment.status_code == 200
    html = fragment.text
    assert "<html" not in html and 'id="report-panel"' in html
    assert filed.tracking_code in html and "0901234567" in html  # the IOC sees the contact
    assert 'id="routing-reason"' in html and "Tam Thắng" in html
    for key in "frdclp":
        assert f'data-key="{key}"' in html, key
    assert 'data-key="a"' not in html  # no result to review yet
    assert 'name="back" value="state=open"' in html
    page = client.get(f"/dashboard/reports/{filed.tracking_code}")
    assert page.status_code == 200 and "<html" in page.text and 'id="report-panel"' in page.text
    assert "/static/dashboard/panel_page.js" in page.text


def test_agency_staff_and_strangers_are_refused(
    client: TestClient, cast: Cast, filed: Report, dbs: Session
) -> None:
    code = filed.tracking_code
    assert client.get(f"/dashboard/reports/{code}/panel").status_code == 401
    _as(client, "staff-a")
    token = csrf_from(client, "/agency")
    for path in (f"/dashboard/reports/{code}/panel", f"/dashboard/reports/{code}"):
        assert client.get(path).status_code == 403
    refused = client.post(
        f"/dashboard/reports/{code}/actions/verify_forward",
        data={"csrf_token": token},
        headers=FETCH,
    )
    assert refused.status_code == 403
    assert _fresh(dbs, filed).state == S.submitted


def test_an_unknown_report_or_action_is_404(client: TestClient, cast: Cast, filed: Report) -> None:
    _as(client, "op")
    assert client.get("/dashboard/reports/PA-2000-999999/panel").status_code == 404
    assert client.get("/dashboard/reports/nonsense/panel").status_code == 404
    token = csrf_from(client, f"/dashboard/reports/{filed.tracking_code}")
    response = client.post(
        f"/dashboard/reports/{filed.tracking_code}/actions/accept",
        data={"csrf_token": token},
        headers=FETCH,
    )
    assert response.status_code == 404


def test_a_form_without_its_csrf_token_is_refused(
    client: TestClient, cast: Cast, filed: Report, dbs: Session
) -> None:
    _as(client, "op")
    for token in (None, "forged"):
        response = _post(client, filed, "verify_forward", token=token)
        assert response.status_code == 403
    assert _fresh(dbs, filed).state == S.submitted and _events(dbs, filed) == 1


# --- Forward ---


def test_forward_to_the_suggested_agency_answers_with_the_refreshed_panel(
    client: TestClient, cast: Cast, filed: Report, dbs: Session
) -> None:
    _as(client, "op")
    page = client.get(f"/dashboard/reports/{filed.tracking_code}").text
    assert f'name="agency" value="{AGENCY_A}"' in page
    response = _post(client, filed, "verify_forward", agency=AGENCY_A, version=filed.version)
    assert response.status_code == 200, response.text
    assert 'id="panel-notice"' in response.text and "<html" not in response.text
    assert 'data-state="assigned"' in response.text
    fresh = _fresh(dbs, filed)
    assert fresh.state == S.assigned and fresh.agency_id == fresh.suggested_agency_id


def test_forward_without_scripts_goes_back_to_the_dashboard_with_its_filters(
    client: TestClient, cast: Cast, filed: Report, dbs: Session
) -> None:
    _as(client, "op")
    response = _post(
        client,
        filed,
        "verify_forward",
        fetch=False,
        agency_other=AGENCY_B,
        back="state=open&category=giao-thong&report=PA-1",
    )
    assert response.status_code == 303
    expected = f"/dashboard?state=open&category=giao-thong&report={filed.tracking_code}"
    assert response.headers["location"] == expected
    assert _fresh(dbs, filed).state == S.assigned


def test_forward_lists_the_routing_candidates_with_their_reasons(
    client: TestClient, cast: Cast, filed: Report, dbs: Session
) -> None:
    found = routing_service.candidates(
        dbs, category="giao-thong", lat=TAM_THANG[0], lon=TAM_THANG[1]
    )
    assert found and found[0].first and found[0].agency.code == AGENCY_A
    assert len({c.agency.id for c in found}) == len(found)
    assert all(c.agency.name in c.reason and str(c.rule) in c.reason for c in found)
    _as(client, "op")
    html = client.get(f"/dashboard/reports/{filed.tracking_code}/panel").text
    for candidate in found:
        assert f'value="{candidate.agency.code}"' in html
    assert routing_service.candidates(dbs, category="giao-thong", lat=10.0, lon=106.0) == []


def test_forward_to_an_unknown_agency_is_refused_with_the_panel(
    client: TestClient, cast: Cast, filed: Report, dbs: Session
) -> None:
    _as(client, "op")
    response = _post(client, filed, "verify_forward", agency_other="no-such-agency")
    assert response.status_code == 422
    assert 'id="panel-error"' in response.text and 'data-field="agency"' in response.text
    assert _fresh(dbs, filed).state == S.submitted and _events(dbs, filed) == 1


def test_a_stale_version_is_409_with_the_current_state(
    client: TestClient, cast: Cast, act: Act, filed: Report, dbs: Session
) -> None:
    version = filed.version
    act(filed, "set_priority", cast.operator, priority="urgent")
    dbs.commit()
    _as(client, "op")
    response = _post(client, filed, "verify_forward", version=version)
    assert response.status_code == 409
    assert "Someone else changed this report" in response.text
    assert 'data-state="submitted"' in response.text and "Urgent" in response.text
    assert _fresh(dbs, filed).state == S.submitted


def test_an_action_of_another_state_is_409(
    client: TestClient, cast: Cast, filed: Report, dbs: Session
) -> None:
    _as(client, "op")
    response = _post(client, filed, "approve_result")
    assert response.status_code == 409 and 'id="panel-error"' in response.text
    assert _fresh(dbs, filed).state == S.submitted


# --- Reject ---


def test_reject_without_a_reason_is_422_and_changes_nothing(
    client: TestClient, cast: Cast, filed: Report, dbs: Session
) -> None:
    _as(client, "op")
    response = _post(client, filed, "reject", reason="  ")
    assert response.status_code == 422
    assert "Give a reason." in response.text and 'data-field="reason"' in response.text
    assert _fresh(dbs, filed).state == S.submitted and _events(dbs, filed) == 1
    vietnamese = _as(client, "op", lang="vi")
    response = _post(vietnamese, filed, "reject", reason="")
    assert response.status_code == 422 and "Hãy nêu lý do." in response.text


def test_reject_with_a_template_uses_its_text_in_the_residents_language(
    client: TestClient, cast: Cast, filed: Report, dbs: Session
) -> None:
    _as(client, "op")
    html = client.get(f"/dashboard/reports/{filed.tracking_code}/panel").text
    assert "Complaint or denunciation" in html and "Ban Tiếp công dân" in html
    from dashboard.operator.reject_templates import RejectTemplate

    complaint = dbs.scalars(
        select(RejectTemplate).where(RejectTemplate.title_vi.contains("tố cáo"))
    ).one()
    assert "Luật Khiếu nại" in complaint.text_vi and "Luật Tố cáo" in complaint.text_vi
    response = _post(client, filed, "reject", template=complaint.id, reason="")
    assert response.status_code == 200, response.text
    fresh = _fresh(dbs, filed)
    assert fresh.state == S.rejected
    event = dbs.scalars(
        select(ReportEvent).where(ReportEvent.report_id == filed.id, ReportEvent.action == "reject")
    ).one()
    assert event.note == complaint.text_vi  # the resident wrote in Vietnamese


def test_an_edited_reason_wins_over_the_template(
    client: TestClient, cast: Cast, filed: Report, dbs: Session
) -> None:
    _as(client, "op")
    response = _post(client, filed, "reject", template="1", reason="Ảnh không rõ.")
    assert response.status_code == 200
    event = dbs.scalars(
        select(ReportEvent).where(ReportEvent.report_id == filed.id, ReportEvent.action == "reject")
    ).one()
    assert event.note == "Ảnh không rõ."


# --- Duplicate ---


def test_duplicate_candidates_side_by_side_and_followers_moved_once(
    client: TestClient, cast: Cast, post: Post, dbs: Session
) -> None:
    original = _file(post, dbs, description="Ổ gà lớn", phone="0901111111")
    dup = _file(post, dbs, description="Ổ gà", phone="0902222222")
    dbs.add_all(
        [
            Follower(report_id=dup.id, phone="0903333333", submitter_key="k3"),  # moves
            Follower(
                report_id=dup.id, phone="090 111 1111", submitter_key="k1"
            ),  # the original's reporter
            Follower(report_id=original.id, email="a@example.vn", submitter_key="ka"),
            Follower(report_id=dup.id, email="A@example.vn", submitter_key="kb"),  # follows already
        ]
    )
    dbs.commit()
    _as(client, "op")
    html = client.get(f"/dashboard/reports/{dup.tracking_code}/panel").text
    assert f'data-code="{original.tracking_code}"' in html and "Ổ gà lớn" in html
    assert 'class="compare"' in html and " m away" in html
    response = _post(client, dup, "mark_duplicate", of=original.tracking_code)
    assert response.status_code == 200, response.text
    assert original.tracking_code in response.text
    assert _fresh(dbs, dup).state == S.duplicate
    phones = dbs.scalars(select(Follower.phone).where(Follower.report_id == original.id)).all()
    emails = dbs.scalars(select(Follower.email).where(Follower.report_id == original.id)).all()
    assert sorted(p for p in phones if p) == ["0902222222", "0903333333"]  # reporter + mover
    assert [e for e in emails if e] == ["a@example.vn"]
    merged = dbs.scalars(
        select(ReportEvent).where(
            ReportEvent.report_id == dup.id, ReportEvent.action == "mark_duplicate"
        )
    ).one()
    sent = dbs.execute(
        select(Message.channel, Message.recipient).where(Message.event_id == merged.id)
    ).all()
    told = {recipient for _, recipient in sent}
    # The duplicate's reporter and its followers hear of the merge (moved or not), each once.
    assert {"0902222222", "0903333333", "0901111111", "A@example.vn"} <= told
    assert "a@example.vn" not in told  # follows the original only
    assert len(sent) == len(set(sent))


def test_duplicate_of_an_unknown_or_closed_report_is_refused(
    client: TestClient, cast: Cast, post: Post, act: Act, dbs: Session
) -> None:
    dup = _file(post, dbs)
    closed = _file(post, dbs)
    act(closed, "reject", cast.operator, reason="Sai")
    dbs.commit()
    _as(client, "op")
    for code, message in (
        ("PA-2000-999999", "No other report has this tracking code."),
        (closed.tracking_code, "The original report is itself closed."),
        ("", "Give the tracking code of the original report."),
    ):
        response = _post(client, dup, "mark_duplicate", of_code=code)
        assert response.status_code == 422, code
        assert message in response.text
    assert _fresh(dbs, dup).state == S.submitted


# --- Category, place, priority ---


def test_recategorise_routes_again_and_says_why(
    client: TestClient, cast: Cast, filed: Report, dbs: Session
) -> None:
    _as(client, "op")
    response = _post(client, filed, "recategorise", category="chieu-sang")
    assert response.status_code == 200, response.text
    assert "Routed again:" in response.text and "Street lighting" in response.text
    bad = _post(client, filed, "recategorise", category="no-such-category")
    assert bad.status_code == 422 and "Unknown category." in bad.text


def test_relocate_routes_again_and_refuses_bad_coordinates(
    client: TestClient, cast: Cast, filed: Report, dbs: Session
) -> None:
    _as(client, "op")
    version = filed.version
    for lat, lon, field in (("abc", "107.1", "lat"), ("95", "107.1", "lat"), ("10.4", "", "lon")):
        response = _post(client, filed, "relocate", lat=lat, lon=lon)
        assert response.status_code == 422, (lat, lon)
        assert f'data-field="{field}"' in response.text
    assert _fresh(dbs, filed).version == version
    response = _post(client, filed, "relocate", lat="10.3740", lon="107.0955")
    assert response.status_code == 200, response.text
    assert "Place corrected. Routed again:" in response.text
    assert _fresh(dbs, filed).version == version + 1


def test_set_priority_and_bad_priority(
    client: TestClient, cast: Cast, filed: Report, dbs: Session
) -> None:
    _as(client, "op")
    assert _post(client, filed, "set_priority", priority="soon").status_code == 422
    assert _post(client, filed, "set_priority", priority="").status_code == 422
    response = _post(client, filed, "set_priority", priority="urgent")
    assert response.status_code == 200
    assert _fresh(dbs, filed).priority == Priority.urgent


# --- Result review and extensions ---


@pytest.fixture
def in_progress(filed: Report, cast: Cast, act: Act, dbs: Session) -> Report:
    act(filed, "verify_forward", cast.operator)
    act(filed, "accept", cast.agency_a)
    dbs.commit()
    return filed


def test_a_result_is_reviewed_before_and_after_then_published(
    client: TestClient, cast: Cast, act: Act, in_progress: Report, dbs: Session
) -> None:
    act(in_progress, "resolve", cast.agency_a, photos=1, note="Đã vá")
    dbs.commit()
    _as(client, "op")
    html = client.get(f"/dashboard/reports/{in_progress.tracking_code}/panel").text
    assert 'class="before-after"' in html and "Đã vá" in html
    assert 'data-key="a"' in html and 'data-key="b"' in html
    assert _post(client, in_progress, "send_back", reason="").status_code == 422
    response = _post(client, in_progress, "approve_result")
    assert response.status_code == 200
    assert _fresh(dbs, in_progress).state == S.published


def test_a_result_sent_back_returns_to_the_agency(
    client: TestClient, cast: Cast, act: Act, in_progress: Report, dbs: Session
) -> None:
    act(in_progress, "resolve", cast.agency_a, photos=1, note="Đã vá")
    dbs.commit()
    _as(client, "op")
    response = _post(client, in_progress, "send_back", reason="Ảnh không thấy mặt đường")
    assert response.status_code == 200
    assert _fresh(dbs, in_progress).state == S.in_progress


def test_an_extension_is_shown_and_decided_by_a_supervisor(
    client: TestClient, cast: Cast, act: Act, in_progress: Report, dbs: Session
) -> None:
    until = in_progress.resolve_by
    assert until is not None
    day = until.date().isoformat()
    act(
        in_progress,
        "request_extension",
        cast.agency_a,
        until=f"{day}T23:00:00+07:00",
        reason="Chờ vật tư",
    )
    dbs.commit()
    _as(client, "op")
    html = client.get(f"/dashboard/reports/{in_progress.tracking_code}/panel").text
    assert "Chờ vật tư" in html and 'data-extension="requested"' in html
    assert 'id="panel-extension"' not in html  # a supervisor decides
    refused = _post(client, in_progress, "approve_extension")
    assert refused.status_code == 403 and 'id="panel-error"' in refused.text
    client.cookies.clear()
    _as(client, "sup")
    assert (
        'id="panel-extension"' in client.get(f"/dashboard/reports/{in_progress.tracking_code}").text
    )
    response = _post(client, in_progress, "approve_extension")
    assert response.status_code == 200, response.text
    fresh = _fresh(dbs, in_progress)
    assert fresh.extension_state == ExtensionState.approved
    assert fresh.extension_until is not None and fresh.resolve_by == fresh.extension_until


def test_a_denied_extension_keeps_the_deadline(
    client: TestClient, cast: Cast, act: Act, in_progress: Report, dbs: Session
) -> None:
    until = in_progress.resolve_by
    assert until is not None
    act(
        in_progress,
        "request_extension",
        cast.agency_a,
        until=f"{until.date().isoformat()}T23:00:00+07:00",
        reason="x",
    )
    dbs.commit()
    _as(client, "sup")
    response = _post(client, in_progress, "deny_extension", reason="Không đủ lý do")
    assert response.status_code == 200
    fresh = _fresh(dbs, in_progress)
    assert fresh.extension_state == ExtensionState.denied and fresh.resolve_by == until
    again = _post(client, in_progress, "deny_extension")
    assert again.status_code == 409 and 'data-key="x"' not in again.text


# --- Reject templates admin ---


def test_templates_are_added_edited_reordered_and_disabled(
    client: TestClient, cast: Cast, filed: Report, dbs: Session
) -> None:
    from dashboard.operator.reject_templates import RejectTemplate, listed

    _as(client, "sup")
    panel = client.get(f"/dashboard/reports/{filed.tracking_code}/panel").text
    assert 'href="/dashboard/reject-templates"' in panel
    page = client.get("/dashboard/reject-templates")
    assert page.status_code == 200 and "Khiếu nại, tố cáo" in page.text
    token = csrf_from(client, "/dashboard/reject-templates")
    fields = {
        "title_vi": "Trùng nội dung",
        "title_en": "Same content",
        "text_vi": "Đã có.",
        "text_en": "Known.",
    }
    added = client.post(
        "/dashboard/reject-templates",
        data={**fields, "active": "1", "csrf_token": token},
        follow_redirects=False,
    )
    assert added.status_code == 303
    rows = list(dbs.scalars(listed(active_only=False)))
    new = rows[-1]
    assert new.title_en == "Same content" and new.active
    moved = client.post(
        f"/dashboard/reject-templates/{new.id}/move",
        data={"direction": "up", "csrf_token": token},
        follow_redirects=False,
    )
    assert moved.status_code == 303
    dbs.expire_all()
    assert [r.id for r in dbs.scalars(listed(active_only=False))][-2] == new.id
    edited = client.post(
        f"/dashboard/reject-templates/{new.id}",
        data={**fields, "text_vi": "Đã có rồi.", "csrf_token": token},
        follow_redirects=False,
    )
    assert edited.status_code == 303
    dbs.expire_all()
    row = dbs.get_one(RejectTemplate, new.id)
    assert row.text_vi == "Đã có rồi." and not row.active  # unticked: hidden from operators
    client.cookies.clear()
    _as(client, "op")
    panel = client.get(f"/dashboard/reports/{filed.tracking_code}/panel").text
    assert "Same content" not in panel and 'href="/dashboard/reject-templates"' not in panel


def test_templates_bad_input_roles_and_csrf(client: TestClient, cast: Cast, dbs: Session) -> None:
    from dashboard.operator.reject_templates import RejectTemplate

    before = dbs.scalar(select(func.count()).select_from(RejectTemplate))
    _as(client, "sup")
    token = csrf_from(client, "/dashboard/reject-templates")
    missing = client.post(
        "/dashboard/reject-templates",
        data={"title_vi": "X", "title_en": "", "text_vi": "a", "text_en": "b", "csrf_token": token},
    )
    assert missing.status_code == 422 and 'data-field="title_en"' in missing.text
    assert "This field is required." in missing.text
    assert client.post("/dashboard/reject-templates", data={"title_vi": "X"}).status_code == 403
    assert client.get("/dashboard/reject-templates?edit=999999").status_code == 404
    client.cookies.clear()
    _as(client, "op")
    assert client.get("/dashboard/reject-templates").status_code == 403
    client.cookies.clear()
    _as(client, "staff-a")
    assert client.get("/dashboard/reject-templates").status_code == 403
    assert dbs.scalar(select(func.count()).select_from(RejectTemplate)) == before


def test_an_admin_may_triage_too(
    client: TestClient, cast: Cast, filed: Report, dbs: Session, make_user: MakeUser
) -> None:
    make_user("admin2", Role.admin)
    _as(client, "admin2")
    assert client.get(f"/dashboard/reports/{filed.tracking_code}/panel").status_code == 200


# --- More bad input, media, closed reports ---


def test_the_back_field_keeps_only_the_dashboards_query(
    client: TestClient, cast: Cast, filed: Report, dbs: Session
) -> None:
    _as(client, "op")
    response = _post(
        client, filed, "set_priority", fetch=False, priority="urgent", back="//evil.example/x"
    )
    assert response.status_code == 303
    assert response.headers["location"] == f"/dashboard?report={filed.tracking_code}"


def test_a_version_that_is_not_a_number_is_422(
    client: TestClient, cast: Cast, filed: Report, dbs: Session
) -> None:
    _as(client, "op")
    for version in ("abc", "²", "99999999999"):
        response = _post(client, filed, "verify_forward", version=version)
        assert response.status_code == 422, version
        assert "The form is out of date." in response.text
    assert _fresh(dbs, filed).state == S.submitted


def test_a_disabled_template_does_not_fill_the_reason(
    client: TestClient, cast: Cast, filed: Report, dbs: Session
) -> None:
    from dashboard.operator.reject_templates import RejectTemplate

    template = dbs.scalars(select(RejectTemplate).order_by(RejectTemplate.id)).first()
    assert template is not None
    template.active = False
    dbs.commit()
    _as(client, "op")
    response = _post(client, filed, "reject", template=template.id)
    assert response.status_code == 422 and "Give a reason." in response.text
    assert _fresh(dbs, filed).state == S.submitted


def test_a_closed_report_shows_no_forms(
    client: TestClient, cast: Cast, act: Act, filed: Report, dbs: Session
) -> None:
    act(filed, "reject", cast.operator, reason="Sai")
    dbs.commit()
    _as(client, "op")
    html = client.get(f"/dashboard/reports/{filed.tracking_code}/panel").text
    assert 'data-state="rejected"' in html and "data-key=" not in html
    assert 'class="panel-form"' not in html and 'data-action="reject"' in html  # the timeline


def test_a_video_plays_for_the_ioc_with_a_poster_and_no_preload(
    client: TestClient, post: Post, cast: Cast, dbs: Session
) -> None:
    created = post(category="giao-thong", photos=[photo()], video=samples.video()).json()
    report = dbs.get_one(Report, created["id"])
    video = dbs.scalars(
        select(ReportMedia).where(ReportMedia.report_id == report.id, ReportMedia.kind == "video")
    ).one()
    _as(client, "op")
    html = client.get(f"/dashboard/reports/{report.tracking_code}/panel").text
    url = f"/dashboard/reports/{report.tracking_code}/media/{video.id}"
    assert f'src="{url}"' in html and 'preload="none"' in html and "poster=" in html
    answer = client.get(url)
    assert answer.status_code == 200 and answer.headers["content-type"] == "video/mp4"
    assert client.get(f"/dashboard/reports/{report.tracking_code}/media/999999").status_code == 404
    client.cookies.clear()
    _as(client, "staff-a")
    assert client.get(url).status_code == 403
