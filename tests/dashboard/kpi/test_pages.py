"""The supervisors' pages over HTTP: who may open them, today counted live, the ranking's sort,
periods refused, the bulletin as a page and as a Word document, the rebuild command."""

from __future__ import annotations

import io
import re
from datetime import timedelta

import pytest
from click.testing import CliRunner
from docx import Document
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from dashboard.kpi.figures import today
from dashboard.kpi.models import KpiRollupDay
from ioc.auth.models import Role
from ioc.cli import main
from ioc.cli_context import CliContext
from ioc.db import utcnow
from ioc.settings import Settings
from reports.models import Report
from routing.models import Agency
from tests.conftest import MakeUser, sign_in
from tests.dashboard.kpi.conftest import DAY, Stories
from tests.reports.conftest import Post, photo
from tests.reports.lifecycle.conftest import AGENCY_A, AGENCY_B, Act, Cast


@pytest.fixture
def supervisor(client: TestClient, make_user: MakeUser) -> TestClient:
    make_user("kpi-sup", Role.ioc_supervisor)
    sign_in(client, "kpi-sup")
    return client


def _cell(html: str, agency: str, column: str) -> int:
    row = re.search(rf'<tr data-agency="{re.escape(agency)}">(.*?)</tr>', html, re.S)
    if row is None:
        return 0
    cell = re.search(rf'data-col="{column}"[^>]*>([^<]*)<', row.group(1))
    assert cell is not None
    return int(cell.group(1))


def _figure(html: str, name: str) -> int:
    found = re.search(rf'data-figure="{name}"[^>]*><dt>[^<]*</dt><dd>(\d+)</dd>', html)
    assert found is not None, name
    return int(found.group(1))


def _forward(post: Post, act: Act, cast: Cast, dbs: Session, agency: str | None = None) -> None:
    report = dbs.get_one(Report, post(category="giao-thong", photos=[photo()]).json()["id"])
    act(report, "verify_forward", cast.operator, agency=agency)
    dbs.commit()


@pytest.mark.parametrize(
    "path", ["/dashboard/kpi", "/dashboard/kpi/bulletin", "/dashboard/kpi/bulletin.docx"]
)
def test_agency_staff_and_operators_may_not_open_the_supervisor_pages(
    client: TestClient, make_user: MakeUser, dbs: Session, path: str
) -> None:
    agency_id = dbs.scalar(select(Agency.id).where(Agency.code == AGENCY_A))
    make_user("kpi-staff", Role.agency_staff, agency_id)
    sign_in(client, "kpi-staff")
    assert client.get(path).status_code == 403
    client.cookies.clear()
    make_user("kpi-op", Role.ioc_operator)
    sign_in(client, "kpi-op")
    assert client.get(path).status_code == 403


def test_a_forward_made_a_second_ago_counts_in_today_s_table(
    supervisor: TestClient, post: Post, act: Act, cast: Cast, dbs: Session
) -> None:
    day = today(utcnow()).isoformat()
    url = f"/dashboard/kpi?from={day}&to={day}"
    before = supervisor.get(url)
    assert before.status_code == 200
    _forward(post, act, cast, dbs)
    after = supervisor.get(url).text
    assert _cell(after, AGENCY_A, "received") == _cell(before.text, AGENCY_A, "received") + 1
    assert _figure(after, "intake") == _figure(before.text, "intake") + 1
    assert _figure(after, "open") == _figure(before.text, "open") + 1
    assert 'id="kpi-trends" data-trends="{' in after
    # The default period (30 days) counts it too, and the page names the chart library it loads.
    default = supervisor.get("/dashboard/kpi").text
    assert _cell(default, AGENCY_A, "received") >= 1
    assert "/static/vendor/chart.js/chart.umd.min.js" in default


def test_the_ranking_sorts_by_the_column_in_the_url(
    supervisor: TestClient, post: Post, act: Act, cast: Cast, dbs: Session
) -> None:
    for _ in range(3):
        _forward(post, act, cast, dbs)
    _forward(post, act, cast, dbs, agency=AGENCY_B)
    day = today(utcnow()).isoformat()

    def order(sort: str, direction: str) -> list[str]:
        html = supervisor.get(f"/dashboard/kpi?from={day}&to={day}&sort={sort}&order={direction}")
        assert html.status_code == 200
        return re.findall(r'<tr data-agency="([^"]+)">', html.text)

    most = order("received", "desc")
    assert most.index(AGENCY_A) < most.index(AGENCY_B)
    least = order("received", "asc")
    assert least.index(AGENCY_B) < least.index(AGENCY_A)
    by_name = order("agency", "asc")
    assert by_name.index(AGENCY_B) < by_name.index(AGENCY_A)  # "Công an …" before "UBND …"
    assert order("agency", "desc") == by_name[::-1]
    page = supervisor.get(f"/dashboard/kpi?from={day}&to={day}&sort=received&order=desc").text
    assert 'aria-sort="descending"' in page and "sort=received&amp;order=asc" in page


@pytest.mark.parametrize(
    ("query", "field", "words"),
    [
        ("from=2026-02-10&to=2026-02-01", "from", "starts after it ends"),
        ("to=2999-01-01", "to", "after today"),
        ("from=1990-01-01&to=1990-01-02", "from", "before 2000-01-01"),
        ("from=2024-01-01&to=2025-12-31", "from", "at most 366 days"),
        ("from=yesterday", "from", "2026-12-31"),
        ("from=2026-02-30", "from", "2026-12-31"),
        ("sort=password", "sort", "Sort by one of"),
        ("order=sideways", "order", "asc"),
    ],
)
def test_absurd_periods_and_sorts_are_refused_with_a_clear_message(
    supervisor: TestClient, query: str, field: str, words: str
) -> None:
    supervisor.cookies.set("ioc_lang", "en")
    answer = supervisor.get(f"/dashboard/kpi?{query}", headers={"Accept": "application/json"})
    assert answer.status_code == 422
    problem = answer.json()
    assert problem["field"] == field
    assert words in str(problem)


def test_a_refused_period_is_explained_in_vietnamese_by_default(supervisor: TestClient) -> None:
    answer = supervisor.get("/dashboard/kpi?from=2026-02-10&to=2026-02-01")
    assert answer.status_code == 422
    assert "Ngày bắt đầu sau ngày kết thúc" in answer.text


def test_the_bulletin_page_prints_and_the_word_document_opens(
    supervisor: TestClient, stories: Stories, dbs: Session
) -> None:
    day = DAY.isoformat()
    # DAY is in the future: the bulletin accepts only days up to today, like the page.
    future = supervisor.get(
        f"/dashboard/kpi/bulletin?day={day}", headers={"Accept": "application/json"}
    )
    assert future.status_code == 422 and future.json()["field"] == "day"
    current = today(utcnow())
    page = supervisor.get(f"/dashboard/kpi/bulletin?day={current.isoformat()}")
    assert page.status_code == 200
    assert "@media print" in supervisor.get("/static/kpi/kpi.css").text
    assert 'id="bulletin-figures"' in page.text and "bulletin-docx" in page.text
    shown = f'<time datetime="{current.isoformat()}">{current.strftime("%d/%m/%Y")}</time>'
    assert shown in page.text
    answer = supervisor.get(f"/dashboard/kpi/bulletin.docx?day={current.isoformat()}")
    assert answer.status_code == 200
    assert "attachment" in answer.headers["content-disposition"]
    document = Document(io.BytesIO(answer.content))
    text = "\n".join(p.text for p in document.paragraphs)
    assert current.strftime("%d/%m/%Y") in text
    assert len(document.tables) >= 1


def test_the_bulletin_lists_the_day_s_missed_deadlines_and_notable_reports(
    stories: Stories, dbs: Session
) -> None:
    from dashboard.kpi import bulletin
    from tests.dashboard.kpi.conftest import at

    ctx = bulletin.context(dbs, DAY + timedelta(days=1), at(5, 9))
    codes = {item["code"] for item in ctx["missed"]}
    assert codes == {stories.reports["ioc"].tracking_code}
    notable = {item["code"]: item for item in ctx["notable"]}
    assert stories.reports["again"].tracking_code in notable
    assert notable[stories.reports["again"].tracking_code]["note"] == "Chưa sửa"
    document = Document(io.BytesIO(bulletin.docx_bytes(ctx)))
    cells = {cell.text for table in document.tables for row in table.rows for cell in row.cells}
    assert stories.reports["ioc"].tracking_code in cells


def test_the_rebuild_command_rolls_up_the_range(
    stories: Stories, dbs: Session, settings: Settings
) -> None:
    factory = sessionmaker(bind=dbs.connection(), join_transaction_mode="create_savepoint")
    last = DAY + timedelta(days=3)
    result = CliRunner().invoke(
        main,
        ["kpi", "rebuild", "--from", DAY.isoformat(), "--to", last.isoformat()],
        obj=CliContext(settings=settings, sessions=factory),
    )
    assert result.exit_code == 0, result.output
    assert "4 days recomputed" in result.output
    assert dbs.scalar(select(func.count()).where(KpiRollupDay.day.between(DAY, last))) == 4
    bad = CliRunner().invoke(
        main,
        ["kpi", "rebuild", "--from", last.isoformat(), "--to", DAY.isoformat()],
        obj=CliContext(settings=settings, sessions=factory),
    )
    assert bad.exit_code != 0
