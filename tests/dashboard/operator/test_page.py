"""The operators' page through HTTP: who may open it, the filters in the URL, the queue and the
counts it shows, its layers, and what it says in each language."""

from __future__ import annotations

import html
import json
import re
from dataclasses import replace
from datetime import datetime, timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from dashboard.operator import page as operator_page
from dashboard.operator import views
from dashboard.operator.filters import ALL_STATES, conditions, parse_filters
from ioc.db import utcnow
from reports.models import Report
from routing.sla import VN_TZ
from tests.conftest import sign_in
from tests.reports.conftest import Post, photo
from tests.reports.lifecycle.conftest import Act, Cast


def _signed_in(client: TestClient, username: str, lang: str = "vi") -> TestClient:
    client.cookies.set("ioc_lang", lang)
    sign_in(client, username)
    return client


def _codes(page: str) -> list[str]:
    queue = re.search(r'<ol class="queue" id="queue".*?</ol>', page, re.S)
    assert queue, "the page has no queue"
    return re.findall(r'<li class="queue-row[^"]*" data-code="([^"]+)"', queue.group(0))


def _data(page: str) -> dict[str, Any]:
    found = re.search(
        r'<script type="application/json" id="dashboard-data"[^>]*>(.*?)</script>', page, re.S
    )
    assert found
    loaded: dict[str, Any] = json.loads(found.group(1))
    return loaded


def _counts(page: str) -> dict[str, int]:
    return {
        state: int(n)
        for state, n in re.findall(
            r'data-state="(\w+)"[^>]*><span class="count-label">[^<]*</span> '
            r'<span class="count" data-role="count">(\d+)<',
            page,
        )
    }


def _file(post: Post, dbs: Session, **fields: Any) -> Report:
    created = post(category=fields.pop("category", "giao-thong"), photos=[photo()], **fields)
    assert created.status_code == 201, created.text
    return dbs.get_one(Report, created.json()["id"])


@pytest.fixture
def op(client: TestClient, cast: Cast) -> TestClient:
    """The test client, signed in as an IOC operator (Vietnamese)."""
    return _signed_in(client, "op")


# --- Who may open it ------------------------------------------------------------------------


@pytest.mark.parametrize("username", ["op", "sup", "adm"])
def test_the_ioc_opens_the_page(client: TestClient, cast: Cast, username: str) -> None:
    page = _signed_in(client, username).get("/dashboard")
    assert page.status_code == 200
    assert 'id="filters"' in page.text and 'id="queue"' in page.text
    assert 'class="folium-map"' in page.text
    assert '<a href="/dashboard">Bảng điều hành</a>' in page.text  # in the top bar


@pytest.mark.parametrize(
    "path",
    ["/dashboard", "/dashboard/counts.json", "/dashboard/layers/service-areas.geojson"],
)
def test_agency_staff_get_403_and_visitors_401(client: TestClient, cast: Cast, path: str) -> None:
    assert client.get(path).status_code == 401
    assert _signed_in(client, "staff-a").get(path).status_code == 403
    assert '<a href="/dashboard">' not in client.get("/agency").text


# --- Filters in the URL ---------------------------------------------------------------------


def test_the_queue_lists_open_reports_and_the_filters_choose_among_them(
    op: TestClient, post: Post, act: Act, cast: Cast, dbs: Session
) -> None:
    pothole = _file(post, dbs)
    rubbish = _file(post, dbs, category="ve-sinh-moi-truong")
    rejected = _file(post, dbs)
    act(rejected, "reject", cast.operator, reason="Không rõ")
    dbs.commit()
    default = _codes(op.get("/dashboard").text)
    assert pothole.tracking_code in default and rubbish.tracking_code in default
    assert rejected.tracking_code not in default  # the default view is the open reports

    only_roads = op.get("/dashboard?category=giao-thong").text
    assert pothole.tracking_code in _codes(only_roads)
    assert rubbish.tracking_code not in _codes(only_roads)
    assert re.search(r'<option value="giao-thong" selected>', only_roads)

    closed = op.get("/dashboard?state=rejected").text
    assert _codes(closed) and rejected.tracking_code in _codes(closed)
    assert pothole.tracking_code not in _codes(closed)
    assert _codes(op.get(f"/dashboard?state=all&q={pothole.tracking_code}").text) == [
        pothole.tracking_code
    ]


def test_the_form_shows_the_urls_filters_and_the_page_keeps_them_for_its_script(
    op: TestClient,
) -> None:
    url = (
        "/dashboard?state=submitted,returned&category=giao-thong&from=2026-01-01&to=2026-01-31"
        "&overdue=1&q=%E1%BB%95+g%C3%A0"
    )
    page = op.get(url).text
    assert '<option value="submitted,returned" selected>' in page
    assert 'name="from" id="filter-from" value="2026-01-01"' in page
    assert 'name="to" id="filter-to" value="2026-01-31"' in page
    assert re.search(r'id="filter-overdue" checked', page)
    assert 'value="ổ gà"' in page
    data = _data(page)
    assert data["query"] == (
        "state=submitted,returned&category=giao-thong&from=2026-01-01&to=2026-01-31"
        "&overdue=1&q=%E1%BB%95+g%C3%A0"
    )
    assert data["report"] is None
    assert _data(op.get("/dashboard?report=PA-2026-000001").text)["report"] == "PA-2026-000001"


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("category=no-such-thing", "category"),
        ("state=sleeping", "state"),
        ("from=2026-02-01&to=2026-01-01", "to"),
        ("from=yesterday", "from"),
        ("q=" + "x" * 300, "q"),
        ("after=not-a-cursor", "after"),
        ("report=" + "X" * 40, "report"),
    ],
)
def test_bad_filters_get_a_clear_422_in_the_readers_language(
    op: TestClient, query: str, field: str
) -> None:
    page = op.get(f"/dashboard?{query}")
    assert page.status_code == 422
    assert "<html" in page.text and "Traceback" not in page.text
    answer = op.get(f"/dashboard/counts.json?{query}", headers={"Accept": "application/json"})
    if field not in ("after", "report"):  # parameters of the page alone
        assert answer.status_code == 422
        assert answer.json()["field"] == field


# --- Counts per state -----------------------------------------------------------------------


def test_counts_per_state_ignore_the_state_filter_and_follow_the_others(
    op: TestClient, post: Post, act: Act, cast: Cast, dbs: Session
) -> None:
    before = op.get("/dashboard/counts.json?category=giao-thong").json()
    waiting = _file(post, dbs)
    forwarded = _file(post, dbs)
    act(forwarded, "verify_forward", cast.operator)
    _file(post, dbs, category="ve-sinh-moi-truong")
    dbs.commit()
    after = op.get("/dashboard/counts.json?category=giao-thong&state=assigned").json()
    assert after["counts"]["submitted"] == before["counts"]["submitted"] + 1
    assert after["counts"]["assigned"] == before["counts"]["assigned"] + 1
    assert after["active"] == ["assigned"]
    assert after["total"] == after["counts"]["assigned"]
    assert after["total_text"] == f"{after['total']} phản ánh"
    page = op.get("/dashboard?category=giao-thong&state=assigned").text
    assert _counts(page) == after["counts"]
    chip = re.search(r'<a class="count-chip state-submitted[^>]*>', page)
    assert chip and "state=submitted&amp;category=giao-thong" in chip.group(0)
    assert waiting.tracking_code not in _codes(page)


@pytest.mark.parametrize(
    "params",
    [{}, {"category": "giao-thong"}, {"from": "today", "to": "today", "category": "giao-thong"}],
)
def test_counts_from_the_map_grid_agree_with_counting_the_reports(
    post: Post, act: Act, cast: Cast, dbs: Session, params: dict[str, str]
) -> None:
    act(_file(post, dbs), "verify_forward", cast.operator)
    _file(post, dbs, category="ve-sinh-moi-truong")
    dbs.commit()
    today = datetime.now(VN_TZ).date().isoformat()
    f = parse_filters(dbs, {k: v.replace("today", today) for k, v in params.items()})
    assert operator_page._counts_from_cells(f) is not None
    where = conditions(replace(f, states=ALL_STATES))
    counted = dbs.execute(select(Report.state, func.count()).where(*where).group_by(Report.state))
    assert operator_page.state_counts(dbs, f) == {state.value: n for state, n in counted}
    assert operator_page.state_counts(dbs, f)["assigned"] >= 1


def test_other_filters_count_the_reports_themselves(dbs: Session) -> None:
    assert operator_page._counts_from_cells(parse_filters(dbs, {"priority": "urgent"})) is None
    assert operator_page._counts_from_cells(parse_filters(dbs, {"overdue": "1"})) is None


# --- The queue's rows -----------------------------------------------------------------------


def test_a_row_says_what_where_who_and_when_in_vietnamese_and_english(
    client: TestClient, cast: Cast, post: Post, act: Act, dbs: Session
) -> None:
    report = _file(post, dbs)
    act(report, "verify_forward", cast.operator)
    dbs.commit()
    query = f"/dashboard?q={report.tracking_code}"
    vi = _signed_in(client, "op").get(query).text
    row = re.search(
        rf'<li class="queue-row[^"]*" data-code="{report.tracking_code}".*?</li>', vi, re.S
    )
    assert row
    text = html.unescape(row.group(0))
    assert "Đã chuyển xử lý" in text and "Giao thông" in text
    assert "UBND Phường Tam Thắng" in text
    assert "phút trước" in text and "còn" in text  # age, and the time left to the deadline
    # The panel's page, with the filters to come back to.
    assert f'href="/dashboard/reports/{report.tracking_code}?q={report.tracking_code}"' in text
    client.cookies.set("ioc_lang", "en")
    en = html.unescape(client.get(query).text)
    assert "Forwarded to the agency" in en and "minute ago" in en and "due in" in en
    data = _data(client.get(query).text)
    assert data["phrases"]["due"]["hours"] == ["due in %(num)s hour", "due in %(num)s hours"]
    assert data["states"]["assigned"] == "Forwarded to the agency"


def test_more_continues_where_the_first_page_stopped(
    op: TestClient, post: Post, dbs: Session, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(views, "QUEUE_PAGE", 2)
    filed = [_file(post, dbs, description="Cột đèn nghiêng").tracking_code for _ in range(3)]
    # One deadline for all (in working hours each would have its own): then newest first.
    due = utcnow() + timedelta(hours=2)
    dbs.execute(update(Report).where(Report.tracking_code.in_(filed)).values(due_at=due))
    dbs.commit()
    first = op.get("/dashboard?q=c%E1%BB%99t+%C4%91%C3%A8n+nghi%C3%AAng").text
    assert _codes(first) == filed[::-1][:2]  # none overdue, the same deadline: newest first
    more = re.search(r'<a class="more" id="queue-more" href="([^"]+)" data-next="([^"]+)"', first)
    assert more, "no link to the next page"
    link = html.unescape(more.group(1))
    assert link.startswith("/dashboard?q=") and f"after={more.group(2)}" in link
    second = op.get(link).text
    assert _codes(second) == filed[:1]
    assert re.search(r'id="queue-more"[^>]*hidden', second)


# --- Layers and the page's own rules --------------------------------------------------------


def test_service_areas_come_as_geojson(op: TestClient) -> None:
    answer = op.get("/dashboard/layers/service-areas.geojson")
    assert answer.status_code == 200
    assert answer.headers["content-type"].startswith("application/geo+json")
    body = answer.json()
    assert body["type"] == "FeatureCollection" and body["features"]
    assert {"code", "name"} <= set(body["features"][0]["properties"])


def test_every_inline_script_carries_the_nonce_and_nothing_loads_from_elsewhere(
    op: TestClient,
) -> None:
    answer = op.get("/dashboard")
    page = answer.text
    nonce = re.search(r"'nonce-([^']+)'", answer.headers["content-security-policy"])
    assert nonce
    for tag in re.findall(r"<script(?![^>]*\bsrc=)[^>]*>", page):
        assert f'nonce="{nonce.group(1)}"' in tag, tag
    for url in re.findall(r'(?:src|href)="([^"]+)"', page):
        assert not re.match(r"(https?:)?//", url), url
    assert '<script type="module" src="/static/dashboard/dashboard.js">' in page
