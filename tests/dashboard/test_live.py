"""The live feed (``GET /dashboard/events``): NOTIFY on commit → one listener → SSE clients.

The feed needs real commits, so most tests run against a served app on the real database (the
savepoint-per-test sessions never commit, and NOTIFY is delivered on commit only). The reports
they file are committed and stay, in Phường Vũng Tàu (where the race tests file theirs, away from
the duplicate hint's reports); they act as the seed's demo accounts, so no user is committed.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Callable, Generator, Iterator
from dataclasses import dataclass, field
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import select, text
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.orm import Session

from dashboard.operator import live_views
from dashboard.operator.live_views import CHANNEL, REPLAY_LIMIT
from ioc.app import create_app
from ioc.auth.models import Role, User
from ioc.cli import DEMO_PASSWORD
from ioc.settings import IntakeSettings, Settings
from ioc.web import live
from reports.lifecycle.service import ActionInput, Actor, apply_action
from reports.models import ActorKind, Report, ReportEvent
from routing.models import Agency
from tests.conftest import MakeUser, sign_in
from tests.e2e.over_http import PLACE, file_report
from tests.ioc import serving

AGENCY = "ubnd-26506"  # its committee
WAIT_S = 20  # how long a test waits for an event before it fails (not a timing assertion)
Headers = dict[str, str]


@pytest.fixture(scope="module")
def served_app(
    settings: Settings, engine: Engine, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[FastAPI, str]]:
    """The app served by uvicorn in a thread, on the real database (every request commits)."""
    changed = settings.model_copy(
        update={
            "media_dir": tmp_path_factory.mktemp("live-media"),
            "intake": IntakeSettings(rate_limit=1_000_000),
        }
    )
    app = create_app(changed, engine=engine)
    with serving.served(app) as (host, port):
        yield app, f"http://{host}:{port}"


@pytest.fixture(scope="module")
def url(served_app: tuple[FastAPI, str]) -> str:
    return served_app[1]


@pytest.fixture(scope="module")
def operator(url: str) -> Headers:
    """The bearer header of the seed's demo operator."""
    return _bearer(url, "operator")


def _bearer(url: str, username: str) -> Headers:
    body = {"username": username, "password": DEMO_PASSWORD}
    answer = httpx.post(f"{url}/api/v1/auth/token", json=body)
    assert answer.status_code == 200, answer.text
    return {"Authorization": f"Bearer {answer.json()['access_token']}"}


@dataclass
class Feed:
    """An open SSE stream, read on demand: each event as a dict (event, id, data)."""

    lines: Iterator[str]
    seen: list[dict[str, Any]] = field(default_factory=list)

    def next_event(self, match: Callable[[dict[str, Any]], bool]) -> dict[str, Any]:
        """The next event that ``match`` accepts (the others are kept in ``seen``)."""
        deadline = time.monotonic() + WAIT_S
        fields: dict[str, Any] = {}
        for line in self.lines:  # a ping comment arrives every 15 s: the deadline is checked
            if line:
                name, _, value = line.partition(":")
                fields[name or "comment"] = value.removeprefix(" ")
                continue
            if "data" in fields:
                fields["data"] = json.loads(fields["data"])
            self.seen.append(fields)
            if match(fields):
                return fields
            assert time.monotonic() < deadline, f"no matching event came; seen: {self.seen}"
            fields = {}
        raise AssertionError(f"the stream ended; seen: {self.seen}")


def of(code: str, action: str | None = None) -> Callable[[dict[str, Any]], bool]:
    """Matches the events of a report (of one action)."""

    def match(event: dict[str, Any]) -> bool:
        data = event.get("data") or {}
        return data.get("code") == code and action in (None, data.get("action"))

    return match


def is_ready(event: dict[str, Any]) -> bool:
    return event.get("comment") == "ready"


def forward(url: str, operator: Headers, code: str) -> None:
    """The operator forwards the report to AGENCY (committed)."""
    answer = httpx.post(
        f"{url}/api/v1/reports/{code}/actions/verify_forward",
        data={"agency": AGENCY},
        headers=operator | {"Accept": "application/json"},
    )
    assert answer.status_code == 200, answer.text


def open_feed(
    client: httpx.Client, headers: Headers, params: dict[str, str] | None = None
) -> Generator[Feed]:
    """Subscribe and wait until the server listens (its first message, a comment)."""
    with client.stream("GET", "/dashboard/events", headers=headers, params=params) as answer:
        assert answer.status_code == 200, answer.read()
        assert answer.headers["content-type"].startswith("text/event-stream")
        feed = Feed(answer.iter_lines())
        feed.next_event(is_ready)
        yield feed


@pytest.fixture
def feed_of(url: str) -> Iterator[Callable[..., Feed]]:
    """Open feeds (``feed_of(headers, params)``), all closed when the test ends."""
    with httpx.Client(base_url=url, timeout=WAIT_S) as client:
        opened: list[Generator[Feed]] = []

        def _open(headers: Headers, params: dict[str, str] | None = None) -> Feed:
            stream = open_feed(client, headers, params)
            opened.append(stream)
            return next(stream)

        yield _open
        for stream in opened:
            stream.close()


def test_a_filed_report_and_an_action_reach_a_subscriber(
    url: str, operator: Headers, feed_of: Callable[..., Feed]
) -> None:
    feed = feed_of(operator)
    code = file_report(url, "Trực tiếp 1")
    new = feed.next_event(of(code))
    assert new["event"] == "report.new"
    assert int(new["id"]) == new["data"]["id"]
    data = new["data"]
    assert (data["state"], data["from_state"], data["action"]) == ("submitted", None, "submit")
    assert (data["category"], data["ward"], data["agency"]) == ("giao-thong", "Vũng Tàu", None)
    assert (float(data["lat"]), float(data["lon"]), data["overdue"]) == (*PLACE, False)
    assert data["at"]
    forward(url, operator, code)
    changed = feed.next_event(of(code))
    assert changed["event"] == "report.changed"
    assert int(changed["id"]) > int(new["id"])
    data = changed["data"]
    assert (data["from_state"], data["state"], data["action"]) == (
        "submitted",
        "assigned",
        "verify_forward",
    )
    assert data["agency"] == AGENCY


def test_open_streams_hold_no_database_connection(
    operator: Headers, engine: Engine, feed_of: Callable[..., Feed]
) -> None:
    before = engine.pool.checkedout()  # type: ignore[attr-defined]
    for _ in range(5):
        feed_of(operator)
    assert engine.pool.checkedout() == before  # type: ignore[attr-defined]


def test_a_rolled_back_change_is_never_announced(
    url: str, operator: Headers, engine: Engine, settings: Settings, feed_of: Callable[..., Feed]
) -> None:
    code = file_report(url, "Trực tiếp 2")
    feed = feed_of(operator)
    with Session(engine) as db:
        report = db.scalars(select(Report).where(Report.tracking_code == code)).one()
        user = db.scalars(select(User).where(User.username == "operator")).one()
        actor = Actor(ActorKind.staff, user_id=user.id, role=Role.ioc_operator.value)
        data = ActionInput(reason="Không rõ ràng")
        apply_action(db, settings, report.id, "reject", actor, data)
        db.rollback()
    forward(url, operator, code)  # committed after the rolled-back reject
    feed.next_event(of(code, "verify_forward"))
    assert [e for e in feed.seen if of(code, "reject")(e)] == []


def test_a_client_that_reconnects_gets_what_it_missed(
    url: str, operator: Headers, feed_of: Callable[..., Feed]
) -> None:
    before = feed_of(operator)
    first = file_report(url, "Trực tiếp 3")
    last_seen = before.next_event(of(first))["id"]
    missed = file_report(url, "Trực tiếp 4")  # no subscriber hears these two
    forward(url, operator, missed)
    for how in (
        {"headers": {"Last-Event-ID": last_seen}},
        {"params": {"last_event_id": last_seen}},
    ):
        feed = feed_of(operator | how.get("headers", {}), how.get("params"))
        filed = feed.next_event(of(missed, "submit"))
        forwarded = feed.next_event(of(missed, "verify_forward"))
        assert int(last_seen) < int(filed["id"]) < int(forwarded["id"])
        # The safety window replays a little before the last id too; the client drops those.
        assert all(int(e["id"]) > int(last_seen) - live_views.REPLAY_WINDOW for e in feed.seen[1:])


def test_the_feed_survives_a_lost_listener_connection(
    served_app: tuple[FastAPI, str], operator: Headers, engine: Engine, feed_of: Callable[..., Feed]
) -> None:
    app, url = served_app
    feed = feed_of(operator)
    hub = live.hub(app, CHANNEL)
    with engine.connect() as conn:
        killed = conn.execute(
            text(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = :n"
            ),
            {"n": hub.application_name},
        ).all()
    assert killed == [(True,)]
    feed.next_event(lambda event: event.get("event") == "report.bulk")  # reload: some were lost
    code = file_report(url, "Trực tiếp 5")
    assert feed.next_event(of(code))["event"] == "report.new"
    assert hub.reconnections >= 1


def test_agency_staff_may_not_open_the_feed(
    client: TestClient, make_user: MakeUser, dbs: Session
) -> None:
    agency_id = dbs.scalar(select(Agency.id).where(Agency.code == AGENCY))
    make_user("staff-live", Role.agency_staff, agency_id)
    sign_in(client, "staff-live")
    answer = client.get("/dashboard/events", headers={"Accept": "text/event-stream"})
    assert answer.status_code == 403


def test_an_anonymous_visitor_may_not_open_the_feed(client: TestClient) -> None:
    answer = client.get("/dashboard/events", headers={"Accept": "application/json"})
    assert answer.status_code == 401


@pytest.mark.parametrize("given", ["abc", "-1", "1e3", "9" * 30])
def test_a_bad_last_event_id_is_refused_clearly(
    client: TestClient, make_user: MakeUser, given: str
) -> None:
    make_user("op-live")
    sign_in(client, "op-live")
    answer = client.get(
        "/dashboard/events",
        params={"last_event_id": given},
        headers={"Accept": "application/json", "Accept-Language": "en"},
    )
    assert answer.status_code == 422
    problem = answer.json()
    assert problem["field"] == "last_event_id"
    assert "must be a whole number" in problem["detail"]
    vietnamese = client.get(
        "/dashboard/events",
        params={"last_event_id": given},
        headers={"Accept": "application/json", "Accept-Language": "vi"},
    )
    assert "phải là một số nguyên" in vietnamese.json()["detail"]


# --- The trigger's messages, read inside the test's transaction ----------------------------

CAPTURE = """
CREATE SCHEMA live_capture;
CREATE TABLE live_capture.sent (n serial, channel text, payload text);
CREATE FUNCTION live_capture.pg_notify(channel text, payload text) RETURNS void
    LANGUAGE sql AS $$ INSERT INTO live_capture.sent (channel, payload) VALUES ($1, $2) $$;
SET LOCAL search_path = live_capture, pg_catalog, public;
"""


def _notified(connection: Connection, events: int, report_id: int) -> list[str]:
    """Insert ``events`` events in one statement; the payloads the trigger sent (captured: a
    pg_notify of our own comes first on the search path, and the test rolls it all back)."""
    connection.exec_driver_sql(CAPTURE)
    connection.execute(
        text(
            "INSERT INTO report_events (report_id, at, actor_kind, from_state, to_state, action,"
            " note, payload) SELECT :r, now(), 'system', 'submitted', 'submitted', 'overdue', '',"
            " '{}' FROM generate_series(1, :n)"
        ),
        {"r": report_id, "n": events},
    )
    rows = connection.execute(text("SELECT channel, payload FROM live_capture.sent ORDER BY n"))
    sent = rows.all()
    assert {channel for channel, _ in sent} <= {CHANNEL}
    return [payload for _, payload in sent]


def test_events_are_sent_in_small_chunks(connection: Connection, filed: Report) -> None:
    payloads = _notified(connection, 25, filed.id)
    chunks = [json.loads(p)["events"] for p in payloads]
    assert [len(c) for c in chunks] == [10, 10, 5]
    ids = [event["id"] for chunk in chunks for event in chunk]
    assert ids == sorted(ids) and len(set(ids)) == 25
    assert all(e["code"] == filed.tracking_code for chunk in chunks for e in chunk)
    assert max(len(p.encode()) for p in payloads) < 8000


def test_a_bulk_insert_sends_one_small_notice(connection: Connection, filed: Report) -> None:
    payloads = _notified(connection, 1000, filed.id)
    assert payloads == ['{"bulk" : true}']


def test_a_long_replay_asks_the_client_to_reload(
    connection: Connection, dbs: Session, filed: Report
) -> None:
    def sessions() -> Session:
        return Session(bind=connection, join_transaction_mode="create_savepoint")

    _notified(connection, REPLAY_LIMIT + 1, filed.id)
    ids = dbs.scalars(
        select(ReportEvent.id)
        .where(ReportEvent.report_id == filed.id, ReportEvent.action == "overdue")
        .order_by(ReportEvent.id)
    ).all()
    window = live_views.REPLAY_WINDOW  # a replay after id N starts after N - window
    assert live_views.replay(sessions, ids[-1] + window) == []
    assert live_views.replay(sessions, ids[0] - 1 + window) is None  # 501 missed: reload
    last_four = live_views.replay(sessions, ids[-5] + window)
    assert last_four is not None and [m["id"] for m in last_four] == ids[-4:]
    assert {m["code"] for m in last_four} == {filed.tracking_code}


# --- The hub, in memory -------------------------------------------------------------------


def test_a_subscriber_that_falls_behind_is_dropped() -> None:
    async def scenario() -> None:
        hub = live.Hub("postgresql://unused", "nothing")
        slow, quick = live.Subscription(), live.Subscription()
        hub.subscribers |= {slow, quick}
        for n in range(live.QUEUE_SIZE):
            hub.broadcast({"n": n})
            assert await quick.get() == {"n": n}
        hub.broadcast({"n": "one too many"})
        assert hub.subscribers == {quick}
        assert slow.queue.qsize() == 1 and await slow.get() is live.Signal.DROPPED
        assert await quick.get() == {"n": "one too many"}

    asyncio.run(scenario())
