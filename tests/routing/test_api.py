"""The public routing API: categories, agencies, explain, ward at a point, and bad input."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from tests.routing.conftest import PHU_XUAN, SEA, TAM_THANG

PROBLEM = "application/problem+json"


def test_categories_in_vietnamese_then_english(client: TestClient) -> None:
    body = client.get("/api/v1/categories").json()
    items = body["items"]
    assert len(items) == 13
    first = items[0]
    assert first["code"] == "giao-thong" and first["name"] == "Giao thông"
    assert set(first) >= {"code", "name", "group", "group_name", "geographic", "icon"}
    by_code = {c["code"]: c for c in items}
    assert [c for c in by_code if not by_code[c]["geographic"]] == [
        "thai-do-phuc-vu",
        "ho-so-cham-tre",
        "khac",
    ]
    assert by_code["dien-luc"]["default_priority"] == "urgent"
    english = client.get("/api/v1/categories", headers={"Accept-Language": "en"}).json()
    assert english["items"][0]["name"] == "Roads and traffic"
    assert english["items"][0]["group_name"] == "Infrastructure"


def test_agencies_are_public_without_contacts(client: TestClient) -> None:
    items = client.get("/api/v1/agencies").json()["items"]
    assert {
        "code": "chieusang-vungtau",
        "name": "Đội chiếu sáng khu vực Vũng Tàu",
        "kind": "lighting",
    } in items
    assert all(set(item) == {"code", "name", "kind"} for item in items)
    assert "@" not in str(items)
    police = client.get("/api/v1/agencies?kind=ward_police").json()["items"]
    assert len(police) == 70 and all(p["code"].startswith("ca-") for p in police)


def test_explain_a_place(client: TestClient) -> None:
    lat, lon = TAM_THANG
    response = client.get(f"/api/v1/routing/explain?lat={lat}&lon={lon}&category=chieu-sang")
    assert response.status_code == 200
    body = response.json()
    assert body["agency"] == {
        "code": "chieusang-vungtau",
        "name": "Đội chiếu sáng khu vực Vũng Tàu",
    }
    assert body["jurisdiction"] == {"code": "26526", "name": "Phường Tam Thắng"}
    assert body["rule"] == 12 and body["outside_coverage"] is False
    assert "Phường Tam Thắng" in body["reason"] and "12" in body["reason"]
    assert body["priority"] == "normal" and body["due"]["resolve_by"].endswith("+07:00")


def test_explain_at_sea_goes_to_the_ioc_queue(client: TestClient) -> None:
    lat, lon = SEA[0]
    body = client.get(f"/api/v1/routing/explain?lat={lat}&lon={lon}&category=giao-thong").json()
    assert body["agency"] is None and body["jurisdiction"] is None and body["rule"] is None
    assert body["outside_coverage"] is True and "IOC" in body["reason"]


def test_explain_an_office_complaint(client: TestClient) -> None:
    body = client.get("/api/v1/routing/explain?category=ho-so-cham-tre&office=ubnd-19753").json()
    assert body["agency"]["code"] == "ubnd-19753" and body["jurisdiction"] is None


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("lon=107.1&category=giao-thong", "lat"),
        ("lat=10.3&category=giao-thong", "lon"),
        ("lat=95&lon=107.1&category=giao-thong", "lat"),
        ("lat=10.3&lon=-190&category=giao-thong", "lon"),
        ("lat=abc&lon=107.1&category=giao-thong", "lat"),
        ("lat=10.3&lon=107.1", "category"),
        ("lat=10.3&lon=107.1&category=no-such", "category"),
        ("category=khac", "office"),
    ],
)
def test_bad_input_is_a_422_problem_naming_the_field(
    client: TestClient, query: str, field: str
) -> None:
    response = client.get(f"/api/v1/routing/explain?{query}")
    assert response.status_code == 422
    assert response.headers["content-type"] == PROBLEM
    body = response.json()
    assert body["field"] == field and body["status"] == 422
    assert body["title"] == "Thông tin còn thiếu hoặc không hợp lệ."


def test_bad_input_messages_in_english(client: TestClient) -> None:
    response = client.get(
        "/api/v1/routing/explain?lat=95&lon=107&category=giao-thong",
        headers={"Accept-Language": "en"},
    )
    body = response.json()
    assert body["field"] == "lat" and body["detail"] == "Enter a number between -90.0 and 90.0."
    missing = client.get(
        "/api/v1/routing/explain?lon=107&category=giao-thong", headers={"Accept-Language": "en"}
    ).json()
    assert missing["detail"] == "This field is required."


def test_ward_at_a_point(client: TestClient) -> None:
    lat, lon = PHU_XUAN
    assert client.get(f"/api/v1/wards/at?lat={lat}&lon={lon}").json() == {
        "code": "19753",
        "name": "Phường Phú Xuân",
    }
    lat, lon = SEA[2]
    outside = client.get(f"/api/v1/wards/at?lat={lat}&lon={lon}")
    assert outside.status_code == 404 and outside.headers["content-type"] == PROBLEM
    bad = client.get("/api/v1/wards/at?lat=10&lon=500")
    assert bad.status_code == 422 and bad.json()["field"] == "lon"


def test_subnormal_coordinates_are_zero_not_a_server_error(client: TestClient) -> None:
    # Found by schemathesis: PostgreSQL's radians() refuses 5e-324 as an underflow.
    answer = client.get("/api/v1/wards/at", params={"lat": "-5e-324", "lon": "-5e-324"})
    assert answer.status_code == 404  # (0, 0) is in the Gulf of Guinea: outside coverage
    assert answer.json()["code"] == "not-found"
