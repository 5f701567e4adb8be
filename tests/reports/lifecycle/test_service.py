"""The lifecycle function: every transition of DOMAIN.md, who may take it, and what it refuses."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from ioc.errors import Conflict, Forbidden, InvalidInput, InvalidTransition, NotFound
from reports.lifecycle.rules import RULES, Action
from reports.models import ExtensionState, Follower, Report, ReportEvent, ReportMedia, ReportState
from routing.sla import VN_TZ
from tests.reports.conftest import Post, photo
from tests.reports.lifecycle.conftest import Act, Cast, event_count

S = ReportState


def state(report: Report) -> ReportState:
    """The report's state (a call, so that mypy does not narrow it between actions)."""
    return report.state


def _forward(act: Act, report: Report, cast: Cast) -> None:
    act(report, "verify_forward", cast.operator)


def test_the_whole_lifecycle(act: Act, cast: Cast, filed: Report, dbs: Session) -> None:
    act(filed, "verify_forward", cast.operator)
    assert state(filed) == S.assigned and filed.agency_id == filed.suggested_agency_id
    assert filed.due_at == filed.accept_by and filed.forwarded_at is not None
    act(filed, "accept", cast.agency_a)
    assert state(filed) == S.in_progress and filed.due_at == filed.resolve_by
    assert filed.resolve_by is not None
    until = (filed.resolve_by + timedelta(days=2)).astimezone(VN_TZ).date().isoformat()
    act(filed, "request_extension", cast.agency_a, until=until, reason="Chờ vật tư")
    assert filed.extension_state == ExtensionState.requested and state(filed) == S.in_progress
    act(filed, "approve_extension", cast.supervisor)
    assert filed.resolve_by == filed.extension_until == filed.due_at
    event = act(filed, "resolve", cast.agency_a, note="Đã vá ổ gà", photos=2)
    assert state(filed) == S.resolved and filed.result_text == "Đã vá ổ gà"
    after = dbs.scalars(select(ReportMedia).where(ReportMedia.event_id == event.id)).all()
    assert [m.stage for m in after] == ["result", "result"]
    assert sorted(event.payload["media"]) == sorted(m.id for m in after)
    act(filed, "approve_result", cast.operator)
    assert state(filed) == S.published and filed.published_at is not None
    act(filed, "reopen", cast.resident, note="Ổ gà lại xuất hiện")
    assert state(filed) == S.reopened and filed.suggested_agency_id == filed.agency_id
    act(filed, "verify_forward", cast.operator)
    assert state(filed) == S.assigned
    actions = [
        e.action
        for e in dbs.scalars(
            select(ReportEvent).where(ReportEvent.report_id == filed.id).order_by(ReportEvent.id)
        )
    ]
    assert actions == [
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
    assert filed.version == 9


def test_forward_to_another_agency_and_return(act: Act, cast: Cast, filed: Report) -> None:
    event = act(filed, "verify_forward", cast.operator, agency="ca-26526")
    assert event.payload["agency_code"] == "ca-26526" and filed.agency_id == cast.agency_b.agency_id
    with pytest.raises(NotFound):  # agency A no longer sees it
        act(filed, "accept", cast.agency_a)
    act(filed, "return", cast.agency_b, reason="Không thuộc thẩm quyền")
    assert state(filed) == S.returned and filed.due_at == filed.verify_by
    act(filed, "verify_forward", cast.operator)
    assert filed.agency_id == cast.agency_a.agency_id


def test_reject_and_duplicate_close_the_report(
    act: Act, cast: Cast, filed: Report, post: Post, dbs: Session
) -> None:
    other = post(category="giao-thong", photos=[photo()], email="a@example.vn").json()
    dup = dbs.get_one(Report, other["id"])
    act(dup, "mark_duplicate", cast.operator, of=filed.tracking_code)
    assert state(dup) == S.duplicate and dup.duplicate_of_id == filed.id and dup.due_at is None
    follower = dbs.scalars(select(Follower).where(Follower.report_id == filed.id)).one()
    assert follower.email == "a@example.vn"
    event = act(filed, "reject", cast.supervisor, reason="Trùng nội dung")
    assert state(filed) == S.rejected and event.payload == {"reason": "Trùng nội dung"}


STAFF_FOR = {
    frozenset({"ioc_operator", "ioc_supervisor"}): "operator",
    frozenset({"ioc_supervisor"}): "supervisor",
    frozenset({"agency"}): "agency_a",
    frozenset({"resident"}): "resident",
}
FORBIDDEN_PAIRS = [
    (action, state)
    for action, rule in RULES.items()
    for state in ReportState
    if state not in rule.sources
]


@pytest.mark.parametrize(("action", "state"), FORBIDDEN_PAIRS)
def test_every_forbidden_transition_is_a_409_that_changes_nothing(
    act: Act, cast: Cast, filed: Report, dbs: Session, action: Action, state: ReportState
) -> None:
    filed.state = state
    filed.agency_id = cast.agency_a.agency_id
    dbs.flush()
    actor = getattr(cast, STAFF_FOR[RULES[action].who])
    before = event_count(dbs, filed)
    with pytest.raises(InvalidTransition) as raised:
        act(filed, action.value, actor, reason="x", note="x")
    assert raised.value.extra is not None and raised.value.extra["state"] == state.value
    assert all(
        RULES[Action(a)].who & {"ioc_operator", "ioc_supervisor", "agency", "resident"}
        for a in raised.value.extra["allowed"]
    )
    assert event_count(dbs, filed) == before and filed.version == 1


WHO = ("operator", "supervisor", "admin", "agency_a", "agency_b", "resident")


def _may(action: Action, who: str) -> bool:
    allowed = RULES[action].who
    return (
        (who == "operator" and "ioc_operator" in allowed)
        or (who == "supervisor" and "ioc_supervisor" in allowed)
        or (who == "agency_a" and "agency" in allowed)
        or (who == "resident" and "resident" in allowed)
    )


@pytest.mark.parametrize(("action", "who"), [(a, w) for a in Action for w in WHO if not _may(a, w)])
def test_every_forbidden_role_or_agency(
    act: Act, cast: Cast, filed: Report, dbs: Session, action: Action, who: str
) -> None:
    filed.state = next(iter(RULES[action].sources))
    filed.agency_id = cast.agency_a.agency_id
    dbs.flush()
    expected = NotFound if who == "agency_b" else Forbidden
    with pytest.raises(expected):
        act(filed, action.value, getattr(cast, who), reason="x", note="x")
    assert filed.version == 1 and event_count(dbs, filed) == 1


@pytest.mark.parametrize(
    ("action", "state", "who", "field"),
    [
        ("reject", S.submitted, "operator", "reason"),
        ("return", S.assigned, "agency_a", "reason"),
        ("send_back", S.resolved, "operator", "reason"),
        ("mark_duplicate", S.submitted, "operator", "of"),
        ("request_extension", S.in_progress, "agency_a", "until"),
        ("resolve", S.in_progress, "agency_a", "note"),
        ("reopen", S.published, "resident", "note"),
        ("recategorise", S.submitted, "operator", "category"),
        ("relocate", S.submitted, "operator", "lat"),
        ("set_priority", S.submitted, "operator", "priority"),
    ],
)
def test_a_missing_field_is_a_422_that_changes_nothing(
    act: Act, cast: Cast, filed: Report, dbs: Session, action: str, state: S, who: str, field: str
) -> None:
    filed.state = state
    filed.agency_id = cast.agency_a.agency_id
    dbs.flush()
    with pytest.raises(InvalidInput) as raised:
        act(filed, action, getattr(cast, who), reason="  ")
    assert raised.value.field == field
    assert filed.state == state and filed.version == 1 and event_count(dbs, filed) == 1


def test_resolve_needs_an_after_photo(act: Act, cast: Cast, filed: Report, dbs: Session) -> None:
    _forward(act, filed, cast)
    act(filed, "accept", cast.agency_a)
    with pytest.raises(InvalidInput) as raised:
        act(filed, "resolve", cast.agency_a, note="Xong")
    assert raised.value.field == "photos" and state(filed) == S.in_progress


def test_one_extension_of_at_most_five_working_days(act: Act, cast: Cast, filed: Report) -> None:
    _forward(act, filed, cast)
    act(filed, "accept", cast.agency_a)
    assert filed.resolve_by is not None
    due = filed.resolve_by.astimezone(VN_TZ)
    for until, message in [
        ("2020-01-01", "future"),
        ((due + timedelta(days=30)).date().isoformat(), "5 working days"),
        ("31/12/2026", "2026-12-31"),
    ]:
        with pytest.raises(InvalidInput) as raised:
            act(filed, "request_extension", cast.agency_a, until=until, reason="r")
        assert raised.value.field == "until" and message in str(raised.value)
    act(
        filed,
        "request_extension",
        cast.agency_a,
        until=(due + timedelta(days=1)).isoformat(),
        reason="r",
    )
    act(filed, "deny_extension", cast.supervisor, reason="Không đủ căn cứ")
    assert filed.extension_state == ExtensionState.denied and filed.resolve_by == due
    with pytest.raises(Conflict):
        act(
            filed,
            "request_extension",
            cast.agency_a,
            until=(due + timedelta(days=1)).isoformat(),
            reason="r",
        )
    with pytest.raises(Conflict):
        act(filed, "approve_extension", cast.supervisor)


def test_a_stale_version_is_a_409_with_the_current_state(
    act: Act, cast: Cast, filed: Report
) -> None:
    act(filed, "verify_forward", cast.operator, version=1)
    with pytest.raises(Conflict) as raised:
        act(filed, "accept", cast.agency_a, version=1)
    assert raised.value.extra == {"state": "assigned", "version": 2}
    act(filed, "accept", cast.agency_a, version=2)
    assert state(filed) == S.in_progress


def test_reopen_only_within_seven_days(act: Act, cast: Cast, filed: Report) -> None:
    _forward(act, filed, cast)
    act(filed, "accept", cast.agency_a)
    act(filed, "resolve", cast.agency_a, note="Xong", photos=1)
    act(filed, "approve_result", cast.operator)
    assert filed.published_at is not None
    late = filed.published_at + timedelta(days=7, minutes=1)
    with pytest.raises(Conflict):
        act(filed, "reopen", cast.resident, note="Chưa sửa", now=late)
    act(filed, "reopen", cast.resident, note="Chưa sửa", now=late - timedelta(minutes=2))
    assert state(filed) == S.reopened


def test_unknown_action_is_a_404(act: Act, cast: Cast, filed: Report) -> None:
    with pytest.raises(NotFound) as raised:
        act(filed, "fly_away", cast.operator)
    assert "verify_forward" in str(raised.value)


def test_recategorise_relocate_and_priority_route_again(
    act: Act, cast: Cast, filed: Report
) -> None:
    event = act(filed, "recategorise", cast.operator, category="chieu-sang")
    assert event.payload["from"] == "giao-thong" and event.payload["suggested_agency"]
    assert filed.suggested_agency_id != cast.agency_a.agency_id
    resolve_by = filed.resolve_by
    act(filed, "set_priority", cast.operator, priority="urgent")
    # Urgent counts calendar hours: the result is due within hours, not working days (the
    # verification deadline may not move: two working hours can equal two calendar hours).
    assert filed.priority == "urgent" and filed.resolve_by != resolve_by
    assert filed.resolve_by is not None and filed.resolve_by <= filed.created_at + timedelta(
        hours=4
    )
    act(filed, "relocate", cast.operator, lat=16.4668, lon=107.5786)  # Huế
    assert filed.ward_id is not None and state(filed) == S.submitted and filed.version == 4
    with pytest.raises(InvalidInput):
        act(filed, "set_priority", cast.operator, priority="whenever")
    assert isinstance(filed.due_at, datetime)
