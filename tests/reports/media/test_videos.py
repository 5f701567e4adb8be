"""New videos get their public copy by a job; old ones by the backfill; failures lose nothing."""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from types import SimpleNamespace
from typing import Any, cast

from click.testing import CliRunner
from sqlalchemy import select, text
from sqlalchemy.orm import Session, sessionmaker

from ioc import jobs
from ioc.cli import main
from ioc.cli_context import CliContext
from ioc.settings import Settings
from reports.media import videos
from reports.media.store import MediaStore
from reports.media.sweep import sweep
from reports.models import Report, ReportMedia, ReportState
from tests.reports.conftest import Post, photo
from tests.reports.media import tagged
from tests.reports.media.conftest import public_file, video_of

QUEUED = text(
    "SELECT args FROM procrastinate_jobs"
    " WHERE task_name = 'reports.remux_video' AND status = 'todo'"
)


def test_a_new_video_is_queued_for_its_copy_with_the_report(
    with_video: Report, dbs: Session
) -> None:
    row = video_of(dbs, with_video)
    assert row.video_path is None  # the 201 did not wait for the copy
    assert {"media_id": row.id} in [args for (args,) in dbs.execute(QUEUED)]


def test_a_report_without_video_queues_nothing(post: Post, dbs: Session) -> None:
    before = len(dbs.execute(QUEUED).all())
    assert post(category="giao-thong", photos=[photo()]).status_code == 201
    assert len(dbs.execute(QUEUED).all()) == before


def test_the_job_makes_a_clean_copy_once(
    with_video: Report, dbs: Session, connection: Any, settings: Settings
) -> None:
    row = video_of(dbs, with_video)
    factory = sessionmaker(bind=connection, join_transaction_mode="create_savepoint")
    context = SimpleNamespace(additional_context={"ioc": jobs.Resources(settings, factory)})
    made = videos.remux_video(cast(Any, context), media_id=row.id)
    row = video_of(dbs, with_video)
    assert made is not None and row.video_path == made
    data = public_file(settings, row).read_bytes()
    assert not [marker for marker in tagged.MARKERS if marker in data]
    again = videos.remux_video(cast(Any, context), media_id=row.id)  # a retry changes nothing
    assert again == made


def test_a_video_that_cannot_be_copied_keeps_its_report(
    with_video: Report, dbs: Session, settings: Settings
) -> None:
    row = video_of(dbs, with_video)
    original = MediaStore(settings.media_dir).path(row.original_path)
    kept = original.read_bytes()
    original.write_bytes(kept[: len(kept) // 3])  # the disk lost the end of it
    try:
        assert videos.make_copy(dbs, MediaStore(settings.media_dir), row.id) is None
        row = video_of(dbs, with_video)
        assert row.video_path is None and original.is_file()
        assert dbs.get_one(Report, with_video.id).state is ReportState.submitted
    finally:
        original.write_bytes(kept)  # content-addressed: other tests may share it


def test_an_unknown_or_photo_row_is_nothing_to_copy(
    with_video: Report, dbs: Session, settings: Settings
) -> None:
    store = MediaStore(settings.media_dir)
    photo_row = dbs.scalars(
        select(ReportMedia).where(
            ReportMedia.report_id == with_video.id, ReportMedia.kind == "image"
        )
    ).one()
    assert videos.make_copy(dbs, store, photo_row.id) is None
    assert videos.make_copy(dbs, store, 10**9) is None


def test_the_backfill_copies_what_has_no_copy_and_is_idempotent(
    post: Post, dbs: Session, settings: Settings, phone_video: bytes
) -> None:
    for description in ("một", "hai"):
        post(category="giao-thong", description=description, photos=[photo()], video=phone_video)
    store = MediaStore(settings.media_dir)
    seen: list[int] = []
    first = videos.backfill(dbs, store, batch=1, progress=lambda so_far: seen.append(so_far.made))
    assert first.made >= 2 and first.failed == [] and seen == sorted(seen)
    assert videos.pending(dbs, 0, 10) == []
    second = videos.backfill(dbs, store)
    assert (second.made, second.failed) == (0, [])


def test_the_cli_backfill_says_what_it_did(
    with_video: Report, dbs: Session, connection: Any, settings: Settings
) -> None:
    factory = sessionmaker(bind=connection, join_transaction_mode="create_savepoint")
    command = ["media", "remux-videos", "--batch", "5"]
    answer = CliRunner().invoke(main, command, obj=CliContext(settings, factory))
    assert answer.exit_code == 0, answer.output
    assert "public copies made, 0 could not be made" in answer.output
    assert video_of(dbs, with_video).video_path is not None


def test_the_sweep_keeps_a_copy_that_a_row_names(
    with_video: Report,
    dbs: Session,
    settings: Settings,
    copied: Callable[[Report], ReportMedia],
    tmp_path: Path,
) -> None:
    row = copied(with_video)
    assert row.video_path is not None
    # In a media root of the test's own (the session's is shared): the copy and a stray copy.
    kept, stray = tmp_path / row.video_path, tmp_path / "public/videos/ab/cd" / ("ab" * 32 + ".mp4")
    for path in (kept, stray):
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(public_file(settings, row).read_bytes())
        os.utime(path, (1, 1))
    result = sweep(dbs, tmp_path, timedelta(hours=1))
    assert result.removed == (stray.relative_to(tmp_path).as_posix(),)
    assert kept.is_file()


def test_the_status_json_names_the_copy_with_the_private_token(
    post: Post, dbs: Session, client: Any, phone_video: bytes, copied: Callable[..., ReportMedia]
) -> None:
    answer = post(category="giao-thong", photos=[photo()], video=phone_video).json()
    report = dbs.get_one(Report, answer["id"])
    copied(report)
    private_api = answer["links"]["private_api"]
    token = private_api.rsplit("token=", 1)[1]
    shown = client.get(private_api).json()
    videos_shown = [item for item in shown["photos"] if item["kind"] == "video"]
    assert videos_shown and videos_shown[0]["video_url"].endswith(f"?t={token}")
    assert videos_shown[0]["video_type"] == "video/mp4"
    assert "private/originals" not in json.dumps(shown)
    assert client.get(videos_shown[0]["video_url"]).status_code == 200
