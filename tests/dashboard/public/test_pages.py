"""The public pages: what they show, what they never show, filters, caching and the size budget."""

from __future__ import annotations

import re

from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from reports.models import ReportMedia
from tests.dashboard.public.conftest import World

BUDGET = 50 * 1024


def test_the_list_shows_public_reports_only(client: TestClient, world: World) -> None:
    page = client.get("/public")
    assert page.status_code == 200
    assert (
        world.published.tracking_code in page.text and world.in_progress.tracking_code in page.text
    )
    for hidden in (world.submitted, world.rejected, world.duplicate):
        assert hidden.tracking_code not in page.text


def test_filters_and_search_narrow_the_list(client: TestClient, world: World) -> None:
    by_ward = client.get("/public", params={"ward": _ward(client, world)})
    assert world.in_progress.tracking_code in by_ward.text
    assert world.published.tracking_code not in by_ward.text
    searched = client.get("/public", params={"q": "vung tau"})
    assert world.published.tracking_code in searched.text
    assert world.late.tracking_code not in searched.text
    published = client.get("/public", params={"state": "published"})
    assert world.in_progress.tracking_code not in published.text
    assert world.late.tracking_code in published.text


def _ward(client: TestClient, world: World) -> str:
    page = client.get(f"/public/reports/{world.in_progress.tracking_code}")
    found = re.search(r'href="/public/wards/([^"]+)"', page.text)
    assert found
    return found.group(1)


def test_bad_filters_are_422_with_a_message(client: TestClient) -> None:
    for params, field in (
        ({"state": "submitted"}, "state"),
        ({"category": "no-such"}, "category"),
        ({"from": "yesterday"}, "from"),
        ({"after": "@@@"}, "after"),
    ):
        answer = client.get("/public", params=params, headers={"Accept": "application/json"})
        assert answer.status_code == 422, params
        assert field in answer.text


def test_the_report_page(client: TestClient, world: World, dbs: Session) -> None:
    page = client.get(f"/public/reports/{world.published.tracking_code}")
    assert page.status_code == 200
    text = page.text
    assert "Đã vá xong mặt đường" in text and "badge ok" in text
    assert text.count('loading="lazy"') >= 2 and "srcset=" in text and "sizes=" in text
    for media in dbs.scalars(
        select(ReportMedia).where(ReportMedia.report_id == world.published.id)
    ):
        assert media.thumbnail_path.removeprefix("public/") in text
        assert media.original_path not in text
    assert "step-approve_result" in text and "step-accept" in text
    late = client.get(f"/public/reports/{world.late.tracking_code}")
    assert "badge late" in late.text


def test_unverified_rejected_and_duplicate_reports_are_404(
    client: TestClient, world: World
) -> None:
    for hidden in (world.submitted, world.rejected, world.duplicate):
        assert client.get(f"/public/reports/{hidden.tracking_code}").status_code == 404


def test_no_private_field_in_any_page(client: TestClient, world: World, dbs: Session) -> None:
    originals = [m for m in dbs.scalars(select(ReportMedia.original_path))]
    code = world.published.tracking_code
    urls = [
        "/public",
        "/public?q=duong",
        f"/public/reports/{code}",
        f"/public/reports/{world.late.tracking_code}",
        "/public/agencies/ubnd-26526",
        f"/public/wards/{_ward(client, world)}",
        "/public/ranking",
        "/public/map.json?bbox=100,5,115,25&zoom=12",
    ]
    for url in urls:
        answer = client.get(url)
        assert answer.status_code == 200, url
        for secret in world.private() + originals:
            assert secret not in answer.text, (url, secret)


def test_a_reload_is_a_304(client: TestClient, world: World) -> None:
    for url in ("/public", f"/public/reports/{world.published.tracking_code}", "/public/ranking"):
        first = client.get(url)
        etag = first.headers["etag"]
        assert first.headers["cache-control"] == "public, max-age=60"
        assert "set-cookie" not in first.headers
        again = client.get(url, headers={"If-None-Match": etag})
        assert again.status_code == 304 and again.content == b""
        assert client.get(url, headers={"If-None-Match": '"other"'}).status_code == 200


def test_the_report_page_is_under_50_kb_before_its_photos(client: TestClient, world: World) -> None:
    page = client.get(f"/public/reports/{world.published.tracking_code}")
    total = len(page.content)
    assets = re.findall(r'<(?:link[^>]+href|script[^>]+src)="(/static/[^"]+)"', page.text)
    assert assets  # the stylesheets at least
    for asset in assets:
        total += len(client.get(asset).content)
    assert total < BUDGET, total


def test_agency_and_ward_pages(client: TestClient, world: World) -> None:
    agency = client.get("/public/agencies/ubnd-26526")
    assert agency.status_code == 200 and world.published.tracking_code in agency.text
    assert client.get("/public/agencies/no-such").status_code == 404
    assert client.get("/public/wards/00000").status_code == 404


def test_the_ranking_lists_agencies_with_results_and_checks_its_period(
    client: TestClient, world: World
) -> None:
    page = client.get("/public/ranking")
    assert page.status_code == 200
    assert "/public/agencies/ubnd-26526" in page.text
    assert client.get("/public/ranking?from=2030-01-02&to=2030-01-01").status_code == 422


def test_the_map_frame_and_its_data(client: TestClient, world: World) -> None:
    frame = client.get("/public/map")
    assert (
        frame.status_code == 200
        and "frame-ancestors 'self'" in frame.headers["content-security-policy"]
    )
    data = client.get("/public/map.json?bbox=106,10,108,17&zoom=8").json()
    codes = {f.get("code") for f in data["features"]}
    assert world.published.tracking_code in codes and world.submitted.tracking_code not in codes
    assert set(data["features"][0]) <= {"code", "state", "category", "lat", "lon", "count"}
    assert client.get("/public/map.json?bbox=1,2,3&zoom=8").status_code == 422
