"""Videos on the staff pages: the agency gets only the metadata-free copy, the IOC also the
original (evidence); both pages load nothing of a video before play."""

# ruff: noqa: F811 - the fixtures imported below are parameters of the tests

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from ioc.settings import Settings
from reports.media.store import MediaStore
from reports.models import Report
from tests.conftest import sign_in
from tests.reports.conftest import Post, photo
from tests.reports.lifecycle.conftest import Act, Cast, act, cast  # noqa: F401 - fixtures
from tests.reports.media import tagged
from tests.reports.media.conftest import (  # noqa: F401 - fixtures
    Copied,
    copied,
    phone_video,
    public_file,
    video_of,
)


def _forwarded(post: Post, act: Act, cast: Cast, dbs: Session, video: bytes) -> Report:
    answer = post(category="giao-thong", photos=[photo()], video=video)
    report = dbs.get_one(Report, answer.json()["id"])
    act(report, "verify_forward", cast.operator)
    dbs.commit()
    return report


def test_the_agency_sees_the_poster_then_the_metadata_free_copy(
    client: TestClient,
    post: Post,
    act: Act,
    cast: Cast,
    dbs: Session,
    phone_video: bytes,
    copied: Copied,
    settings: Settings,
) -> None:
    report = _forwarded(post, act, cast, dbs, phone_video)
    row = video_of(dbs, report)
    sign_in(client, "staff-a")
    url = f"/agency/reports/{report.tracking_code}/media/{row.id}"
    waiting = client.get(f"/agency/reports/{report.tracking_code}").text
    assert "<video" not in waiting and "report-video-pending" in waiting
    assert client.get(url).status_code == 404  # never the original, with its GPS
    row = copied(report)
    page = client.get(f"/agency/reports/{report.tracking_code}").text
    assert f'<source src="{url}" type="video/mp4">' in page
    assert 'preload="none"' in page and "playsinline" in page and "poster=" in page
    answer = client.get(url, headers={"Range": "bytes=0-"})
    assert answer.status_code == 206 and answer.headers["content-type"] == "video/mp4"
    assert answer.content == public_file(settings, row).read_bytes()
    assert not [marker for marker in tagged.MARKERS if marker in answer.content]
    assert "original=1" not in page


def test_the_ioc_plays_the_copy_and_keeps_the_original_as_evidence(
    client: TestClient,
    post: Post,
    act: Act,
    cast: Cast,
    dbs: Session,
    phone_video: bytes,
    copied: Copied,
    settings: Settings,
) -> None:
    report = _forwarded(post, act, cast, dbs, phone_video)
    row = video_of(dbs, report)
    original = MediaStore(settings.media_dir).path(row.original_path).read_bytes()
    sign_in(client, "op")
    url = f"/dashboard/reports/{report.tracking_code}/media/{row.id}"
    before = client.get(url)  # no copy yet: the original, as before
    assert before.status_code == 200 and before.content == original
    assert before.headers["content-type"] == "video/quicktime"
    copy = public_file(settings, copied(report)).read_bytes()
    html = client.get(f"/dashboard/reports/{report.tracking_code}/panel").text
    assert f'<source src="{url}" type="video/mp4">' in html and 'preload="none"' in html
    assert f'href="{url}?original=1"' in html
    assert client.get(url).content == copy
    evidence = client.get(url, params={"original": "1"})
    assert evidence.content == original
    assert evidence.headers["content-disposition"].startswith("attachment")
    assert evidence.headers["cache-control"] == "private, no-store"
    client.cookies.clear()
    sign_in(client, "staff-a")
    assert client.get(url, params={"original": "1"}).status_code == 403
    agency = client.get(f"/agency/reports/{report.tracking_code}/media/{row.id}?original=1")
    assert agency.content == copy  # the agency's route has no way to the original
