"""Nothing private leaves through a public door (issue 11, "Done when").

Every public response — the public site's pages and data, Open311 in JSON and XML, the open data
files, and every file they link to — is fetched by following links from the public entry points,
and searched for the reporter's and the followers' identities, the originals' paths and bytes, and
anything of a report that the IOC has not verified (or has rejected).
"""

from __future__ import annotations

import hashlib
import re
from collections import deque
from dataclasses import dataclass
from urllib.parse import urljoin, urlsplit

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from ioc.settings import Settings
from reports.media import videos
from reports.media.store import MediaStore
from reports.models import Follower, Report, ReportMedia
from tests.reports.conftest import Post, photo
from tests.reports.lifecycle.conftest import Act, Cast
from tests.reports.media_samples import video

REPORTER = {"name": "Trần Thị Kín Đáo", "phone": "0987 650 321", "email": "kin.dao@example.vn"}
FOLLOWER = {"name": "Lê Văn Theo Dõi", "phone": "0912 345 678", "email": "theo.doi@example.vn"}
HIDDEN_TEXT = "Nắp cống vỡ trước nhà số 77 chưa xác minh"
REJECTED_TEXT = "Khiếu nại về hàng xóm bị từ chối"
ENTRY_POINTS = (
    "/public",
    "/public/ranking",
    "/open-data",
    "/open-data/reports.geojson",
    "/open-data/reports.csv",
    "/open311/v2/discovery.json",
    "/open311/v2/discovery.xml",
    "/open311/v2/services.json",
    "/open311/v2/services.xml",
    "/open311/v2/requests.json",
    "/open311/v2/requests.xml",
    "/open311/v2/servicerequestupdates.json",
    "/open311/v2/servicerequestupdates.xml",
)
PUBLIC_PREFIXES = ("/public", "/open-data", "/open311", "/media/")
MAX_FETCHES = 400
LINK = re.compile(
    r"""(?:href|src|poster|action|data-[a-z-]+)=["']([^"']+)["']|(https?://testserver/[^\s"'<>,]+)"""
)
SRCSET = re.compile(r"""srcset=["']([^"']+)["']""")


@dataclass(frozen=True)
class World:
    """Reports at each stage of publicity: published (video, follower), forwarded, new, rejected."""

    published: Report
    in_progress: Report
    unverified: Report
    rejected: Report
    secrets: tuple[str, ...]
    original_digests: frozenset[str]


def _identity(contact: dict[str, str]) -> tuple[str, ...]:
    digits = contact["phone"].replace(" ", "")
    return (contact["name"], contact["phone"], digits, contact["email"])


def _file(post: Post, dbs: Session, description: str, **extra: object) -> Report:
    created = post(category="giao-thong", description=description, photos=[photo()], **extra)
    assert created.status_code == 201, created.text
    return dbs.get_one(Report, created.json()["id"])


@pytest.fixture
def world(post: Post, dbs: Session, act: Act, cast: Cast, settings: Settings) -> World:
    """Four reports at every stage of publicity, with identities and originals to keep."""
    published = _file(post, dbs, "Ổ gà công khai ở đường Thùy Vân", video=video(), **REPORTER)
    dbs.add(Follower(report_id=published.id, submitter_key="f" * 64, **FOLLOWER))
    act(published, "verify_forward", cast.operator)
    act(published, "accept", cast.agency_a)
    act(published, "resolve", cast.agency_a, note="Đã vá ổ gà", photos=1)
    act(published, "approve_result", cast.operator)
    store = MediaStore(settings.media_dir)
    for clip in dbs.scalars(select(ReportMedia).where(ReportMedia.kind == "video")):
        assert videos.make_copy(dbs, store, clip.id) is not None  # what the remux job does
    in_progress = _file(post, dbs, "Đèn đường hỏng đang xử lý", **REPORTER)
    act(in_progress, "verify_forward", cast.operator)
    unverified = _file(post, dbs, HIDDEN_TEXT, **REPORTER)
    rejected = _file(post, dbs, REJECTED_TEXT, **REPORTER)
    act(rejected, "reject", cast.operator, reason="Không thuộc phạm vi")
    media = dbs.scalars(select(ReportMedia)).all()
    originals = tuple(m.original_path for m in media)
    hidden = tuple(
        value
        for report in (unverified, rejected)
        for value in (report.tracking_code, report.description)
    )
    hidden_files = tuple(
        path
        for m in media
        if m.report_id in (unverified.id, rejected.id)
        for path in (m.display_path, m.thumbnail_path)
    )
    secrets = _identity(REPORTER) + _identity(FOLLOWER) + originals + hidden + hidden_files
    secrets += tuple(path.rsplit("/", 1)[-1].split(".")[0] for path in originals)
    return World(
        published, in_progress, unverified, rejected, secrets, frozenset(m.sha256 for m in media)
    )


def _links(body: str, base: str) -> list[str]:
    found = [a or b for a, b in LINK.findall(body)]
    for srcset in SRCSET.findall(body):
        found += [part.strip().split(" ")[0] for part in srcset.split(",") if part.strip()]
    return [urljoin(base, link) for link in found]


def _local_path(url: str) -> str | None:
    parts = urlsplit(url)
    if parts.netloc not in ("", "testserver"):
        return None
    path = parts.path + (f"?{parts.query}" if parts.query else "")
    return path if parts.path.startswith(PUBLIC_PREFIXES) else None


def crawl(client: TestClient, starts: list[str]) -> dict[str, bytes]:
    """Every public response reachable from ``starts`` (bounded), by path."""
    seen: dict[str, bytes] = {}
    queue = deque(starts)
    while queue and len(seen) < MAX_FETCHES:
        path = queue.popleft()
        if path in seen:
            continue
        response = client.get(path, headers={"Accept-Language": "vi"})
        assert response.status_code < 500, (path, response.status_code)
        seen[path] = response.content
        if "text" in response.headers.get("content-type", "") or "json" in response.headers.get(
            "content-type", ""
        ):
            for link in _links(response.text, f"http://testserver{path}"):
                local = _local_path(link)
                if local is not None and local not in seen:
                    queue.append(local)
    return seen


def _per_report(world: World) -> list[str]:
    paths = []
    for report in (world.published, world.in_progress, world.unverified, world.rejected):
        code = report.tracking_code
        paths += [f"/public/reports/{code}"]
        paths += [f"/open311/v2/requests/{code}.{fmt}" for fmt in ("json", "xml")]
        paths += [
            f"/open311/v2/requests.{fmt}?service_request_id={code}" for fmt in ("json", "xml")
        ]
    return paths


def test_no_public_response_carries_a_private_field_or_an_unverified_report(
    client: TestClient, world: World
) -> None:
    responses = crawl(client, list(ENTRY_POINTS) + _per_report(world))
    leaks = [
        (path, secret)
        for path, body in responses.items()
        for secret in world.secrets
        if secret.encode() in body and secret not in path  # a 404 may echo what was asked
    ]
    assert leaks == []
    originals = [
        p
        for p, body in responses.items()
        if hashlib.sha256(body).hexdigest() in world.original_digests
    ]
    assert originals == []
    # The crawl reached the published report, its photos and its video: the search was real.
    assert any(world.published.tracking_code.encode() in body for body in responses.values())
    assert any(world.in_progress.tracking_code.encode() in body for body in responses.values())
    assert any(path.startswith("/media/display/") for path in responses)
    assert any(path.startswith("/media/videos/") for path in responses)


def test_unverified_and_rejected_reports_are_not_found(client: TestClient, world: World) -> None:
    for report in (world.unverified, world.rejected):
        code = report.tracking_code
        assert client.get(f"/public/reports/{code}").status_code == 404
        assert client.get(f"/open311/v2/requests/{code}.json").status_code == 404
        assert client.get(f"/open311/v2/requests/{code}.xml").status_code == 404
    assert client.get(f"/public/reports/{world.published.tracking_code}").status_code == 200
