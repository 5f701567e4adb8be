"""Daily snapshots: the job on the real queue, atomic files, serving, the admin page, withdrawal."""

from __future__ import annotations

import csv
import hashlib
import io
import json
import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select, text
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.orm import Session, sessionmaker

from dashboard.opendata import snapshots
from dashboard.opendata.fields import NAMES
from dashboard.opendata.models import OpenDataSnapshot, SnapshotState
from ioc import db, jobs
from ioc.app import create_app
from ioc.auth.models import Role
from ioc.settings import OpenDataSettings, Settings
from ioc.web import get_db
from reports.models import PUBLIC_STATES, Report
from tests.conftest import MakeUser, csrf_from, sign_in
from tests.dashboard.opendata.conftest import Story, secrets_of
from tests.ioc.test_jobs import clear_queue, run_until_empty

JOBS = text("SELECT task_name, args FROM procrastinate_jobs WHERE status = 'todo'")


@pytest.fixture
def od_settings(settings: Settings, tmp_path: Path) -> Settings:
    """The test settings with an open-data directory of this test's own."""
    return settings.model_copy(update={"open_data": OpenDataSettings(directory=tmp_path / "od")})


@pytest.fixture
def od_client(od_settings: Settings, engine: Engine, dbs: Session) -> Iterator[TestClient]:
    """An app serving that directory, in the test's transaction."""
    app = create_app(od_settings, engine=engine)

    def _db() -> Iterator[Session]:
        yield dbs

    app.dependency_overrides[get_db] = _db
    with TestClient(app, base_url="http://testserver") as test_client:
        yield test_client


@pytest.fixture
def admin(od_client: TestClient, make_user: MakeUser) -> TestClient:
    make_user("od-admin", Role.admin)
    sign_in(od_client, "od-admin")
    return od_client


def public_count(dbs: Session) -> int:
    return dbs.scalar(select(func.count()).where(Report.state.in_(PUBLIC_STATES))) or 0


def published_now(dbs: Session, od_settings: Settings) -> OpenDataSnapshot:
    """Today's snapshot, written and published without the queue."""
    snapshot_id = snapshots.ask(dbs, snapshots.vietnam_day(db.utcnow()), None)
    assert snapshots.publish(dbs, od_settings, snapshot_id, db.utcnow())
    dbs.commit()
    return dbs.get_one(OpenDataSnapshot, snapshot_id)


def test_the_job_writes_both_files_and_publishes_them_on_the_real_queue(
    story: Story,
    dbs: Session,
    connection: Connection,
    engine: Engine,
    od_settings: Settings,
    od_client: TestClient,
) -> None:
    snapshot_id = snapshots.ask(dbs, snapshots.vietnam_day(db.utcnow()), None)
    dbs.commit()
    found = jobs.Resources(
        od_settings, sessionmaker(bind=connection, join_transaction_mode="create_savepoint")
    )
    try:
        with db.session_scope(db.make_sessionmaker(engine)) as session:
            assert jobs.defer(session, snapshots.write_snapshot, snapshot_id=snapshot_id)
        run_until_empty(jobs.make_app(db.database_url(od_settings), [snapshots.blueprint]), found)
    finally:
        clear_queue(engine)
    snapshot = dbs.get_one(OpenDataSnapshot, snapshot_id)
    dbs.refresh(snapshot)
    assert snapshot.state == SnapshotState.published and snapshot.published_at is not None
    assert snapshot.reports == public_count(dbs)
    folder = snapshots.directory(od_settings)
    day = snapshot.day.isoformat()
    assert sorted(p.name for p in folder.iterdir()) == [
        f"reports-{day}.csv",
        f"reports-{day}.geojson",
    ]
    geo = (folder / f"reports-{day}.geojson").read_bytes()
    table = (folder / f"reports-{day}.csv").read_bytes()
    assert (snapshot.geojson_bytes, snapshot.csv_bytes) == (len(geo), len(table))
    assert snapshot.geojson_sha256 == hashlib.sha256(geo).hexdigest()
    assert snapshot.csv_sha256 == hashlib.sha256(table).hexdigest()
    collection = json.loads(geo)
    assert collection["type"] == "FeatureCollection"
    assert len(collection["features"]) == snapshot.reports
    rows = list(csv.reader(io.StringIO(table.decode("utf-8-sig"))))
    assert tuple(rows[0]) == NAMES and len(rows) == snapshot.reports + 1
    assert {r.tracking_code for r in story.public} <= {row[0] for row in rows[1:]}
    for secret in secrets_of(dbs, story):
        assert secret.encode() not in geo and secret.encode() not in table


def test_a_published_snapshot_is_served_listed_and_revalidated(
    story: Story, dbs: Session, od_settings: Settings, od_client: TestClient
) -> None:
    snapshot = published_now(dbs, od_settings)
    name = snapshots.file_name(snapshot.day, "csv")
    answer = od_client.get(f"/open-data/snapshots/{name}")
    assert answer.status_code == 200
    assert answer.headers["content-type"].startswith("text/csv")
    assert answer.headers["cache-control"] == "public, max-age=86400"
    assert answer.headers["etag"] == f'"{snapshot.csv_sha256}"'
    assert hashlib.sha256(answer.content).hexdigest() == snapshot.csv_sha256
    again = od_client.get(
        f"/open-data/snapshots/{name}", headers={"If-None-Match": answer.headers["etag"]}
    )
    assert again.status_code == 304
    geo = od_client.get(f"/open-data/snapshots/{snapshots.file_name(snapshot.day, 'geojson')}")
    assert geo.status_code == 200 and geo.headers["content-type"] == "application/geo+json"
    page = od_client.get("/open-data")
    assert f'href="/open-data/snapshots/{name}"' in page.text and snapshot.csv_sha256 in page.text


def test_a_failed_write_keeps_the_previous_files_and_leaves_no_temporary_file(
    story: Story, dbs: Session, od_settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    snapshot = published_now(dbs, od_settings)
    folder = snapshots.directory(od_settings)
    before = {p.name: p.read_bytes() for p in folder.iterdir()}

    def disk_failure(fd: int) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "fsync", disk_failure)
    with pytest.raises(OSError, match="No space"):
        snapshots.write_files(dbs, folder, snapshot.day, "")
    assert {p.name: p.read_bytes() for p in folder.iterdir()} == before  # no .tmp left either


@pytest.mark.parametrize(
    "name",
    [
        "reports-2026-13-01.csv",
        "reports-2031-01-01.csv",
        "reports-2031-01-01.xlsx",
        "..%2F..%2Fetc%2Fpasswd",
        ".reports-2031-01-01.tmp",
    ],
)
def test_anything_but_a_published_snapshot_is_404(od_client: TestClient, name: str) -> None:
    assert od_client.get(f"/open-data/snapshots/{name}").status_code == 404


def test_a_pending_snapshot_is_not_served(dbs: Session, od_client: TestClient) -> None:
    day = snapshots.vietnam_day(db.utcnow())
    snapshots.ask(dbs, day, None)
    dbs.commit()
    assert (
        od_client.get(f"/open-data/snapshots/{snapshots.file_name(day, 'csv')}").status_code == 404
    )


def test_the_admin_asks_for_today_s_snapshot_and_a_job_is_queued(
    admin: TestClient, dbs: Session
) -> None:
    token = csrf_from(admin, "/admin/open-data")
    answer = admin.post(
        "/admin/open-data/snapshots", data={"csrf_token": token}, follow_redirects=False
    )
    assert answer.status_code == 303 and answer.headers["location"].startswith("/admin/open-data")
    snapshot = dbs.scalars(select(OpenDataSnapshot)).one()
    assert snapshot.state == SnapshotState.pending
    assert snapshot.day == snapshots.vietnam_day(db.utcnow())
    queued = dbs.execute(JOBS).all()
    assert ("dashboard.opendata_snapshot", {"snapshot_id": snapshot.id}) in queued
    page = admin.get("/admin/open-data?done=requested", headers={"Accept-Language": "vi"})
    assert 'data-state="pending"' in page.text


def test_withdraw_stops_serving_and_publish_again_restores(
    story: Story, admin: TestClient, dbs: Session, od_settings: Settings
) -> None:
    snapshot = published_now(dbs, od_settings)
    path = f"/open-data/snapshots/{snapshots.file_name(snapshot.day, 'geojson')}"
    token = csrf_from(admin, "/admin/open-data")
    action = f"/admin/open-data/snapshots/{snapshot.id}"
    answer = admin.post(f"{action}/withdraw", data={"csrf_token": token}, follow_redirects=False)
    assert answer.status_code == 303
    dbs.refresh(snapshot)
    assert snapshot.state == SnapshotState.withdrawn and snapshot.withdrawn_by_id is not None
    assert admin.get(path).status_code == 404
    assert path not in admin.get("/open-data").text
    twice = admin.post(
        f"{action}/withdraw", data={"csrf_token": token}, headers={"Accept": "application/json"}
    )
    assert twice.status_code == 409
    again = admin.post(f"{action}/publish", data={"csrf_token": token}, follow_redirects=False)
    assert again.status_code == 303
    assert admin.get(path).status_code == 200


def test_forms_without_the_csrf_token_are_refused(admin: TestClient, dbs: Session) -> None:
    answer = admin.post(
        "/admin/open-data/snapshots", data={}, headers={"Accept": "application/json"}
    )
    assert answer.status_code == 403
    assert dbs.scalar(select(func.count()).select_from(OpenDataSnapshot)) == 0
    assert dbs.execute(JOBS).all() == []


def test_only_administrators_may_open_the_page_or_publish(
    od_client: TestClient, make_user: MakeUser, dbs: Session
) -> None:
    anonymous = od_client.get("/admin/open-data", follow_redirects=False)
    assert anonymous.status_code == 401
    make_user("od-operator", Role.ioc_supervisor)
    sign_in(od_client, "od-operator")
    assert od_client.get("/admin/open-data").status_code == 403
    token = csrf_from(od_client, "/")  # the sign-out form
    refused = od_client.post("/admin/open-data/snapshots", data={"csrf_token": token})
    assert refused.status_code == 403
    assert dbs.scalar(select(func.count()).select_from(OpenDataSnapshot)) == 0


def test_an_unknown_snapshot_id_is_404(admin: TestClient) -> None:
    token = csrf_from(admin, "/admin/open-data")
    for snapshot_id in ("999999", "99999999999999999999"):
        answer = admin.post(
            f"/admin/open-data/snapshots/{snapshot_id}/withdraw", data={"csrf_token": token}
        )
        assert answer.status_code in (404, 422), answer.text


def test_the_nightly_snapshot_runs_only_when_the_setting_is_on(
    story: Story, dbs: Session, connection: Connection, engine: Engine, od_settings: Settings
) -> None:
    app = jobs.make_app(db.database_url(od_settings), [snapshots.blueprint])
    periodic = app.periodic_registry.periodic_tasks[("dashboard.opendata_daily", "")]
    assert periodic.cron == "5 17 * * *"
    factory = sessionmaker(bind=connection, join_transaction_mode="create_savepoint")
    on = od_settings.model_copy(
        update={"open_data": od_settings.open_data.model_copy(update={"auto_publish": True})}
    )
    try:
        for conf in (od_settings, on):
            with db.session_scope(db.make_sessionmaker(engine)) as session:
                jobs.defer(session, snapshots.daily_snapshot, timestamp=0)
            run_until_empty(app, jobs.Resources(conf, factory))
            if conf is od_settings:
                assert dbs.scalar(select(func.count()).select_from(OpenDataSnapshot)) == 0
    finally:
        clear_queue(engine)
    snapshot = dbs.scalars(select(OpenDataSnapshot)).one()
    assert snapshot.state == SnapshotState.published and snapshot.published_by_id is None
    assert snapshot.reports == public_count(dbs)
