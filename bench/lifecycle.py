"""Benchmark of the lifecycle over HTTP: reports driven to publication by concurrent staff.

Each report goes verify_forward (IOC operator) → accept (agency) → resolve with an after-photo
(agency) → approve_result (operator); every tenth also asks for an extension, which the supervisor
approves. Prints actions per second and p50/p95/p99 latency per action, then checks in the
database that each report has each event exactly once, that no notification was written twice,
and that every report ended published.

It prepares its own database (``ioc_bench_lifecycle`` in the embedded cluster, recreated),
clones one filed report into ``--count`` reports with SQL (intake has its own benchmark), and
serves the app with ``ioc serve --workers 2``.

Run from the project root: ``IOC_DEMO=1 .venv/bin/python bench/lifecycle.py [--count 10000]``.
"""

from __future__ import annotations

import argparse
import asyncio
import shutil
import statistics
import sys
import time
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path

if sys.path and Path(sys.path[0]).resolve() == Path(__file__).resolve().parent:
    sys.path[0] = str(Path(__file__).resolve().parent.parent)

import httpx
from sqlalchemy import create_engine, text
from sqlalchemy.engine import Connection

from bench.serving import bench_database, serve
from ioc.settings import PROJECT_ROOT
from routing.sla import VN_TZ
from tests.ioc.serving import free_port
from tests.reports.media_samples import exif_block, jpeg

DATABASE = "ioc_bench_lifecycle"
PASSWORD = "demo12345"  # the demo password of ioc/cli.py
PLACE = (10.3736, 107.0950)  # Phường Tam Thắng: routed to ubnd-26526
AGENCY = "ubnd-26526"
FLOW = ("verify_forward", "accept", "resolve", "approve_result")
EXPECTED = {"submit": 1, **{action: 1 for action in FLOW}}


@dataclass
class Timings:
    """Latencies per action, and the statuses that were not 200."""

    seconds: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))
    failures: list[tuple[str, int, str]] = field(default_factory=list)


def template_report(url: str, photo: bytes) -> None:
    """File one report through the intake: the model of the clones."""
    data = {"category": "giao-thong", "lat": str(PLACE[0]), "lon": str(PLACE[1])}
    files = {"photos": ("p.jpg", photo, "image/jpeg")}
    answer = httpx.post(f"{url}/api/v1/reports", data=data, files=files, timeout=60)
    answer.raise_for_status()


CLONE = text(
    """
    WITH template AS (SELECT * FROM reports ORDER BY id LIMIT 1),
    made AS (
        INSERT INTO reports (tracking_code, state, category_id, description, location,
            location_source, ward_id, suggested_agency_id, rule_position, priority,
            routing_reason, routing_reason_params, outside_coverage, verify_by, accept_by,
            resolve_by, due_at, keep_identity_private, status_token_hash, submitter_key,
            created_at, locale, version, overdue)
        SELECT 'PA-2099-' || lpad(g::text, 6, '0'), 'submitted', t.category_id,
            'Bench ' || g, t.location, t.location_source, t.ward_id, t.suggested_agency_id,
            t.rule_position, t.priority, t.routing_reason, t.routing_reason_params, false,
            now() + interval '1 day', now() + interval '2 days', now() + interval '5 days',
            now() + interval '1 day', true, t.status_token_hash, t.submitter_key, now(), 'vi', 1,
            false
        FROM template t, generate_series(1, :count) g
        RETURNING id, state
    )
    INSERT INTO report_events (report_id, at, actor_kind, to_state, action, note, payload)
    SELECT id, now(), 'resident', state, 'submit', '', '{}'::jsonb FROM made
    """
)


def clone(database_url: str, count: int) -> list[str]:
    """``count`` submitted reports like the template, each with its submit event; their codes."""
    engine = create_engine(database_url)
    with engine.begin() as conn:
        conn.execute(CLONE, {"count": count})
        codes = conn.scalars(
            text("SELECT tracking_code FROM reports WHERE tracking_code LIKE 'PA-2099-%'")
        ).all()
    engine.dispose()
    return list(codes)


async def token(client: httpx.AsyncClient, username: str) -> dict[str, str]:
    """The Authorization header of a demo account."""
    answer = await client.post(
        "/api/v1/auth/token", json={"username": username, "password": PASSWORD}
    )
    answer.raise_for_status()
    return {"Authorization": f"Bearer {answer.json()['access_token']}"}


async def act(
    client: httpx.AsyncClient,
    timings: Timings,
    code: str,
    action: str,
    headers: dict[str, str],
    **kwargs: object,
) -> dict[str, object]:
    """One action; its latency is recorded under its name."""
    started = time.perf_counter()
    answer = await client.post(
        f"/api/v1/reports/{code}/actions/{action}",
        headers=headers,
        **kwargs,  # type: ignore[arg-type]
    )
    elapsed = time.perf_counter() - started
    if answer.status_code != 200:
        timings.failures.append((action, answer.status_code, answer.text[:200]))
        return {}
    timings.seconds[action].append(elapsed)
    body: dict[str, object] = answer.json()
    return body


async def drive_one(
    client: httpx.AsyncClient, timings: Timings, code: str, n: int, staff: dict[str, dict[str, str]]
) -> None:
    """One report through the whole lifecycle."""
    await act(client, timings, code, "verify_forward", staff["operator"])
    await act(client, timings, code, "accept", staff["agency"])
    if n % 10 == 0:
        until = (datetime.now(VN_TZ) + timedelta(days=6)).date().isoformat()
        data = {"until": until, "reason": "Chờ vật tư"}
        await act(client, timings, code, "request_extension", staff["agency"], data=data)
        await act(client, timings, code, "approve_extension", staff["supervisor"])
    files = {"photos": ("after.jpg", staff_photo(), "image/jpeg")}
    data = {"note": "Đã xử lý xong"}
    await act(client, timings, code, "resolve", staff["agency"], data=data, files=files)
    await act(client, timings, code, "approve_result", staff["operator"])


_PHOTO: list[bytes] = []


def staff_photo() -> bytes:
    """An after-photo as a phone sends it (1280x960 JPEG)."""
    if not _PHOTO:
        _PHOTO.append(jpeg((1280, 960), exif=exif_block(gps=PLACE), quality=80, seed=7))
    return _PHOTO[0]


async def drive(url: str, codes: list[str], clients: int) -> tuple[Timings, float]:
    """Every report through the lifecycle, ``clients`` at a time."""
    timings = Timings()
    limits = httpx.Limits(max_connections=clients, max_keepalive_connections=clients)
    async with httpx.AsyncClient(base_url=url, timeout=120, limits=limits) as client:
        staff = {
            "operator": await token(client, "operator"),
            "supervisor": await token(client, "supervisor"),
            "agency": await token(client, AGENCY),
        }
        queue: asyncio.Queue[tuple[int, str]] = asyncio.Queue()
        for n, code in enumerate(codes):
            queue.put_nowait((n, code))

        async def worker() -> None:
            while not queue.empty():
                n, code = queue.get_nowait()
                await drive_one(client, timings, code, n, staff)

        started = time.perf_counter()
        await asyncio.gather(*(worker() for _ in range(clients)))
    return timings, time.perf_counter() - started


def print_figures(timings: Timings, wall: float) -> None:
    """Actions per second and latency per action."""
    total = sum(len(values) for values in timings.seconds.values())
    print(f"{total} actions in {wall:.1f} s: {total / wall:.1f} actions/s")
    for action, values in timings.seconds.items():
        ms = sorted(v * 1000 for v in values)
        cuts = statistics.quantiles(ms, n=100) if len(ms) > 1 else ms * 99
        print(
            f"  {action:18} n={len(ms):6}  p50 {cuts[49]:6.1f} ms  p95 {cuts[94]:6.1f} ms  "
            f"p99 {cuts[98]:6.1f} ms"
        )
    failed: dict[tuple[str, int], int] = defaultdict(int)
    for action, status, _ in timings.failures:
        failed[(action, status)] += 1
    print(f"failures: {dict(failed) or 'none'}")
    if timings.failures:
        print(f"  first: {timings.failures[0]}")


def verify(database_url: str, count: int) -> None:
    """Each event once per report, no duplicate notification, every report published."""
    engine = create_engine(database_url)
    with engine.connect() as conn:
        wrong = conn.execute(
            text(
                "SELECT r.tracking_code, e.action, count(*) FROM reports r "
                "JOIN report_events e ON e.report_id = r.id "
                "WHERE r.tracking_code LIKE 'PA-2099-%' AND e.action = ANY(:actions) "
                "GROUP BY 1, 2 HAVING count(*) <> 1"
            ),
            {"actions": list(EXPECTED)},
        ).all()
        states: dict[str, int] = dict(
            conn.execute(
                text(
                    "SELECT state, count(*) FROM reports WHERE tracking_code LIKE 'PA-2099-%' "
                    "GROUP BY state"
                )
            ).all()
        )
        events = conn.scalar(
            text(
                "SELECT count(*) FROM report_events e JOIN reports r ON r.id = e.report_id "
                "WHERE r.tracking_code LIKE 'PA-2099-%'"
            )
        )
        duplicates = notification_duplicates(conn)
    engine.dispose()
    print(f"checked: {events} events; states {states}; notifications: {duplicates}")
    assert not wrong, f"events not exactly once: {wrong[:5]}"
    assert states == {"published": count}, f"not all published: {states}"


def notification_duplicates(conn: Connection) -> str:
    """Outbox messages written more than once for one event, recipient and channel."""
    exists = conn.scalar(text("SELECT to_regclass('notify_messages') IS NOT NULL"))
    if not exists:
        return "no outbox table"
    total = conn.scalar(text("SELECT count(*) FROM notify_messages"))
    twice = conn.scalar(
        text(
            "SELECT count(*) FROM (SELECT 1 FROM notify_messages WHERE event_id IS NOT NULL "
            "GROUP BY event_id, audience, channel, recipient HAVING count(*) > 1) d"
        )
    )
    assert twice == 0, f"{twice} notifications written twice"
    return f"{total} messages, none twice"


def main() -> None:
    """Prepare, run, print, check."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--count", type=int, default=10_000, help="reports to drive")
    parser.add_argument("--clients", type=int, default=16, help="staff acting at a time")
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args()
    database_url = bench_database(DATABASE, fresh=True)
    media_root = PROJECT_ROOT / "var" / "bench" / "lifecycle-media"
    shutil.rmtree(media_root, ignore_errors=True)
    media_root.mkdir(parents=True)
    port = free_port()
    env = {"IOC_LOGIN_MAX_FAILURES": "1000", "IOC_TOKEN_TTL_MINUTES": "600"}
    server = serve(database_url, media_root, args.workers, port, env)
    url = f"http://127.0.0.1:{port}"
    try:
        template_report(url, staff_photo())
        codes = clone(database_url, args.count)
        print(f"{len(codes)} submitted reports; {args.clients} staff at a time")
        timings, wall = asyncio.run(drive(url, codes, args.clients))
        print_figures(timings, wall)
    finally:
        server.terminate()
        server.wait(timeout=30)
    verify(database_url, args.count)


if __name__ == "__main__":
    main()
