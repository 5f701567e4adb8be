"""Fixtures of the video tests: a filed report with a tagged video, and making its copy."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from ioc.settings import Settings
from reports.media import videos
from reports.media.store import MediaStore
from reports.models import Report, ReportMedia
from tests.reports.conftest import Post, photo
from tests.reports.lifecycle.conftest import act, cast, filed  # noqa: F401 - fixtures
from tests.reports.media import tagged


@pytest.fixture
def phone_video(tmp_path_factory: pytest.TempPathFactory) -> bytes:
    """A QuickTime video with GPS and device tags."""
    return tagged.tagged(tmp_path_factory.mktemp("video") / "phone.mov").read_bytes()


@pytest.fixture
def with_video(post: Post, dbs: Session, phone_video: bytes) -> Report:
    """A submitted report with a photo and the tagged video."""
    answer = post(category="giao-thong", description="Ổ gà", photos=[photo()], video=phone_video)
    assert answer.status_code == 201, answer.text
    return dbs.get_one(Report, answer.json()["id"])


def video_of(dbs: Session, report: Report) -> ReportMedia:
    """The report's video row, as stored now."""
    dbs.expire_all()
    return dbs.scalars(
        select(ReportMedia).where(ReportMedia.report_id == report.id, ReportMedia.kind == "video")
    ).one()


Copied = Callable[[Report], ReportMedia]


@pytest.fixture
def copied(dbs: Session, settings: Settings) -> Copied:
    """Make a report's video copy as the job does; the row afterwards."""

    def _copy(report: Report) -> ReportMedia:
        store = MediaStore(settings.media_dir)
        assert videos.make_copy(dbs, store, video_of(dbs, report).id) is not None
        return video_of(dbs, report)

    return _copy


def public_file(settings: Settings, row: ReportMedia) -> Path:
    """The public copy's file."""
    assert row.video_path is not None
    return MediaStore(settings.media_dir).path(row.video_path)
