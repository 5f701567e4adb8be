"""Benchmark of the operators' map and queue: vector tiles over random viewports, and the queue's
first page, under the dashboard's usual filters.

For each zoom (5, 8, 11, 14, 17) it opens ``--viewports`` screens of 1440 × 900 px around random
reports (where the map has something to show) and fetches every 256 px tile a screen needs, as
the browser does (``--parallel`` at a time), for four views: the default (open reports), every
report, and each with a category filter. It prints p50/p95/max ms and the largest tile per zoom
and view, then the queue's first page (``/dashboard/queue.json``) under the same filters.

The database is the scale benchmarks' (``bench.serving.scale_database``), filled with
``--reports`` reports by ``ioc demo-data`` and kept between runs. The app is served with
``ioc serve --workers 2``.

Run from the project root: ``IOC_DEMO=1 .venv/bin/python bench/map.py [--reports 1000000]``.
"""

from __future__ import annotations

import argparse
import asyncio
import math
import random
import statistics
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

if sys.path and Path(sys.path[0]).resolve() == Path(__file__).resolve().parent:
    sys.path[0] = str(Path(__file__).resolve().parent.parent)

import httpx
from sqlalchemy import create_engine, text

from bench.serving import fresh_media_root, report_count, scale_database, serve
from tests.ioc.serving import free_port

PASSWORD = "demo12345"  # the demo password of ioc/cli.py
ZOOMS = (5, 8, 11, 14, 17)
SCREEN = (1440, 900)
CATEGORY = "giao-thong"
VIEWS = {
    "open": "",
    "open+category": f"category={CATEGORY}",
    "all": "state=all",
    "all+category": f"state=all&category={CATEGORY}",
}


@dataclass
class Figures:
    """Latencies (ms) and sizes (bytes) of one zoom and view; statuses other than 200/204."""

    ms: list[float] = field(default_factory=list)
    sizes: list[int] = field(default_factory=list)
    failures: list[int] = field(default_factory=list)


def centres(database_url: str, count: int, seed: int) -> list[tuple[float, float]]:
    """Places of random reports (lat, lon): where an operator looks."""
    engine = create_engine(database_url)
    with engine.connect() as conn:
        conn.execute(text("SELECT setseed(:s)"), {"s": (seed % 1000) / 1000})
        rows = conn.execute(
            text("SELECT ST_Y(location), ST_X(location) FROM reports ORDER BY random() LIMIT :k"),
            {"k": count},
        ).all()
    engine.dispose()
    return [(float(lat), float(lon)) for lat, lon in rows]


def screen_tiles(lat: float, lon: float, z: int) -> list[tuple[int, int, int]]:
    """The tiles of a 1440 × 900 px screen centred on a place at zoom z."""
    world = 256 * (1 << z)
    px = (lon + 180) / 360 * world
    py = (1 - math.asinh(math.tan(math.radians(lat))) / math.pi) / 2 * world
    half_w, half_h = SCREEN[0] / 2, SCREEN[1] / 2
    last = (1 << z) - 1
    xs = range(max(0, int((px - half_w) // 256)), min(last, int((px + half_w) // 256)) + 1)
    ys = range(max(0, int((py - half_h) // 256)), min(last, int((py + half_h) // 256)) + 1)
    return [(z, x, y) for x in xs for y in ys]


async def fetch(client: httpx.AsyncClient, path: str, figures: Figures) -> None:
    """One request, timed."""
    started = time.perf_counter()
    answer = await client.get(path)
    figures.ms.append((time.perf_counter() - started) * 1000)
    figures.sizes.append(len(answer.content))
    if answer.status_code not in (200, 204):
        figures.failures.append(answer.status_code)


async def tiles_run(
    client: httpx.AsyncClient, places: list[tuple[float, float]], parallel: int
) -> dict[tuple[int, str], Figures]:
    """Every screen's tiles at every zoom and view, ``parallel`` requests at a time."""
    results: dict[tuple[int, str], Figures] = {}
    gate = asyncio.Semaphore(parallel)

    async def one(path: str, figures: Figures) -> None:
        async with gate:
            await fetch(client, path, figures)

    for z in ZOOMS:
        for view, query in VIEWS.items():
            figures = results.setdefault((z, view), Figures())
            for lat, lon in places:
                suffix = f"?{query}" if query else ""
                paths = [
                    f"/dashboard/tiles/{t[0]}/{t[1]}/{t[2]}.mvt{suffix}"
                    for t in screen_tiles(lat, lon, z)
                ]
                await asyncio.gather(*(one(path, figures) for path in paths))
    return results


async def queue_run(client: httpx.AsyncClient, rounds: int) -> dict[str, Figures]:
    """The queue's first page under each view's filters, ``rounds`` times each."""
    results: dict[str, Figures] = {}
    for view, query in VIEWS.items():
        figures = results.setdefault(view, Figures())
        for _ in range(rounds):
            await fetch(client, f"/dashboard/queue.json?{query}", figures)
    return results


def quantile(values: list[float], q: float) -> float:
    """The q-quantile (nearest rank)."""
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, math.ceil(q * len(ordered)) - 1))]


def line(label: str, figures: Figures) -> str:
    """One row of the table."""
    ms = figures.ms or [0.0]
    failed = f"  failures {sorted(set(figures.failures))}" if figures.failures else ""
    return (
        f"{label:<24} {len(figures.ms):>6} {statistics.median(ms):>8.1f} "
        f"{quantile(ms, 0.95):>8.1f} {max(ms):>8.1f} {max(figures.sizes or [0]):>10}{failed}"
    )


async def run(url: str, places: list[tuple[float, float]], parallel: int, rounds: int) -> None:
    """Sign in as the demo operator, warm up, then measure tiles and the queue."""
    async with httpx.AsyncClient(base_url=url, timeout=60) as client:
        answer = await client.post(
            "/api/v1/auth/token", json={"username": "operator", "password": PASSWORD}
        )
        answer.raise_for_status()
        client.headers["Authorization"] = f"Bearer {answer.json()['access_token']}"
        await tiles_run(client, places[:2], parallel)  # warm the caches and the plans
        tiles = await tiles_run(client, places, parallel)
        queue = await queue_run(client, rounds)
    header = f"{'':<24} {'n':>6} {'p50 ms':>8} {'p95 ms':>8} {'max ms':>8} {'max bytes':>10}"
    print(header)
    for (z, view), figures in tiles.items():
        print(line(f"tiles z{z} {view}", figures))
    for view, figures in queue.items():
        print(line(f"queue {view}", figures))


def main() -> None:
    """Prepare, serve, measure, print."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--reports", type=int, default=1_000_000, help="reports in the database")
    parser.add_argument("--viewports", type=int, default=20, help="random screens per zoom")
    parser.add_argument("--parallel", type=int, default=2, help="tile requests at a time")
    parser.add_argument("--rounds", type=int, default=50, help="queue requests per view")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    database_url = scale_database(args.reports, args.seed)
    random.seed(args.seed)
    places = centres(database_url, args.viewports, args.seed)
    media_root = fresh_media_root("map")
    port = free_port()
    server = serve(database_url, media_root, args.workers, port)
    try:
        print(
            f"{report_count(database_url)} reports; {len(places)} screens of {SCREEN} px per "
            f"zoom and view; {args.parallel} tile requests at a time; {args.workers} workers"
        )
        asyncio.run(run(f"http://127.0.0.1:{port}", places, args.parallel, args.rounds))
    finally:
        server.terminate()
        server.wait(timeout=30)


if __name__ == "__main__":
    main()
