"""Serving a video's public copy: who may get it, ranges for seeking, validators, the pages."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from ioc.settings import Settings
from reports.models import Report, ReportMedia
from reports.tracking.status import media_url
from tests.conftest import sign_in
from tests.reports.conftest import Post, photo
from tests.reports.lifecycle.conftest import Act, Cast
from tests.reports.media.conftest import Copied, public_file


def _url(row: ReportMedia) -> str:
    assert row.video_path is not None
    return media_url("", row.video_path)


@pytest.fixture
def filed_with_copy(
    post: Post, dbs: Session, phone_video: bytes, copied: Copied
) -> tuple[Report, ReportMedia, str]:
    """A submitted (unverified) report whose video has its copy; and its private token."""
    answer = post(category="giao-thong", photos=[photo()], video=phone_video).json()
    report = dbs.get_one(Report, answer["id"])
    token = answer["links"]["private_api"].rsplit("token=", 1)[1]
    return report, copied(report), token


def test_an_unverified_reports_copy_is_not_served_to_the_public(
    client: TestClient, filed_with_copy: tuple[Report, ReportMedia, str], cast: Cast
) -> None:
    _, row, token = filed_with_copy
    url = _url(row)
    assert client.get(url).status_code == 404
    assert client.get(url, params={"t": "wrong-token"}).status_code == 404
    assert client.get(url, params={"t": token}).status_code == 200  # the private link
    sign_in(client, "op")  # the IOC verifies it
    assert client.get(url).status_code == 200


def test_a_verified_reports_copy_is_public_and_seekable(
    client: TestClient,
    filed_with_copy: tuple[Report, ReportMedia, str],
    act: Act,
    cast: Cast,
    settings: Settings,
) -> None:
    report, row, _ = filed_with_copy
    act(report, "verify_forward", cast.operator)
    url = _url(row)
    data = public_file(settings, row).read_bytes()
    whole = client.get(url)
    assert whole.status_code == 200 and whole.content == data
    assert whole.headers["content-type"] == "video/mp4"
    assert whole.headers["accept-ranges"] == "bytes"
    assert whole.headers["cache-control"] == "private, max-age=86400"
    etag = whole.headers["etag"]
    assert etag == f'"{row.video_path.rsplit("/", 1)[1].split(".")[0]}"'  # type: ignore[union-attr]
    part = client.get(url, headers={"Range": "bytes=100-199"})
    assert part.status_code == 206 and part.content == data[100:200]
    assert part.headers["content-range"] == f"bytes 100-199/{len(data)}"
    tail = client.get(url, headers={"Range": "bytes=-50"})
    assert tail.status_code == 206 and tail.content == data[-50:]
    beyond = client.get(url, headers={"Range": f"bytes={len(data)}-"})
    assert beyond.status_code == 416
    assert beyond.headers["content-range"] == f"bytes */{len(data)}"
    same = client.get(url, headers={"Range": "bytes=0-9", "If-Range": etag})
    assert same.status_code == 206 and same.content == data[:10]
    changed = client.get(url, headers={"Range": "bytes=0-9", "If-Range": '"another"'})
    assert changed.status_code == 200 and changed.content == data  # the whole, current file
    again = client.get(url, headers={"If-None-Match": etag})
    assert again.status_code == 304 and again.content == b""


def test_a_name_that_no_copy_has_is_404(client: TestClient) -> None:
    assert client.get("/media/videos/ab/cd/" + "ab" * 32 + ".mp4").status_code == 404
    assert client.get("/media/videos/ab/cd/not-a-name.mp4").status_code == 404


def test_the_status_page_plays_the_copy_with_nothing_preloaded(
    client: TestClient, filed_with_copy: tuple[Report, ReportMedia, str]
) -> None:
    report, row, token = filed_with_copy
    page = client.get(f"/r/{report.tracking_code}", params={"t": token}).text
    assert f'<source src="http://testserver{_url(row)}?t={token}" type="video/mp4">' in page
    assert 'preload="none"' in page and "playsinline" in page
    assert f'poster="http://testserver{media_url("", row.display_path)}"' in page
    limited = client.get(f"/r/{report.tracking_code}").text  # the code alone: not yet public
    assert "<video" not in limited and (row.video_path or "?") not in limited


def test_the_status_page_shows_the_poster_until_the_copy_exists(
    client: TestClient, post: Post, dbs: Session, phone_video: bytes
) -> None:
    answer = post(category="giao-thong", photos=[photo()], video=phone_video).json()
    page = client.get(answer["links"]["private_status_page"]).text
    assert "<video" not in page
    assert page.count("<img") >= 2  # the photo and the video's poster
