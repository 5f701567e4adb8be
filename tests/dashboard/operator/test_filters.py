"""The dashboard's filters: every parameter, the URL round trip, and bad input."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from urllib.parse import parse_qs

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from dashboard.operator.filters import (
    DEFAULT_STATES,
    Filters,
    conditions,
    parse_filters,
)
from ioc import i18n
from ioc.errors import InvalidInput
from reports.models import Report, ReportState
from routing.sla import VN_TZ, Priority
from tests.dashboard.operator.conftest import HUE, MakeReport, explain


def codes(dbs: Session, f: Filters, *among: Report) -> set[str]:
    """Which of these reports the filters select."""
    found = dbs.scalars(
        select(Report.tracking_code).where(Report.id.in_([r.id for r in among]), *conditions(f))
    )
    return set(found)


def test_defaults_are_the_open_reports(dbs: Session, make_report: MakeReport) -> None:
    open_ = make_report(state=ReportState.assigned, agency="ubnd-26526")
    closed = make_report(state=ReportState.published, due_in=None)
    rejected = make_report(state=ReportState.rejected, due_in=None)
    f = parse_filters(dbs, {})
    assert f == Filters() and f.states == DEFAULT_STATES and f.query_string() == ""
    assert codes(dbs, f, open_, closed, rejected) == {open_.tracking_code}
    everything = parse_filters(dbs, {"state": "all"})
    assert codes(dbs, everything, open_, closed, rejected) == {
        open_.tracking_code,
        closed.tracking_code,
        rejected.tracking_code,
    }


def test_states_repeated_or_comma_separated(dbs: Session, make_report: MakeReport) -> None:
    a = make_report(state=ReportState.submitted)
    b = make_report(state=ReportState.rejected, due_in=None)
    c = make_report(state=ReportState.in_progress, agency="ubnd-26526")
    repeated = parse_filters(dbs, {"state": ["rejected", "submitted"]})
    assert parse_filters(dbs, {"state": "submitted, rejected"}) == repeated
    assert repeated.states == (ReportState.submitted, ReportState.rejected)  # lifecycle order
    assert codes(dbs, repeated, a, b, c) == {a.tracking_code, b.tracking_code}
    # A group and a state together: every open state plus the rejected ones.
    assert set(parse_filters(dbs, {"state": "open,rejected"}).states) == {
        *DEFAULT_STATES,
        ReportState.rejected,
    }


def test_category_agency_ward_priority(dbs: Session, make_report: MakeReport) -> None:
    road = make_report(category="giao-thong")
    light = make_report(category="chieu-sang", priority=Priority.urgent)
    forwarded = make_report(state=ReportState.assigned, agency="ca-26526", suggested="ubnd-26526")
    hue = make_report(ward="19789", at=HUE, suggested=None)
    everyone = (road, light, forwarded, hue)
    assert codes(dbs, parse_filters(dbs, {"category": "chieu-sang"}), *everyone) == {
        light.tracking_code
    }
    # An agency's reports: forwarded to it, or (not yet forwarded) suggested to it.
    by_ubnd = parse_filters(dbs, {"agency": "ubnd-26526"})
    assert codes(dbs, by_ubnd, *everyone) == {road.tracking_code, light.tracking_code}
    by_police = parse_filters(dbs, {"agency": ["ca-26526"]})
    assert codes(dbs, by_police, *everyone) == {forwarded.tracking_code}
    assert codes(dbs, parse_filters(dbs, {"ward": "19789"}), *everyone) == {hue.tracking_code}
    urgent = parse_filters(dbs, {"priority": "urgent"})
    assert codes(dbs, urgent, *everyone) == {light.tracking_code}


def test_dates_are_vietnam_days_inclusive(dbs: Session, make_report: MakeReport) -> None:
    # 23:30 on 1 March in Vietnam is still 1 March there, though 16:30 UTC.
    late_evening = make_report(created_at=datetime(2026, 3, 1, 23, 30, tzinfo=VN_TZ))
    next_morning = make_report(created_at=datetime(2026, 3, 2, 0, 10, tzinfo=VN_TZ))
    before = make_report(created_at=datetime(2026, 2, 28, 23, 59, tzinfo=VN_TZ))
    all_three = (late_evening, next_morning, before)
    march_1 = parse_filters(dbs, {"from": "2026-03-01", "to": "2026-03-01"})
    assert codes(dbs, march_1, *all_three) == {late_evening.tracking_code}
    since = parse_filters(dbs, {"from": "2026-03-01"})
    assert codes(dbs, since, *all_three) == {late_evening.tracking_code, next_morning.tracking_code}
    until = parse_filters(dbs, {"to": "2026-02-28"})
    assert codes(dbs, until, *all_three) == {before.tracking_code}


def test_overdue_flagged_or_past_its_deadline(dbs: Session, make_report: MakeReport) -> None:
    flagged = make_report(overdue=True, due_in=timedelta(hours=-3))
    passed = make_report(due_in=timedelta(minutes=-1))  # the sweep has not run yet
    on_time = make_report(due_in=timedelta(hours=1))
    f = parse_filters(dbs, {"overdue": "1"})
    assert f.overdue and codes(dbs, f, flagged, passed, on_time) == {
        flagged.tracking_code,
        passed.tracking_code,
    }
    assert not parse_filters(dbs, {"overdue": "0"}).overdue


def test_text_matches_a_tracking_code_or_words(dbs: Session, make_report: MakeReport) -> None:
    pothole = make_report(description="Ổ gà lớn trên đường Trần Phú, xe máy dễ ngã")
    lamp = make_report(description="Đèn đường không sáng ở hẻm 12")
    both = (pothole, lamp)
    by_code = parse_filters(dbs, {"q": f"  {pothole.tracking_code.lower()} "})
    assert codes(dbs, by_code, *both) == {pothole.tracking_code}
    assert codes(dbs, parse_filters(dbs, {"q": "trần   phú"}), *both) == {pothole.tracking_code}
    assert codes(dbs, parse_filters(dbs, {"q": "đèn hẻm"}), *both) == {lamp.tracking_code}
    assert codes(dbs, parse_filters(dbs, {"q": "đèn phú"}), *both) == set()  # every word
    # Punctuation and operators are words, not syntax.
    assert codes(dbs, parse_filters(dbs, {"q": "!(& | ' :*"}), *both) == set()


def test_the_text_search_uses_the_words_index(dbs: Session) -> None:
    f = parse_filters(dbs, {"q": "ổ gà", "state": "all"})
    plan = explain(dbs, select(Report.id).where(*conditions(f)), seqscan=False)
    assert "ix_reports_description_words" in plan


@pytest.mark.parametrize(
    "params",
    [
        {},
        {"state": "all"},
        {"state": "submitted,returned", "priority": "urgent,complex"},
        {
            "category": "giao-thong,chieu-sang",
            "agency": "ubnd-26526",
            "ward": "26526,19789",
            "from": "2026-01-01",
            "to": "2026-02-01",
            "overdue": "1",
            "q": "ổ gà & 100% <b>",
        },
    ],
)
def test_query_string_round_trips(dbs: Session, params: dict[str, str]) -> None:
    f = parse_filters(dbs, params)
    again = parse_filters(dbs, parse_qs(f.query_string()))
    assert again == f
    assert again.query_string() == f.query_string()


def test_round_trip_keeps_a_canonical_order(dbs: Session) -> None:
    f = parse_filters(dbs, {"category": "chieu-sang,giao-thong,chieu-sang"})
    assert [ref.code for ref in f.categories] == ["chieu-sang", "giao-thong"]
    assert f.query_string() == "category=chieu-sang,giao-thong"


BAD = [
    ({"state": "open,lost"}, "state", "Trạng thái không rõ: lost."),
    ({"category": "giao-thong,nope"}, "category", "Lĩnh vực không rõ: nope."),
    ({"agency": "no-such-agency"}, "agency", "Cơ quan không rõ: no-such-agency."),
    ({"ward": "99999"}, "ward", "Phường, xã không rõ: 99999."),
    ({"ward": "79"}, "ward", "Phường, xã không rõ: 79."),  # a province is not a ward
    ({"priority": "asap"}, "priority", "Mức ưu tiên không rõ: asap."),
    ({"from": "2026-13-01"}, "from", "Không phải ngày (YYYY-MM-DD): 2026-13-01."),
    ({"to": "yesterday"}, "to", "Không phải ngày (YYYY-MM-DD): yesterday."),
    ({"from": "20260101"}, "from", "Không phải ngày (YYYY-MM-DD): 20260101."),
    ({"to": "9999-12-31"}, "to", "Hãy chọn ngày từ 2000-01-01 đến 2099-12-31."),
    ({"from": "2026-03-02", "to": "2026-03-01"}, "to", "Ngày kết thúc trước ngày bắt đầu."),
    ({"overdue": "maybe"}, "overdue", "Hãy dùng 1 hoặc 0."),
    ({"q": "x" * 10_000}, "q", "Nội dung tìm kiếm dài quá 200 ký tự."),
    ({"category": ",".join(f"c{i}" for i in range(101))}, "category", "Quá nhiều giá trị"),
    ({"agency": "a" * 5000}, "agency", "Cơ quan không rõ: " + "a" * 64),
]


@pytest.mark.parametrize(("params", "field", "message"), BAD)
def test_bad_input_names_the_field(
    dbs: Session, params: dict[str, str], field: str, message: str
) -> None:
    with pytest.raises(InvalidInput) as raised:
        parse_filters(dbs, params)
    assert raised.value.field == field
    assert message in i18n.gettext(raised.value.detail, **raised.value.params)


def test_a_date_range_is_dates(dbs: Session) -> None:
    f = parse_filters(dbs, {"from": "2026-01-01", "to": ["2025-01-01", "2026-01-31"]})
    assert (f.since, f.until) == (date(2026, 1, 1), date(2026, 1, 31))  # the last value counts
