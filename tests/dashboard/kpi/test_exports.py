"""Exports of the filtered reports: CSV and XLSX contents, the filters, who may export."""

from __future__ import annotations

import csv
import glob
import io
import os
import tempfile

import openpyxl
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from dashboard.kpi import exports
from dashboard.operator.filters import parse_filters
from ioc import i18n
from ioc.auth.models import Role
from reports.models import Report
from routing.models import Agency
from tests.conftest import MakeUser, sign_in
from tests.reports.conftest import Post, photo
from tests.reports.lifecycle.conftest import AGENCY_A, Act, Cast

NAME, PHONE, EMAIL = "Nguyễn Thị Bí Mật", "0912345678", "bi.mat@example.vn"


@pytest.fixture
def operator(client: TestClient, make_user: MakeUser) -> TestClient:
    make_user("export-op", Role.ioc_operator)
    sign_in(client, "export-op")
    return client


@pytest.fixture
def reported(post: Post, act: Act, cast: Cast, dbs: Session) -> Report:
    """A report with the reporter's identity, forwarded to agency A."""
    answer = post(
        category="giao-thong",
        description="Ổ gà lớn",
        photos=[photo()],
        name=NAME,
        phone=PHONE,
        email=EMAIL,
    )
    report = dbs.get_one(Report, answer.json()["id"])
    act(report, "verify_forward", cast.operator)
    dbs.commit()
    return report


def _csv_rows(text: str) -> list[dict[str, str]]:
    assert text.startswith("\ufeff")
    return list(csv.DictReader(io.StringIO(text[1:])))


def test_the_csv_has_the_report_s_facts_and_never_its_reporter(
    operator: TestClient, reported: Report
) -> None:
    answer = operator.get(f"/dashboard/export.csv?state=all&q={reported.tracking_code}")
    assert answer.status_code == 200
    assert answer.headers["content-type"].startswith("text/csv")
    assert "attachment" in answer.headers["content-disposition"]
    rows = _csv_rows(answer.text)
    assert list(rows[0]) == list(exports.COLUMNS)
    assert [row["code"] for row in rows] == [reported.tracking_code]
    row = rows[0]
    assert row["state"] == "assigned" and row["agency"] == "UBND Phường Tam Thắng"
    assert row["category"] and row["ward"] == "Phường Tam Thắng" and row["forwarded"]
    assert abs(float(row["lat"]) - 10.3736) < 0.01
    for secret in (NAME, PHONE, EMAIL):
        assert secret not in answer.text


def test_the_csv_follows_the_dashboard_filters(
    operator: TestClient, reported: Report, dbs: Session
) -> None:
    rows = _csv_rows(operator.get("/dashboard/export.csv?state=assigned&agency=" + AGENCY_A).text)
    assert reported.tracking_code in {row["code"] for row in rows}
    assert {row["state"] for row in rows} == {"assigned"}
    assert {row["agency"] for row in rows} == {"UBND Phường Tam Thắng"}
    none = _csv_rows(
        operator.get("/dashboard/export.csv?state=rejected&q=" + reported.tracking_code).text
    )
    assert none == []
    bad = operator.get(
        "/dashboard/export.csv?category=no-such-thing", headers={"Accept": "application/json"}
    )
    assert bad.status_code == 422 and "no-such-thing" in bad.text


def test_the_xlsx_opens_with_the_same_columns_and_rows(
    operator: TestClient, reported: Report
) -> None:
    before = set(glob.glob(os.path.join(tempfile.gettempdir(), "ioc-export-*")))
    answer = operator.get(f"/dashboard/export.xlsx?state=all&q={reported.tracking_code}")
    assert answer.status_code == 200
    book = openpyxl.load_workbook(io.BytesIO(answer.content), read_only=True)
    rows = list(book.active.iter_rows(values_only=True))
    book.close()
    assert rows[0] == exports.COLUMNS
    assert len(rows) == 2 and rows[1][0] == reported.tracking_code
    assert rows[1][5] == "assigned" and rows[1][8] == 0
    assert NAME not in str(rows) and PHONE not in str(rows)
    # The temporary file is gone once sent.
    assert set(glob.glob(os.path.join(tempfile.gettempdir(), "ioc-export-*"))) <= before


def test_an_xlsx_past_its_cap_says_where_it_was_cut(
    reported: Report, post: Post, dbs: Session
) -> None:
    assert post(category="giao-thong", photos=[photo()]).status_code == 201
    filters = parse_filters(dbs, {"state": ["all"]})
    path = exports.xlsx_file(dbs, filters, cap=1)
    try:
        book = openpyxl.load_workbook(path, read_only=True)
        rows = list(book.active.iter_rows(values_only=True))
        book.close()
    finally:
        os.unlink(path)
    assert len(rows) == 3, rows
    assert rows[0] == exports.COLUMNS and rows[1][0]
    said = {i18n.translations(lang).gettext(exports.TRUNCATED) % {"n": 1} for lang in ("vi", "en")}
    assert rows[2][0] in said and "1" in str(rows[2][0])


@pytest.mark.parametrize("path", ["/dashboard/export.csv", "/dashboard/export.xlsx"])
def test_agency_staff_may_not_export(
    client: TestClient, make_user: MakeUser, dbs: Session, path: str
) -> None:
    agency_id = dbs.scalar(select(Agency.id).where(Agency.code == AGENCY_A))
    make_user("export-staff", Role.agency_staff, agency_id)
    sign_in(client, "export-staff")
    assert client.get(path).status_code == 403
