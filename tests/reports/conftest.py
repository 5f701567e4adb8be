"""Fixtures of the intake tests: posting reports, counting rows and files."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx2 as httpx
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from ioc.app import create_app
from ioc.settings import IntakeSettings, Settings
from ioc.web import get_db
from reports.models import Follower, IdempotencyKey, Report, ReportEvent, ReportMedia
from tests.reports import media_samples as samples

TAM_THANG = (10.3736, 107.095)  # Sân bay Vũng Tàu, in Phường Tam Thắng
PHU_XUAN = (16.4668, 107.5786)  # Ngọ Môn, Huế
OUTSIDE = (10.0, 106.0)  # Mekong delta: no ward loaded
TABLES = (Report, ReportMedia, ReportEvent, IdempotencyKey, Follower)

Post = Callable[..., httpx.Response]


def photo(gps: tuple[float, float] | None = TAM_THANG, size: tuple[int, int] = (640, 480)) -> bytes:
    """A phone-like JPEG, with EXIF GPS at ``gps`` unless None."""
    return samples.jpeg(size, exif=samples.exif_block(gps=gps))


def multipart(
    fields: dict[str, Any], photos: list[bytes], videos: list[bytes]
) -> tuple[dict[str, str], list[tuple[str, tuple[str, bytes, str]]]]:
    """Form fields and files as the test client sends them."""
    files = [("photos", (f"p{i}.jpg", data, "image/jpeg")) for i, data in enumerate(photos)]
    files += [("video", (f"v{i}.mp4", data, "video/mp4")) for i, data in enumerate(videos)]
    return {k: str(v) for k, v in fields.items() if v is not None}, files


@pytest.fixture
def post(client: TestClient) -> Post:
    """POST a report: ``post(category=..., lat=..., photos=[...], key=..., lang=...)``."""

    def _post(
        *,
        photos: list[bytes] | None = None,
        video: bytes | None = None,
        videos: list[bytes] | None = None,
        key: str | None = None,
        lang: str | None = None,
        via: TestClient | None = None,
        **fields: Any,
    ) -> httpx.Response:
        all_videos = (videos or []) + ([video] if video is not None else [])
        data, files = multipart(fields, photos or [], all_videos)
        headers = {"Accept": "application/json"}
        if key is not None:
            headers["Idempotency-Key"] = key
        if lang is not None:
            headers["Accept-Language"] = lang
        sender = via or client
        if not files:  # still multipart, as the page and phone apps send it
            files = [("photos", ("", b"", "application/octet-stream"))]
        return sender.post("/api/v1/reports", data=data, files=files, headers=headers)

    return _post


@pytest.fixture
def media_root(settings: Settings) -> Path:
    """The test media root (shared by the session: compare listings, not emptiness)."""
    return settings.media_dir


def files_under(root: Path) -> set[str]:
    """Every file under the media root, as relative paths."""
    return {p.relative_to(root).as_posix() for p in root.rglob("*") if p.is_file()}


@pytest.fixture
def counts(dbs: Session) -> Callable[[], dict[str, int]]:
    """Row counts of the report tables."""

    def _counts() -> dict[str, int]:
        return {
            model.__tablename__: dbs.scalar(select(func.count()).select_from(model)) or 0
            for model in TABLES
        }

    return _counts


@pytest.fixture
def client_with(
    settings: Settings, engine: Engine, dbs: Session
) -> Iterator[Callable[..., TestClient]]:
    """A test client of an app with other intake settings (same test transaction)."""
    made: list[TestClient] = []

    def _make(**intake: Any) -> TestClient:
        changed = settings.model_copy(update={"intake": IntakeSettings(**intake)})
        app = create_app(changed, engine=engine)

        def _db() -> Iterator[Session]:
            yield dbs

        app.dependency_overrides[get_db] = _db
        test_client = TestClient(app, base_url="http://testserver")
        made.append(test_client)
        return test_client

    yield _make
    for test_client in made:
        test_client.close()
