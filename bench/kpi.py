"""Benchmark of the supervisors' pages: ``/dashboard/kpi`` for the default period (30 days) and a
whole year, and the daily bulletin, with N reports and their events over a year.

It prepares its own database (``ioc_bench_kpi`` in the embedded cluster), fills it with
``ioc demo-data --reports N`` (or, where that command is missing, a plain SQL generator of reports
with their submit, forward, overdue and publication events over the past year), rolls up every
day (``ioc kpi rebuild``, timed), serves the app with ``ioc serve --workers 2`` and requests each
page ``--requests`` times as the demo supervisor, one at a time. Prints p50/p95/max per page and
the targets (p95 < 300 ms for 30 days, < 1 s for a year).

Run from the project root: ``IOC_DEMO=1 .venv/bin/python bench/kpi.py [--reports 1000000]``.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import time
from datetime import timedelta
from pathlib import Path

if sys.path and Path(sys.path[0]).resolve() == Path(__file__).resolve().parent:
    sys.path[0] = str(Path(__file__).resolve().parent.parent)

import httpx
from sqlalchemy import create_engine, text

from bench.serving import bench_database, serve
from dashboard.kpi import rollup
from dashboard.kpi.figures import today
from ioc import db
from ioc.settings import PROJECT_ROOT
from tests.ioc.serving import free_port

DATABASE = "ioc_bench_kpi"
PASSWORD = "demo12345"  # the demo password of ioc/cli.py
TARGETS_MS = {"kpi 30 days": 300.0, "kpi 365 days": 1000.0}

GENERATE = text(
    """
    WITH c AS (SELECT array_agg(id ORDER BY id) AS ids FROM categories WHERE active),
    a AS (SELECT array_agg(id ORDER BY id) AS ids FROM agencies WHERE active),
    w AS (SELECT array_agg(id ORDER BY id) AS ids, array_agg(ST_PointOnSurface(geom) ORDER BY id)
          AS points FROM jurisdictions WHERE level = 'ward' AND geom IS NOT NULL),
    base AS (
        SELECT g, now() - random() * interval '365 days' AS created,
               1 + (g * 7919) % cardinality(w.ids) AS wk,
               c.ids[1 + (g * 31) % cardinality(c.ids)] AS category_id,
               a.ids[1 + (g * 17) % cardinality(a.ids)] AS agency_id, w.ids AS wards, w.points
        FROM generate_series(1, :count) g, c, a, w
    ),
    made AS (
        INSERT INTO reports (tracking_code, state, category_id, description, location,
            location_source, ward_id, agency_id, priority, routing_reason, outside_coverage,
            keep_identity_private, status_token_hash, submitter_key, created_at, locale, version,
            overdue, forwarded_at, published_at, due_at)
        SELECT 'KB-' || lpad(g::text, 9, '0'),
            CASE WHEN g % 10 < 7 THEN 'published' WHEN g % 10 < 9 THEN 'in_progress'
                 ELSE 'submitted' END,
            category_id, 'Bench ' || g, points[wk], 'given', wards[wk],
            CASE WHEN g % 10 < 9 THEN agency_id END, 'normal', '', false, true,
            md5(g::text) || md5(g::text), md5(g::text), created, 'vi', 1, false,
            CASE WHEN g % 10 < 9 THEN created + interval '1 hour' END,
            CASE WHEN g % 10 < 7 THEN created + (1 + random() * 200) * interval '1 hour' END,
            CASE WHEN g % 10 >= 7 THEN created + interval '3 days' END
        FROM base
        RETURNING id, created_at, forwarded_at, published_at, agency_id
    )
    INSERT INTO report_events (report_id, at, actor_kind, from_state, to_state, action, note,
                               payload)
    SELECT id, created_at, 'resident', NULL, 'submitted', 'submit', '', '{}'::jsonb FROM made
    UNION ALL
    SELECT id, forwarded_at, 'staff', 'submitted', 'assigned', 'verify_forward', '',
           jsonb_build_object('agency', agency_id) FROM made WHERE forwarded_at IS NOT NULL
    UNION ALL
    SELECT id, forwarded_at + interval '2 days', 'system', 'in_progress', 'in_progress', 'overdue',
           '', jsonb_build_object('stage', 'resolve', 'agency', agency_id)
    FROM made WHERE forwarded_at IS NOT NULL AND id % 7 = 0
      AND forwarded_at + interval '2 days' < coalesce(published_at, now())
    UNION ALL
    SELECT id, published_at, 'staff', 'resolved', 'published', 'approve_result', '', '{}'::jsonb
    FROM made WHERE published_at IS NOT NULL AND published_at < now()
    """
)


def report_count(url: str) -> int:
    """How many reports the bench database holds."""
    engine = create_engine(url)
    with engine.connect() as conn:
        count = int(conn.scalar(text("SELECT count(*) FROM reports")) or 0)
    engine.dispose()
    return count


def fill(url: str, count: int, seed: int) -> str:
    """``count`` reports with their events: ``ioc demo-data`` if it exists, else plain SQL."""
    env = {**os.environ, "IOC_DATABASE_URL": url, "IOC_DEMO": "1"}
    command = [
        sys.executable,
        "-m",
        "ioc",
        "demo-data",
        "--reports",
        str(count),
        "--seed",
        str(seed),
    ]
    done = subprocess.run(command, env=env, capture_output=True, text=True, check=False)
    if done.returncode == 0:
        return "ioc demo-data"
    if "No such command" not in done.stderr:
        raise RuntimeError(f"ioc demo-data failed: {done.stderr[-2000:]}")
    engine = create_engine(url)
    with engine.begin() as conn:
        conn.execute(text("SELECT setseed(:s)"), {"s": (seed % 1000) / 1000})
        conn.execute(GENERATE, {"count": count})
        conn.execute(text("ANALYZE"))
    engine.dispose()
    return "SQL generator"


def rebuild(url: str) -> tuple[int, float]:
    """Roll up every day; the days and the seconds it took."""
    engine = db.make_engine(url)
    started = time.perf_counter()
    with db.make_sessionmaker(engine)() as session:
        days = rollup.rebuild(session, None, None, db.utcnow())
        session.commit()
    engine.dispose()
    return days, time.perf_counter() - started


def measure(client: httpx.Client, path: str, requests: int) -> list[float]:
    """Milliseconds per request (after one warm-up request)."""
    client.get(path).raise_for_status()
    times = []
    for _ in range(requests):
        started = time.perf_counter()
        answer = client.get(path)
        times.append((time.perf_counter() - started) * 1000)
        answer.raise_for_status()
    return times


def print_figures(name: str, ms: list[float]) -> None:
    """p50/p95/max of one page, and its target if it has one."""
    ordered = sorted(ms)
    cuts = (
        statistics.quantiles(ordered, n=100, method="inclusive")
        if len(ordered) > 1
        else ordered * 99
    )
    target = TARGETS_MS.get(name)
    verdict = "" if target is None else f"  (target p95 < {target:.0f} ms: "
    verdict += "" if target is None else ("met)" if cuts[94] < target else "MISSED)")
    print(
        f"  {name:14} n={len(ordered):4}  p50 {cuts[49]:7.1f} ms  p95 {cuts[94]:7.1f} ms  "
        f"max {ordered[-1]:7.1f} ms{verdict}"
    )


def run_pages(url: str, requests: int) -> None:
    """Each page, one request at a time, as the demo supervisor."""
    with httpx.Client(base_url=url, timeout=120) as client:
        login = {"username": "supervisor", "password": PASSWORD}
        answer = client.post("/api/v1/auth/token", json=login)
        answer.raise_for_status()
        client.headers["Authorization"] = f"Bearer {answer.json()['access_token']}"
        current = today(db.utcnow())
        year = f"from={(current - timedelta(days=364)).isoformat()}&to={current.isoformat()}"
        pages = {
            "kpi 30 days": "/dashboard/kpi",
            "kpi 365 days": f"/dashboard/kpi?{year}",
            "bulletin": f"/dashboard/kpi/bulletin?day={(current - timedelta(days=1)).isoformat()}",
        }
        for name, path in pages.items():
            print_figures(name, measure(client, path, requests))


def main() -> None:
    """Prepare, roll up, serve, measure."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--reports", type=int, default=10_000, help="reports in the database")
    parser.add_argument("--requests", type=int, default=50, help="requests per page")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--keep", action="store_true", help="reuse the database if filled")
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args()
    url = bench_database(DATABASE, fresh=not args.keep)
    if report_count(url) < args.reports:
        started = time.perf_counter()
        how = fill(url, args.reports, args.seed)
        print(f"{args.reports} reports by {how} in {time.perf_counter() - started:.1f} s")
    days, seconds = rebuild(url)
    print(f"ioc kpi rebuild: {days} days in {seconds:.1f} s")
    media_root = PROJECT_ROOT / "var" / "bench" / "kpi-media"
    shutil.rmtree(media_root, ignore_errors=True)
    media_root.mkdir(parents=True)
    port = free_port()
    server = serve(url, media_root, args.workers, port, {"IOC_TOKEN_TTL_MINUTES": "600"})
    try:
        print(f"{report_count(url)} reports; {args.requests} requests per page, one at a time")
        run_pages(f"http://127.0.0.1:{port}", args.requests)
    finally:
        server.terminate()
        server.wait(timeout=30)


if __name__ == "__main__":
    main()
