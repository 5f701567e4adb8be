"""The operators' queue: its order, keyset pages, names, and the JSON route."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy.orm import Session

from dashboard.operator.filters import bound_values, parse_filters, shape
from dashboard.operator.queue import _page_statement, encode_cursor, first_page, page
from ioc import i18n
from ioc.auth.models import Role
from ioc.db import utcnow
from ioc.errors import InvalidInput
from reports.models import ReportState
from tests.conftest import MakeUser, sign_in
from tests.dashboard.operator.conftest import MakeReport, explain

WORD = "queuetestword"  # in each report of these tests: the text filter isolates them


def test_overdue_first_then_nearest_deadline_then_newest(
    dbs: Session, make_report: MakeReport
) -> None:
    now = utcnow()
    later = make_report(description=WORD, due_in=timedelta(hours=5))
    sooner = make_report(description=WORD, due_in=timedelta(hours=1))
    flagged = make_report(description=WORD, due_in=timedelta(hours=-2), overdue=True)
    closed_old = make_report(
        description=WORD,
        state=ReportState.published,
        due_in=None,
        created_at=now - timedelta(days=2),
    )
    closed_new = make_report(description=WORD, state=ReportState.rejected, due_in=None)
    passed = make_report(description=WORD, due_in=timedelta(minutes=-5))  # not swept yet
    f = parse_filters(dbs, {"q": WORD, "state": "all"})
    rows = first_page(dbs, f).rows
    assert [r.code for r in rows] == [
        flagged.tracking_code,
        passed.tracking_code,
        sooner.tracking_code,
        later.tracking_code,
        closed_new.tracking_code,
        closed_old.tracking_code,
    ]
    assert [r.overdue for r in rows] == [True, True, False, False, False, False]


def test_pages_follow_a_cursor_without_gaps_or_repeats(
    dbs: Session, make_report: MakeReport
) -> None:
    made = []
    for i in range(13):
        due = None if i % 4 == 0 else timedelta(hours=i % 3)  # ties on the deadline
        state = ReportState.published if due is None else ReportState.submitted
        made.append(make_report(description=WORD, due_in=due, state=state, overdue=i % 5 == 1))
    f = parse_filters(dbs, {"q": WORD, "state": "all"})
    everything = [r.code for r in first_page(dbs, f, limit=100).rows]
    seen: list[str] = []
    cursor: str | None = None
    while True:
        current = page(dbs, f, after=cursor, limit=4)
        seen.extend(r.code for r in current.rows)
        if current.next is None:
            break
        cursor = current.next
    assert seen == everything and sorted(seen) == sorted(r.tracking_code for r in made)


def test_a_row_has_its_names_and_place(dbs: Session, make_report: MakeReport) -> None:
    report = make_report(
        description=WORD, state=ReportState.assigned, agency="ca-26526", suggested="ubnd-26526"
    )
    suggested_only = make_report(description=WORD, due_in=timedelta(hours=3))
    rows = {r.code: r for r in first_page(dbs, parse_filters(dbs, {"q": WORD})).rows}
    row = rows[report.tracking_code]
    assert row.category_code == "giao-thong" and row.category_icon
    assert row.category_name == "Giao thông"
    assert row.ward_name == "Phường Tam Thắng"
    assert row.agency_name == "Công an Phường Tam Thắng"  # forwarded: the agency it went to
    assert rows[suggested_only.tracking_code].agency_name == "UBND Phường Tam Thắng"
    assert abs(row.lat - 10.3736) < 1e-6 and abs(row.lon - 107.095) < 1e-6
    i18n.set_locale("en")
    try:
        english = first_page(dbs, parse_filters(dbs, {"q": WORD})).rows[0]
    finally:
        i18n.set_locale("vi")
    assert english.category_name == "Roads and traffic"


@pytest.mark.parametrize(
    "cursor",
    ["", "garbage", "e30", encode_cursor(False, None, utcnow(), 1)[:-3], "x" * 5000, "W1sxXV0"],
)
def test_a_bad_cursor_is_a_422(dbs: Session, cursor: str) -> None:
    f = parse_filters(dbs, {})
    if not cursor:  # an empty cursor is the first page
        assert page(dbs, f, after=cursor).rows is not None
        return
    with pytest.raises(InvalidInput) as raised:
        page(dbs, f, after=cursor)
    assert raised.value.field == "after"


def test_the_first_page_reads_the_queue_index_in_order(dbs: Session) -> None:
    f = parse_filters(dbs, {})
    statement = _page_statement(shape(f), None)
    # On the test's near-empty table a sort is cheapest: ask what the planner does without one.
    values = {**bound_values(f), "limit": 51}
    plan = explain(dbs, statement, values, seqscan=False, sort=False)
    assert "Index Scan using ix_reports_queue" in plan and "Sort Key" not in plan, plan


def test_queue_json(operator_client: Any, make_report: MakeReport) -> None:
    first = make_report(description=WORD, due_in=timedelta(hours=1))
    second = make_report(description=WORD, due_in=timedelta(hours=2))
    answer = operator_client.get(f"/dashboard/queue.json?q={WORD}&limit=1")
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert [row["code"] for row in body["rows"]] == [first.tracking_code]
    assert body["rows"][0]["state"] == "submitted" and body["rows"][0]["overdue"] is False
    rest = operator_client.get(f"/dashboard/queue.json?q={WORD}&limit=1&after={body['next']}")
    assert [row["code"] for row in rest.json()["rows"]] == [second.tracking_code]
    assert rest.json()["next"] is None
    assert "max-age" in answer.headers["cache-control"]


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("state=nope", "state"),
        ("q=" + "x" * 10_000, "q"),
        ("after=%%%", "after"),
        ("limit=0", "limit"),
        ("limit=abc", "limit"),
    ],
)
def test_queue_json_bad_input(operator_client: Any, query: str, field: str) -> None:
    answer = operator_client.get(
        f"/dashboard/queue.json?{query}", headers={"Accept": "application/json"}
    )
    assert answer.status_code == 422
    assert answer.json()["field"].endswith(field)
    assert answer.headers["content-type"].startswith("application/problem+json")


def test_queue_json_is_for_the_ioc(client: Any, make_user: MakeUser) -> None:
    assert client.get("/dashboard/queue.json").status_code == 401
    make_user("agency1", Role.agency_staff)
    sign_in(client, "agency1")
    assert client.get("/dashboard/queue.json").status_code == 403
