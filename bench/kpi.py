"""Benchmark of the supervisors' pages: ``/dashboard/kpi`` for the default period (30 days) and a
whole year, and the daily bulletin, with N reports and their events over a year.

It uses the scale benchmarks' database (``bench.serving.scale_database``: ``ioc demo-data
--reports N``, made once and shared with bench/map.py), rolls up every
day (``ioc kpi rebuild``, timed), serves the app with ``ioc serve --workers 2`` and requests each
page ``--requests`` times as the demo supervisor, one at a time. Prints p50/p95/max per page and
the targets (p95 < 300 ms for 30 days, < 1 s for a year).

Run from the project root: ``IOC_DEMO=1 .venv/bin/python bench/kpi.py [--reports 1000000]``.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from datetime import timedelta
from pathlib import Path

if sys.path and Path(sys.path[0]).resolve() == Path(__file__).resolve().parent:
    sys.path[0] = str(Path(__file__).resolve().parent.parent)

import httpx

from bench.serving import fresh_media_root, report_count, scale_database, serve
from dashboard.kpi import rollup
from dashboard.kpi.figures import today
from ioc import db
from tests.ioc.serving import free_port

PASSWORD = "demo12345"  # the demo password of ioc/cli.py
TARGETS_MS = {"kpi 30 days": 300.0, "kpi 365 days": 1000.0}


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
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args()
    url = scale_database(args.reports, args.seed)
    days, seconds = rebuild(url)
    print(f"ioc kpi rebuild: {days} days in {seconds:.1f} s")
    media_root = fresh_media_root("kpi")
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
