"""The live GeoJSON and CSV: their shape, the filters, bad filters, privacy and revalidation."""

from __future__ import annotations

import csv
import io
import json
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from dashboard.opendata.fields import NAMES
from reports.models import PUBLIC_STATES, Report
from routing.sla import VN_TZ
from tests.dashboard.opendata.conftest import Story, secrets_of
from tests.reports.conftest import Post, photo
from tests.reports.lifecycle.conftest import Act, Cast


def geojson(client: TestClient, query: str = "") -> dict[str, Any]:
    answer = client.get(f"/open-data/reports.geojson{query}")
    assert answer.status_code == 200, answer.text
    assert answer.headers["content-type"] == "application/geo+json"
    return dict(json.loads(answer.text))


def csv_rows(client: TestClient, query: str = "") -> list[dict[str, str]]:
    answer = client.get(f"/open-data/reports.csv{query}")
    assert answer.status_code == 200, answer.text
    assert answer.headers["content-type"].startswith("text/csv; charset=utf-8")
    assert answer.content.startswith(b"\xef\xbb\xbf")  # the BOM, for Excel
    text = answer.content.decode("utf-8")[1:]
    assert text.splitlines()[0] == ",".join(NAMES)
    return list(csv.DictReader(io.StringIO(text)))


def codes(collection: dict[str, Any]) -> set[str]:
    return {feature["properties"]["code"] for feature in collection["features"]}


def test_the_geojson_is_a_feature_collection_of_every_public_report(
    client: TestClient, story: Story, dbs: Session
) -> None:
    collection = geojson(client)
    assert collection["type"] == "FeatureCollection"
    assert collection["license"] == "CC-BY-4.0" and "IOC" in collection["attribution"]
    public = dbs.scalar(select(func.count()).where(Report.state.in_(PUBLIC_STATES)))
    assert len(collection["features"]) == public
    assert {r.tracking_code for r in story.public} <= codes(collection)
    for feature in collection["features"]:
        assert feature["type"] == "Feature" and feature["geometry"]["type"] == "Point"
        assert set(feature["properties"]) == set(NAMES)
        assert feature["id"] == feature["properties"]["code"]
    feature = next(f for f in collection["features"] if f["id"] == story.published.tracking_code)
    lon, lat = feature["geometry"]["coordinates"]  # RFC 7946: longitude first
    assert (round(lat, 2), round(lon, 2)) == (10.37, 107.09)
    assert feature["properties"]["lat"] == lat and feature["properties"]["lon"] == lon
    assert feature["properties"]["state"] == "published"
    assert feature["properties"]["category"] == "giao-thong"
    assert feature["properties"]["url"] == (
        f"http://testserver/public/reports/{story.published.tracking_code}"
    )


def test_times_are_vietnam_time_in_iso_8601(client: TestClient, story: Story) -> None:
    (row,) = csv_rows(client, f"?state=published&from={_day(story.published)}")
    assert row["code"] == story.published.tracking_code
    created = story.published.created_at.astimezone(VN_TZ)
    assert row["created"] == created.strftime("%Y-%m-%dT%H:%M:%S+07:00")
    assert row["published"].endswith("+07:00") and row["forwarded"].endswith("+07:00")


def _day(report: Report) -> str:
    return report.created_at.astimezone(VN_TZ).date().isoformat()


def test_the_csv_has_the_same_reports_and_columns(client: TestClient, story: Story) -> None:
    rows = csv_rows(client)
    by_code = {row["code"]: row for row in rows}
    received = [row["created"] for row in rows]
    assert received == sorted(received)  # oldest first
    assert set(by_code) == codes(geojson(client))
    row = by_code[story.forwarded.tracking_code]
    assert row["state"] == "assigned" and row["agency"] == "ubnd-26526"
    assert row["ward_name"] == "Phường Tam Thắng" and row["category_vi"] == "Giao thông"
    assert row["description"] == "Ổ gà lớn trước chợ" and row["published"] == ""
    assert abs(float(row["lat"]) - 10.3736) < 0.001 and abs(float(row["lon"]) - 107.095) < 0.001
    assert row["on_time"] == "" and row["result"] == ""  # no result yet
    done = by_code[story.published.tracking_code]
    assert done["on_time"] == "true" and done["result"] == "Đã thay bóng đèn"
    assert done["due"] and done["published"]


def test_nothing_private_and_no_unverified_report_in_either_file(
    client: TestClient, story: Story, dbs: Session
) -> None:
    secrets = secrets_of(dbs, story)
    for path in ("/open-data/reports.geojson", "/open-data/reports.csv"):
        text = client.get(path).text
        for secret in secrets:
            assert secret not in text, (path, secret)


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("?state=published", {"published"}),
        ("?state=assigned", {"forwarded"}),
        ("?category=giao-thong&state=", {"forwarded", "published"}),
        ("?category=cay-xanh", set()),
        ("?ward=26526", {"forwarded", "published"}),
        ("?ward=26506", set()),
        ("?from=2000-01-01&to=2001-01-01", set()),
    ],
)
def test_the_filters(client: TestClient, story: Story, query: str, expected: set[str]) -> None:
    mine = {getattr(story, name).tracking_code: name for name in ("forwarded", "published")}
    found = {mine[code] for code in codes(geojson(client, query)) if code in mine}
    assert found == expected
    assert {mine[row["code"]] for row in csv_rows(client, query) if row["code"] in mine} == found


def test_a_period_that_holds_the_day_keeps_its_reports(client: TestClient, story: Story) -> None:
    day = _day(story.forwarded)
    assert story.forwarded.tracking_code in codes(geojson(client, f"?from={day}&to={day}"))


@pytest.mark.parametrize(
    ("query", "field", "vietnamese"),
    [
        ("?from=yesterday", "from", "2026-12-31"),
        ("?to=2026-02-30", "to", "2026-12-31"),
        ("?from=2026-05-02&to=2026-05-01", "from", "kết thúc"),
        ("?from=1900-01-01", "from", "2000-01-01"),
        ("?category=no-such-thing", "category", "Không có lĩnh vực nào có mã “no-such-thing”"),
        ("?ward=99999999", "ward", "Không có phường/xã nào có mã “99999999”"),
        ("?state=submitted", "state", "Hãy chọn một trong các trạng thái công khai"),
        ("?state=rejected", "state", "reopened"),
        ("?category=" + "x" * 65, "category", ""),
    ],
)
def test_bad_filters_are_a_problem_in_the_reader_s_language(
    client: TestClient, query: str, field: str, vietnamese: str
) -> None:
    for path in ("/open-data/reports.geojson", "/open-data/reports.csv"):
        answer = client.get(path + query, headers={"Accept-Language": "vi"})
        assert answer.status_code == 422, answer.text
        assert answer.headers["content-type"] == "application/problem+json"
        problem = answer.json()
        assert problem["status"] == 422 and problem["field"] == field
        assert vietnamese in problem["detail"]
        assert problem["title"] == "Thông tin còn thiếu hoặc không hợp lệ."


def test_a_bad_filter_in_english(client: TestClient) -> None:
    answer = client.get("/open-data/reports.csv?state=submitted", headers={"Accept-Language": "en"})
    assert answer.status_code == 422
    assert answer.json()["detail"].startswith("Choose one of the public states")


def test_a_re_download_of_the_same_data_is_a_304(
    client: TestClient, story: Story, act: Act, cast: Cast, dbs: Session
) -> None:
    first = client.get("/open-data/reports.csv")
    tag = first.headers["etag"]
    assert first.headers["cache-control"] == "public, no-cache"
    again = client.get("/open-data/reports.csv", headers={"If-None-Match": tag})
    assert again.status_code == 304 and again.content == b"" and again.headers["etag"] == tag
    other = client.get("/open-data/reports.geojson", headers={"If-None-Match": tag})
    assert other.status_code == 200  # another file, another tag
    filtered = client.get("/open-data/reports.csv?state=published", headers={"If-None-Match": tag})
    assert filtered.status_code == 200 and filtered.headers["etag"] != tag
    act(story.forwarded, "accept", cast.agency_a)  # a public change
    dbs.commit()
    changed = client.get("/open-data/reports.csv", headers={"If-None-Match": tag})
    assert changed.status_code == 200 and changed.headers["etag"] != tag
    row = next(r for r in csv_rows(client) if r["code"] == story.forwarded.tracking_code)
    assert row["state"] == "in_progress"


def test_a_formula_in_a_description_stays_text_in_the_csv(
    client: TestClient, post: Post, act: Act, cast: Cast, dbs: Session
) -> None:
    formula = '=HYPERLINK("http://evil.example","Ổ gà")'
    answer = post(category="giao-thong", description=formula, photos=[photo()])
    report = dbs.get_one(Report, answer.json()["id"])
    act(report, "verify_forward", cast.operator)
    dbs.commit()
    row = next(r for r in csv_rows(client) if r["code"] == report.tracking_code)
    assert row["description"] == "'" + formula
    feature = next(f for f in geojson(client)["features"] if f["id"] == report.tracking_code)
    assert feature["properties"]["description"] == formula  # GeoJSON keeps the text as written
