"""The media sweep: real files in a media root of the test's own, real report_media rows."""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select, text
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from ioc import db, jobs
from ioc.app import create_app, job_app
from ioc.settings import Settings
from ioc.web import get_db
from reports.media.sweep import sweep, sweep_media
from reports.models import ReportMedia
from tests.ioc.test_jobs import clear_queue, run_until_empty
from tests.reports.conftest import files_under, multipart, photo

DAY = 24 * 3600
GRACE = timedelta(hours=24)
STATUS = text("SELECT status FROM procrastinate_jobs WHERE id = :id")
ORPHAN = "public/display/ab/cd/" + "abcd" * 16 + ".jpg"


@pytest.fixture
def media_settings(settings: Settings, tmp_path: Path) -> Settings:
    """The test settings with a media root of this test's own (the session's is shared)."""
    return settings.model_copy(update={"media_dir": tmp_path / "media"})


@pytest.fixture
def client_own_media(
    media_settings: Settings, engine: Engine, dbs: Session
) -> Iterator[TestClient]:
    """An app writing to that media root, in the test's transaction."""
    app = create_app(media_settings, engine=engine)

    def _db() -> Iterator[Session]:
        yield dbs

    app.dependency_overrides[get_db] = _db
    with TestClient(app, base_url="http://testserver") as test_client:
        yield test_client


def put(root: Path, relative: str, age_seconds: float) -> Path:
    """A file at ``relative`` whose last change was ``age_seconds`` ago."""
    path = root / relative
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(b"not referenced by any row")
    then = time.time() - age_seconds
    os.utime(path, (then, then))
    return path


def age_everything(root: Path, seconds: float) -> None:
    then = time.time() - seconds
    for path in root.rglob("*"):
        os.utime(path, (then, then))


def media_of(dbs: Session, report_id: int) -> ReportMedia:
    return dbs.scalars(select(ReportMedia).where(ReportMedia.report_id == report_id)).one()


def test_the_sweep_removes_only_old_files_that_no_row_refers_to(
    client_own_media: TestClient, dbs: Session, media_settings: Settings
) -> None:
    root = media_settings.media_dir
    data, files = multipart({"category": "giao-thong", "description": "Ổ gà"}, [photo()], [])
    response = client_own_media.post("/api/v1/reports", data=data, files=files)
    assert response.status_code == 201, response.text
    media = media_of(dbs, response.json()["id"])
    referenced = {media.original_path, media.display_path, media.thumbnail_path}
    assert referenced <= files_under(root)
    age_everything(root, 2 * DAY)
    orphan = put(root, ORPHAN, 2 * DAY)
    fresh = put(root, "private/originals/12/34/" + "1234" * 16 + ".png", 60)
    crashed_write = put(root, "public/thumbnails/ab/cd/.abcd1234.tmp", 2 * DAY)
    not_ours = put(root, "public/display/ab/cd/README.txt", 2 * DAY)

    result = sweep(dbs, root, GRACE)

    assert sorted(result.removed) == sorted([ORPHAN, crashed_write.relative_to(root).as_posix()])
    assert not orphan.exists() and not crashed_write.exists()
    assert fresh.exists() and not_ours.exists()
    assert referenced <= files_under(root)  # the report keeps all of its files
    assert result.examined == len(referenced) + 2


def test_a_file_younger_than_the_grace_period_is_kept_though_no_row_names_it(
    dbs: Session, tmp_path: Path
) -> None:
    # A request in flight has written its files and not yet committed its rows.
    in_flight = put(tmp_path, ORPHAN, DAY - 600)
    assert sweep(dbs, tmp_path, GRACE).removed == ()
    assert in_flight.exists()
    assert sweep(dbs, tmp_path, GRACE, now=time.time() + 1200).removed == (ORPHAN,)
    assert not in_flight.exists()


def test_the_sweep_removes_the_work_directories_a_crashed_remux_left(
    dbs: Session, tmp_path: Path
) -> None:
    dead = put(tmp_path, ".remux-dead/copy.mp4", 2 * DAY).parent
    live = put(tmp_path, ".remux-live/copy.mp4", 60).parent
    for directory, age in ((dead, 2 * DAY), (live, 60)):
        then = time.time() - age
        os.utime(directory, (then, then))
    result = sweep(dbs, tmp_path, GRACE)
    assert ".remux-dead" in result.removed and not dead.exists()
    assert live.exists() and (live / "copy.mp4").exists()


def test_a_missing_media_root_is_an_empty_sweep(dbs: Session, tmp_path: Path) -> None:
    assert sweep(dbs, tmp_path / "nothing-here", GRACE).examined == 0


def test_the_sweep_runs_on_the_real_queue(engine: Engine, media_settings: Settings) -> None:
    root = media_settings.media_dir
    orphan = put(root, ORPHAN, 2 * DAY)
    fresh = put(root, "public/thumbnails/12/34/" + "1234" * 16 + ".jpg", 60)
    try:
        with db.session_scope(db.make_sessionmaker(engine)) as session:
            job_id = jobs.defer(session, sweep_media, timestamp=0)
        found = jobs.Resources(media_settings, db.make_sessionmaker(engine))
        run_until_empty(job_app(media_settings), found)
        assert not orphan.exists() and fresh.exists()
        with engine.connect() as conn:
            left = conn.execute(STATUS, {"id": job_id}).all()
        assert left == []  # succeeded, and deleted from the queue (failed jobs stay)
    finally:
        clear_queue(engine)
