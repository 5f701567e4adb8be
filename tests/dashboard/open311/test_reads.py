"""GET requests, GET a request and GET servicerequestupdates: only verified reports, only public
fields, in both formats as the spec's examples, with the spec's filters and errors."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from ioc.db import utcnow
from reports.models import PUBLIC_STATES, Report, ReportMedia, ReportState
from tests.dashboard.open311.conftest import (
    REQUEST,
    UPDATE,
    errors_of,
    json_of,
    tags,
    xml_of,
)
from tests.reports.conftest import PHU_XUAN, TAM_THANG, Post, photo
from tests.reports.lifecycle.conftest import Act, Cast

SECRET_NAME, SECRET_PHONE, SECRET_EMAIL = "Trần Bí Mật", "0912345678", "bimat@vidu.vn"


@dataclass(frozen=True)
class Three:
    """An unverified, a forwarded and a published report (all with a private reporter)."""

    unverified: Report
    forwarded: Report
    published: Report


def _file(post: Post, dbs: Session, description: str) -> Report:
    created = post(
        category="giao-thong",
        description=description,
        photos=[photo()],
        name=SECRET_NAME,
        phone=SECRET_PHONE,
        email=SECRET_EMAIL,
    ).json()
    return dbs.get_one(Report, created["id"])


@pytest.fixture
def three(post: Post, dbs: Session, act: Act, cast: Cast) -> Three:
    """The three reports, filed now at Tam Thắng, the only public ones in this test's view.

    Browser tests commit reports of their own: within this test's transaction (rolled back), any
    public report already in the database is taken out of view, so that lists and counts are exact
    whatever ran before.
    """
    dbs.execute(
        update(Report).where(Report.state.in_(PUBLIC_STATES)).values(state=ReportState.rejected)
    )
    unverified = _file(post, dbs, "Chưa xác minh: rác ở hẻm")
    forwarded = _file(post, dbs, "Ổ gà trước sân bay")
    act(forwarded, "verify_forward", cast.operator)
    published = _file(post, dbs, "Đèn đường hỏng")
    act(published, "verify_forward", cast.operator)
    act(published, "accept", cast.agency_a)
    act(published, "resolve", cast.agency_a, note="Đã thay bóng đèn", photos=1)
    act(published, "approve_result", cast.operator)
    return Three(unverified, forwarded, published)


def _codes(body: list[dict[str, Any]]) -> list[str]:
    return [item["service_request_id"] for item in body]


def _get(client: TestClient, path: str, **query: Any) -> Any:
    return client.get(f"/open311/v2/{path}", params=query)


def test_only_verified_requests_are_listed_newest_first(client: TestClient, three: Three) -> None:
    body = json_of(_get(client, "requests.json"))
    assert _codes(body) == [three.published.tracking_code, three.forwarded.tracking_code]
    assert all(list(item) == REQUEST for item in body)


def test_a_request_carries_its_public_fields_only(
    client: TestClient, dbs: Session, three: Three
) -> None:
    response = _get(client, "requests.json")
    closed, opened = json_of(response)
    assert (closed["status"], opened["status"]) == ("closed", "open")
    assert closed["status_notes"] == "Đã thay bóng đèn" and opened["status_notes"] is None
    assert opened["service_code"] == "giao-thong" and opened["service_name"] == "Giao thông"
    assert opened["description"] == "Ổ gà trước sân bay"
    assert opened["agency_responsible"] == "UBND Phường Tam Thắng"
    assert opened["address"] == "Phường Tam Thắng"
    assert opened["requested_datetime"].endswith("+07:00")
    assert opened["updated_datetime"].endswith("+07:00")
    assert opened["expected_datetime"].endswith("+07:00")
    assert abs(opened["lat"] - TAM_THANG[0]) < 1e-6 and abs(opened["long"] - TAM_THANG[1]) < 1e-6
    media = dbs.scalars(
        select(ReportMedia).where(ReportMedia.report_id == three.forwarded.id)
    ).one()
    assert opened["media_url"] == (
        "http://testserver/media/" + media.display_path.removeprefix("public/")
    )
    _no_private_field(dbs, three, response.text)


def _no_private_field(dbs: Session, three: Three, text: str) -> None:
    for secret in (SECRET_NAME, SECRET_PHONE, SECRET_EMAIL):
        assert secret not in text
    originals = dbs.scalars(select(ReportMedia.original_path)).all()
    assert originals and not any(path in text for path in originals)
    assert three.unverified.tracking_code not in text
    assert three.unverified.description not in text


@pytest.mark.parametrize(
    "path",
    [
        "requests.xml",
        "requests.json",
        "servicerequestupdates.xml",
        "servicerequestupdates.json",
    ],
)
def test_no_response_carries_a_private_field_or_an_unverified_report(
    client: TestClient, dbs: Session, three: Three, path: str
) -> None:
    _no_private_field(dbs, three, _get(client, path).text)
    code = three.forwarded.tracking_code
    fmt = path.rsplit(".", 1)[1]
    _no_private_field(dbs, three, _get(client, f"requests/{code}.{fmt}").text)


def test_requests_in_xml_follow_the_spec_example(client: TestClient, three: Three) -> None:
    root = xml_of(_get(client, "requests.xml"))
    assert root.tag == "service_requests" and tags(root) == ["request", "request"]
    assert all(tags(request) == REQUEST for request in root)
    closed, opened = root
    assert closed.findtext("status") == "closed" and opened.findtext("status") == "open"
    assert opened.findtext("service_request_id") == three.forwarded.tracking_code
    notes = opened.find("status_notes")
    assert notes is not None and notes.text is None  # an empty element, as the spec's
    assert float(opened.findtext("lat") or 0) == pytest.approx(TAM_THANG[0])


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ({"status": "open"}, ["forwarded"]),
        ({"status": "closed"}, ["published"]),
        ({"status": "open,closed"}, ["published", "forwarded"]),
        ({"service_code": "giao-thong,rac-thai"}, ["published", "forwarded"]),
        ({"service_code": "rac-thai"}, []),
        ({"status": "", "service_code": "", "start_date": "", "end_date": ""}, None),
        ({"lat": TAM_THANG[0], "long": TAM_THANG[1], "radius": 200}, ["published", "forwarded"]),
        ({"lat": TAM_THANG[0], "long": TAM_THANG[1]}, ["published", "forwarded"]),
        ({"lat": PHU_XUAN[0], "long": PHU_XUAN[1], "radius": 5000}, []),
        ({"jurisdiction_id": "any.gov"}, None),
    ],
)
def test_filters(
    client: TestClient, three: Three, query: dict[str, Any], expected: list[str] | None
) -> None:
    wanted = ["published", "forwarded"] if expected is None else expected
    codes = [getattr(three, name).tracking_code for name in wanted]
    assert _codes(json_of(_get(client, "requests.json", **query))) == codes


def test_dates_select_the_requested_window(client: TestClient, three: Three) -> None:
    now = utcnow()
    past = {"start_date": _w3c(now - timedelta(days=3)), "end_date": _w3c(now - timedelta(days=1))}
    assert json_of(_get(client, "requests.json", **past)) == []
    around = {"start_date": _w3c(now - timedelta(hours=1))}  # end: start + 90 days
    assert len(json_of(_get(client, "requests.json", **around))) == 2
    today = {"start_date": (now + timedelta(hours=7)).date().isoformat()}  # a bare date, VN time
    assert len(json_of(_get(client, "requests.json", **today))) == 2
    ended = {"end_date": _w3c(now - timedelta(days=1))}  # start: end - 90 days
    assert json_of(_get(client, "requests.json", **ended)) == []


def _w3c(moment: Any) -> str:
    return str(moment.isoformat(timespec="seconds").replace("+00:00", "Z"))


def test_service_request_ids_override_every_other_filter(client: TestClient, three: Three) -> None:
    ids = ",".join(r.tracking_code for r in (three.unverified, three.forwarded, three.published))
    body = json_of(_get(client, "requests.json", service_request_id=ids, start_date="2001-01-01"))
    assert sorted(_codes(body)) == sorted(
        [three.forwarded.tracking_code, three.published.tracking_code]
    )


@pytest.mark.parametrize("fmt", ["json", "xml"])
@pytest.mark.parametrize(
    ("query", "field"),
    [
        ({"start_date": "yesterday"}, "start_date"),
        ({"start_date": "2026-11-05T08:15:30"}, "start_date"),  # no timezone
        ({"end_date": "2026-13-45"}, "end_date"),
        ({"start_date": "2026-01-01", "end_date": "2026-06-01"}, "end_date"),  # > 90 days
        ({"start_date": "2026-06-01", "end_date": "2026-05-01"}, "end_date"),
        ({"status": "pending"}, "status"),
        ({"lat": "10.3"}, "long"),
        ({"radius": "500"}, "radius"),
        ({"lat": "100", "long": "107"}, "lat"),
    ],
)
def test_bad_parameters_are_400(
    client: TestClient, fmt: str, query: dict[str, str], field: str
) -> None:
    assert errors_of(_get(client, f"requests.{fmt}", **query), 400).startswith(f"{field}: ")


def test_one_request_in_both_formats(client: TestClient, three: Three) -> None:
    code = three.published.tracking_code
    (item,) = json_of(_get(client, f"requests/{code}.json"))
    assert list(item) == REQUEST and item["service_request_id"] == code
    assert item["status"] == "closed"
    root = xml_of(_get(client, f"requests/{code.lower()}.xml"))
    assert root.tag == "service_requests" and tags(root) == ["request"]
    assert tags(root[0]) == REQUEST


@pytest.mark.parametrize("fmt", ["json", "xml"])
def test_an_unverified_or_unknown_request_is_a_404(
    client: TestClient, three: Three, fmt: str
) -> None:
    errors_of(_get(client, f"requests/{three.unverified.tracking_code}.{fmt}"), 404)
    errors_of(_get(client, f"requests/PA-0000-999999.{fmt}"), 404)


def test_updates_list_the_public_changes_of_state_oldest_first(
    client: TestClient, dbs: Session, three: Three
) -> None:
    body = json_of(_get(client, "servicerequestupdates.json"))
    assert all(list(item) == UPDATE for item in body)
    by_code: dict[str, list[dict[str, Any]]] = {}
    for item in body:
        by_code.setdefault(item["service_request_id"], []).append(item)
    assert three.unverified.tracking_code not in by_code
    assert [u["description"] for u in by_code[three.forwarded.tracking_code]] == ["Đã chuyển xử lý"]
    steps = by_code[three.published.tracking_code]
    assert [u["status"] for u in steps] == ["open", "open", "open", "closed"]
    assert steps[-1]["description"] == "Đã thay bóng đèn"
    result = dbs.scalars(
        select(ReportMedia).where(
            ReportMedia.report_id == three.published.id, ReportMedia.stage == "result"
        )
    ).one()
    assert steps[-1]["media_url"].endswith(result.display_path.removeprefix("public/"))
    assert all(u["media_url"] is None for u in steps[:-1])
    assert [u["updated_datetime"] for u in body] == sorted(u["updated_datetime"] for u in body)


def test_updates_in_xml_follow_fixmystreet(client: TestClient, three: Three) -> None:
    root = xml_of(_get(client, "servicerequestupdates.xml"))
    assert root.tag == "service_request_updates"
    assert set(tags(root)) == {"request_update"} and len(root) == 5
    assert all(tags(update) == UPDATE for update in root)
    past = {"end_date": _w3c(utcnow() - timedelta(days=1))}
    assert len(xml_of(_get(client, "servicerequestupdates.xml", **past))) == 0
    errors_of(_get(client, "servicerequestupdates.xml", start_date="soon"), 400)
