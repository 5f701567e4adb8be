"""Bad input and failures answer in the house's shapes: NUL bytes refused with a 422 naming the
field, unknown provinces 404, unexpected errors 500 problems on a kept-alive connection, and a
database outage 503 with Retry-After."""

from __future__ import annotations

import http.client
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from ioc import db
from ioc.app import create_app
from ioc.auth.models import Role
from ioc.errors import RateLimited
from ioc.i18n import N_
from ioc.settings import Settings
from reports.models import Report
from tests.conftest import PASSWORD, MakeUser, csrf_from, sign_in
from tests.ioc.serving import served

PLACE = {"lat": "10.3736", "lon": "107.095"}  # Phường Tam Thắng, Vũng Tàu
NUL_VI = "Trường {} chứa ký tự không được phép (byte NUL)."
NUL_EN = "The field {} contains a character that is not allowed (a NUL byte)."


def _assert_nul_problem(response: Any, field: str, english: bool = False) -> None:
    assert response.status_code == 422, response.text
    assert response.headers["content-type"] == "application/problem+json"
    body = response.json()
    assert body["field"] == field and body["code"] == "invalid-input"
    assert body["detail"] == (NUL_EN if english else NUL_VI).format(field)


@pytest.mark.parametrize(
    ("url", "field"),
    [
        ("/api/v1/reports/nearby?lat=10.3736&lon=107.095&category=giao%00thong", "category"),
        ("/api/v1/routing/explain?category=%00&lat=10.3736&lon=107.095", "category"),
        ("/api/v1/routing/explain?category=giao-thong&office=a%00b", "office"),
        ("/api/v1/reports/VT-2026-%00", "path"),
        ("/map/jurisdictions?f=geojson&province=7%009", "province"),
        ("/api/v1/categories?x%00y=1", "x\\0y"),
    ],
)
def test_a_nul_byte_in_a_query_or_path_is_a_422_naming_it(
    client: TestClient, url: str, field: str
) -> None:
    _assert_nul_problem(client.get(url, headers={"Accept": "application/json"}), field)


def test_a_nul_byte_in_a_json_field_is_refused_in_english_too(client: TestClient) -> None:
    response = client.post(
        "/api/v1/auth/token",
        content=json.dumps({"username": "ad\u0000min", "password": "x"}),
        headers={"Content-Type": "application/json", "Accept-Language": "en"},
    )
    _assert_nul_problem(response, "username", english=True)


def test_a_nul_byte_in_a_submission_stores_nothing(client: TestClient, dbs: Session) -> None:
    before = dbs.scalar(select(func.count()).select_from(Report))
    for field in ("description", "name", "category"):
        fields = {"category": "giao-thong", "description": "Ổ gà", "name": "Lan", **PLACE}
        fields[field] = fields[field] + "\x00!"
        response = client.post(
            "/api/v1/reports",
            data=fields,
            files=[("photos", ("", b"", "application/octet-stream"))],
        )
        _assert_nul_problem(response, field)
    assert dbs.scalar(select(func.count()).select_from(Report)) == before


def test_a_nul_byte_in_the_sign_in_form_is_a_page_naming_the_field(client: TestClient) -> None:
    token = csrf_from(client)
    response = client.post(
        "/login",
        data={"username": "a\x00", "password": PASSWORD, "csrf_token": token},
        headers={"Accept": "text/html"},
    )
    assert response.status_code == 422
    assert response.headers["content-type"].startswith("text/html")
    assert NUL_VI.format("username") in response.text


def test_a_nul_byte_in_admin_filters_and_forms(client: TestClient, make_user: MakeUser) -> None:
    make_user("nul-admin", Role.admin)
    sign_in(client, "nul-admin")
    audit = client.get("/admin/routing/audit?entity=%00", headers={"Accept": "application/json"})
    _assert_nul_problem(audit, "entity")
    token = csrf_from(client, "/admin/routing/days")
    day = client.post(
        "/admin/routing/days",
        data={"day": "2026-12-01", "note": "x\x00", "csrf_token": token},
        headers={"Accept": "application/json"},
    )
    _assert_nul_problem(day, "note")


def test_files_may_hold_nul_bytes(client: TestClient) -> None:
    """Only text is refused: a photo is bytes, and its NULs are its own business."""
    response = client.post(
        "/api/v1/reports",
        data={"category": "giao-thong", **PLACE},
        files=[("photos", ("p.jpg", b"\x00\x00not a photo", "image/jpeg"))],
    )
    assert response.status_code == 422
    assert response.json()["field"] == "photos"


@pytest.mark.parametrize("path", ["/map/jurisdictions?province=x", "/admin/routing/map?province=x"])
def test_an_unknown_province_is_a_404_page(
    client: TestClient, make_user: MakeUser, path: str
) -> None:
    make_user("map-admin", Role.admin)
    sign_in(client, "map-admin")
    response = client.get(path)
    assert response.status_code == 404
    assert "Không có tỉnh, thành phố nào có mã x." in response.text
    known = client.get(path.replace("=x", "=46"))
    assert known.status_code == 200


# --- Unexpected errors and outages ------------------------------------------------------------


def _boom() -> None:
    raise RuntimeError("secret detail from /srv/ioc/internal.py")


@pytest.fixture
def failing_app(settings: Settings, engine: Engine) -> FastAPI:
    app = create_app(settings, engine=engine)
    app.add_api_route("/api/v1/boom", _boom)
    app.add_api_route("/boom", _boom)
    return app


def test_an_unexpected_error_is_a_500_problem_in_the_users_language(
    failing_app: FastAPI, capsys: pytest.CaptureFixture[str]
) -> None:
    with TestClient(failing_app) as client:
        vi = client.get("/api/v1/boom")
        en = client.get("/api/v1/boom", headers={"Accept-Language": "en"})
        page = client.get("/boom", headers={"Accept": "text/html"})
    assert vi.status_code == 500 and vi.headers["content-type"] == "application/problem+json"
    assert vi.json()["detail"] == "Hệ thống gặp lỗi. Vui lòng thử lại sau."
    assert en.json()["title"] == "Something went wrong on our side. Please try again later."
    assert "secret" not in vi.text + en.text + page.text
    assert page.status_code == 500 and "Hệ thống gặp lỗi" in page.text
    logged = capsys.readouterr().err
    assert "unexpected_error" in logged and "secret detail" in logged  # the traceback is logged


def test_an_unexpected_error_keeps_the_connection_alive(failing_app: FastAPI) -> None:
    with served(failing_app) as (host, port):
        connection = http.client.HTTPConnection(host, port, timeout=10)
        answers = []
        for _ in range(3):  # the same connection serves all three
            connection.request("GET", "/api/v1/boom")
            response = connection.getresponse()
            answers.append((response.status, response.getheader("connection"), response.read()))
        connection.close()
    assert [status for status, _, _ in answers] == [500, 500, 500]
    assert all(header != "close" for _, header, _ in answers)
    assert json.loads(answers[-1][2])["status"] == 500


@pytest.fixture
def outage_app(settings: Settings, tmp_path: Path) -> Iterator[TestClient]:
    """The app on an engine whose socket directory has no server: a database outage, for real."""
    engine = db.make_engine(f"postgresql+psycopg://ioc@/ioc?host={tmp_path}&connect_timeout=2")
    with TestClient(create_app(settings, engine=engine)) as client:
        yield client


def test_a_database_outage_is_a_503_with_retry_after(outage_app: TestClient) -> None:
    response = outage_app.get("/api/v1/categories", headers={"Accept-Language": "en"})
    assert response.status_code == 503
    assert response.headers["content-type"] == "application/problem+json"
    assert int(response.headers["Retry-After"]) > 0
    assert response.json()["code"] == "unavailable"
    assert response.json()["detail"].startswith("The service is briefly unavailable")
    page = outage_app.get("/map/jurisdictions", headers={"Accept": "text/html"})
    assert page.status_code == 503 and "Hệ thống tạm thời gián đoạn" in page.text


def test_healthz_in_an_outage_shows_no_internals(outage_app: TestClient, tmp_path: Path) -> None:
    response = outage_app.get("/healthz")
    assert response.status_code == 503
    assert response.json() == {"status": "error", "database": "unavailable"}
    assert int(response.headers["Retry-After"]) > 0
    assert str(tmp_path) not in response.text


def test_every_429_says_when_to_try_again(settings: Settings, engine: Engine) -> None:
    """The intake's limit names its window in minutes; that is the Retry-After it sends."""
    app = create_app(settings, engine=engine)

    def limited() -> None:
        raise RateLimited(
            N_("Too many reports from this connection. Please wait %(minutes)s minutes."),
            minutes=10,
        )

    app.add_api_route("/api/v1/limited", limited)
    with TestClient(app) as client:
        response = client.get("/api/v1/limited")
    assert response.status_code == 429 and response.headers["Retry-After"] == "600"


def test_json_bodies_with_nulls_and_numbers_pass_the_nul_check() -> None:
    from ioc.web.nulbytes import body_scanner

    def scan(body: bytes) -> str | None:
        scanner = body_scanner("application/json")
        assert scanner is not None
        scanner.feed(body)
        return scanner.close()

    assert scan(b'{"name": null, "phone": 5, "ok": true, "list": [1, null, "a"]}') is None
    assert scan(b'{"contact": {"names": ["a", "b\\u0000c"]}}') == "contact.names.1"


def test_a_number_out_of_the_databases_range_is_a_422(
    client: TestClient, make_user: MakeUser
) -> None:
    # A path id past PostgreSQL's integer: the database refuses it (DataError), which was a 500.
    make_user("range-admin", Role.admin)
    sign_in(client, "range-admin")
    answer = client.post(
        "/admin/users/99999999999999999999/unlock",
        data={"csrf_token": csrf_from(client, "/admin/users")},
        headers={"Accept": "application/json"},
    )
    assert answer.status_code == 422
    assert (
        answer.json()["detail"] == "Một giá trị trong yêu cầu nằm ngoài phạm vi hệ thống chấp nhận."
    )
