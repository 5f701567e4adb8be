"""Retries that overlap: the same Idempotency-Key and body from many clients at once, against a
real server (uvicorn on a loopback port, real commits), must make one report with all its files.

A weak 3G link makes exactly this: the phone gives up waiting and sends again while the first
attempt is still being processed. The request that loses the race for the key must not delete
files that the winner's rows point to.
"""

from __future__ import annotations

import threading
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx2 as httpx
import pytest
from sqlalchemy import select, update
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from ioc.app import create_app
from ioc.settings import IntakeSettings, Settings
from reports.models import IdempotencyKey, Report, ReportMedia, ReportState
from tests.ioc import serving
from tests.reports.conftest import multipart, photo

# Phường Vũng Tàu, where no other test files reports: these are committed and stay, and must not
# crowd the duplicate hint (five nearest) that other tests read near Tam Thắng.
PLACE = (10.3452, 107.0745)


@pytest.fixture(scope="module")
def race_media(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A media root of this module's own."""
    return tmp_path_factory.mktemp("race-media")


@pytest.fixture(scope="module")
def served(settings: Settings, engine: Engine, race_media: Path) -> Iterator[str]:
    """The app served by uvicorn in a thread; every client is 127.0.0.1, so no rate limit."""
    changed = settings.model_copy(
        update={"media_dir": race_media, "intake": IntakeSettings(rate_limit=1_000_000)}
    )
    with serving.served(create_app(changed, engine=engine)) as (host, port):
        yield f"http://{host}:{port}"


def _race(url: str, clients: int, key: str, seed: int) -> list[httpx.Response]:
    """``clients`` threads send the same body with the same key at the same moment."""
    fields, files = multipart(
        {"category": "giao-thong", "description": f"Ổ gà {seed}", "lat": PLACE[0], "lon": PLACE[1]},
        [photo(gps=None, size=(640 + seed, 480)), photo(gps=None, size=(320, 240 + seed))],
        [],
    )
    start = threading.Barrier(clients)

    def send(_: int) -> httpx.Response:
        with httpx.Client(base_url=url, timeout=60) as client:
            start.wait()
            return client.post(
                "/api/v1/reports",
                data=fields,
                files=files,
                headers={"Idempotency-Key": key, "Accept": "application/json"},
            )

    with ThreadPoolExecutor(clients) as pool:
        return list(pool.map(send, range(clients)))


def _check_one_report_with_all_files(
    url: str, engine: Engine, media_root: Path, key: str, answers: list[httpx.Response]
) -> None:
    assert [a.status_code for a in answers] == [201] * len(answers), answers[0].text
    assert len({a.json()["tracking_code"] for a in answers}) == 1
    with Session(engine) as db:
        keys = db.scalars(select(IdempotencyKey).where(IdempotencyKey.key == key)).all()
        assert len(keys) == 1
        report_id = keys[0].report_id
        assert {a.json()["id"] for a in answers} == {report_id}
        rows = db.scalars(select(ReportMedia).where(ReportMedia.report_id == report_id)).all()
        assert len(rows) == 2
        for row in rows:
            for path in (row.original_path, row.display_path, row.thumbnail_path):
                assert (media_root / path).is_file(), f"{path} is gone"
        db.execute(update(Report).where(Report.id == report_id).values(state=ReportState.assigned))
        db.commit()  # now public: its photos are served to anyone
    public = httpx.get(f"{url}/api/v1/reports/{answers[0].json()['tracking_code']}").json()
    assert len(public["photos"]) == 2
    for shown in public["photos"]:
        for link in (shown["display_url"], shown["thumbnail_url"]):
            assert httpx.get(link).status_code == 200, link


@pytest.mark.parametrize("clients", [2, 20])
def test_overlapping_retries_make_one_report_with_all_its_files(
    served: str, engine: Engine, race_media: Path, clients: int
) -> None:
    # Before the fix, 2 clients lost the files in 8 rounds of 10 and 20 clients in 10 of 10.
    for round_number in range(4 if clients == 2 else 1):
        key = f"race-{clients}-{round_number}-{uuid.uuid4()}"
        answers = _race(served, clients, key, seed=clients * 10 + round_number)
        _check_one_report_with_all_files(served, engine, race_media, key, answers)
