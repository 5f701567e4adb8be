"""Benchmark of the self-hosted base map: the build of the shipped extract, tile serving at zooms
12–16, and the nearest-street lookup.

1. ``--builds`` builds of the shipped Huế extract (``routing.basemap.build.build``: pyosmium,
   tilemaker, checks, streets), each timed, into ``var/bench/basemap``.
2. ``ioc serve --workers 2`` with that archive; for each display zoom 12–16, ``--viewports``
   phone screens (360 × 740 px) around random places in the extract's box, fetching the tiles the
   renderer asks for (protomaps-leaflet draws display zoom z from data tiles of z − 1, 512 px),
   ``--parallel`` at a time, gzip accepted: p50/p95/max ms per tile, bytes per tile on the wire,
   and the bytes of a whole screen.
3. ``--lookups`` nearest-street queries (``routing.basemap.service.street_near``) at random places
   in the box, in SQL on the bench database: p50/p95/max ms.

Run from the project root: ``IOC_DEMO=1 .venv/bin/python bench/basemap.py``.
"""

from __future__ import annotations

import argparse
import asyncio
import math
import random
import shutil
import statistics
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

if sys.path and Path(sys.path[0]).resolve() == Path(__file__).resolve().parent:
    sys.path[0] = str(Path(__file__).resolve().parent.parent)

import httpx
from sqlalchemy.orm import Session

from bench.serving import bench_database, serve
from ioc import db
from ioc.settings import PROJECT_ROOT
from routing.basemap.archive import Metadata
from routing.basemap.build import SHIPPED_BOUNDS, Built, build
from routing.basemap.service import street_near
from tests.ioc.serving import free_port

DATABASE = "ioc_bench_basemap"
ZOOMS = (12, 13, 14, 15, 16)
SCREEN = (360, 740)
LEVEL_DIFF = 1  # protomaps-leaflet's default: display zoom z draws data tiles of z - 1


@dataclass
class Figures:
    """Latencies (ms), bytes on the wire per tile and per screen, statuses other than 200/204."""

    ms: list[float] = field(default_factory=list)
    sizes: list[int] = field(default_factory=list)
    screens: list[int] = field(default_factory=list)
    failures: list[int] = field(default_factory=list)


def quantile(values: list[float], q: float) -> float:
    """The q-quantile (nearest rank)."""
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, math.ceil(q * len(ordered)) - 1))]


def places(count: int, rng: random.Random) -> list[tuple[float, float]]:
    """Random places (lat, lon) in the middle half of the extract's box: the city, not its edge."""
    west, south, east, north = SHIPPED_BOUNDS
    dx, dy = (east - west) / 4, (north - south) / 4
    return [
        (rng.uniform(south + dy, north - dy), rng.uniform(west + dx, east - dx))
        for _ in range(count)
    ]


def screen_tiles(lat: float, lon: float, display_z: int) -> list[tuple[int, int, int]]:
    """The data tiles the renderer fetches for a phone screen centred on a place (within the
    map's bounds, as the layer's ``bounds`` option keeps it)."""
    z = display_z - LEVEL_DIFF
    size = 256 << LEVEL_DIFF  # a data tile covers this many display pixels
    world = size * (1 << z)
    px = (lon + 180) / 360 * world
    py = (1 - math.asinh(math.tan(math.radians(lat))) / math.pi) / 2 * world
    half_w, half_h = SCREEN[0] / 2, SCREEN[1] / 2
    xs = range(int((px - half_w) // size), int((px + half_w) // size) + 1)
    ys = range(int((py - half_h) // size), int((py + half_h) // size) + 1)
    inside = Metadata("", "", ZOOMS[0] - LEVEL_DIFF, ZOOMS[-1], SHIPPED_BOUNDS, (0, 0, 0), "", [])
    return [(z, x, y) for x in xs for y in ys if inside.covers(z, x, y)]


def build_runs(url: str, target: Path, count: int) -> list[Built]:
    """Build the shipped extract ``count`` times (the streets are committed each time)."""
    engine = db.make_engine(url)
    made = []
    try:
        for _ in range(count):
            with Session(engine) as session:
                made.append(build(session, target))
                session.commit()
    finally:
        engine.dispose()
    return made


async def tiles_run(
    url: str, spots: list[tuple[float, float]], parallel: int
) -> dict[int, Figures]:
    """Every screen's tiles at every zoom, ``parallel`` requests at a time."""
    results: dict[int, Figures] = {}
    gate = asyncio.Semaphore(parallel)
    headers = {"Accept-Encoding": "gzip"}
    async with httpx.AsyncClient(base_url=url, timeout=60, headers=headers) as client:

        async def one(path: str, figures: Figures) -> int:
            async with gate:
                started = time.perf_counter()
                answer = await client.get(path)
                figures.ms.append((time.perf_counter() - started) * 1000)
            figures.sizes.append(answer.num_bytes_downloaded)
            if answer.status_code not in (200, 204):
                figures.failures.append(answer.status_code)
            return answer.num_bytes_downloaded

        for z in ZOOMS:
            figures = results.setdefault(z, Figures())
            for lat, lon in spots:
                paths = [f"/basemap/{t[0]}/{t[1]}/{t[2]}.mvt" for t in screen_tiles(lat, lon, z)]
                sizes = await asyncio.gather(*(one(path, figures) for path in paths))
                figures.screens.append(sum(sizes))
    return results


def lookups(url: str, spots: list[tuple[float, float]]) -> list[float]:
    """The nearest-street lookup at each place, timed (ms)."""
    engine = db.make_engine(url)
    timings = []
    try:
        with Session(engine) as session:
            for lat, lon in spots[:20]:  # warm the plan and the cache
                street_near(session, lat, lon)
            for lat, lon in spots:
                started = time.perf_counter()
                street_near(session, lat, lon)
                timings.append((time.perf_counter() - started) * 1000)
    finally:
        engine.dispose()
    return timings


def print_builds(made: list[Built]) -> None:
    seconds = [b.seconds for b in made]
    last = made[-1]
    tiles = sum(n for n, _ in last.tiles.values())
    print(
        f"build of the shipped extract: {len(made)} runs, min {min(seconds):.2f} s, median "
        f"{statistics.median(seconds):.2f} s; {tiles} tiles, {last.size / 1e6:.2f} MB, "
        f"{sum(last.features.values())} features, {last.streets} streets"
    )


def print_tiles(results: dict[int, Figures]) -> None:
    print(
        f"{'display zoom':<14} {'tiles':>6} {'p50 ms':>7} {'p95 ms':>7} {'max ms':>7} "
        f"{'mean B':>7} {'max B':>7} {'screen p95 KB':>14} {'screen max KB':>14}"
    )
    for z, f in results.items():
        failed = f"  failures {sorted(set(f.failures))}" if f.failures else ""
        print(
            f"z{z} (data z{z - LEVEL_DIFF}){'':<2} {len(f.ms):>6} {statistics.median(f.ms):>7.2f} "
            f"{quantile(f.ms, 0.95):>7.2f} {max(f.ms):>7.2f} {statistics.mean(f.sizes):>7.0f} "
            f"{max(f.sizes):>7} {quantile([float(s) for s in f.screens], 0.95) / 1024:>14.1f} "
            f"{max(f.screens) / 1024:>14.1f}{failed}"
        )


def main() -> None:
    """Build, serve, measure, print."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--builds", type=int, default=3, help="builds of the shipped extract")
    parser.add_argument("--viewports", type=int, default=30, help="phone screens per zoom")
    parser.add_argument("--parallel", type=int, default=4, help="tile requests at a time")
    parser.add_argument("--lookups", type=int, default=2000, help="nearest-street lookups")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    url = bench_database(DATABASE)
    target = PROJECT_ROOT / "var" / "bench" / "basemap"
    shutil.rmtree(target, ignore_errors=True)
    print_builds(build_runs(url, target, args.builds))
    rng = random.Random(args.seed)
    media_root = PROJECT_ROOT / "var" / "bench" / "basemap-media"
    media_root.mkdir(parents=True, exist_ok=True)
    port = free_port()
    env = {"IOC_MAP__BASEMAP_DIR": str(target)}
    server = serve(url, media_root, args.workers, port, env)
    try:
        spots = places(args.viewports, rng)
        asyncio.run(tiles_run(f"http://127.0.0.1:{port}", spots[:3], args.parallel))  # warm up
        print_tiles(asyncio.run(tiles_run(f"http://127.0.0.1:{port}", spots, args.parallel)))
    finally:
        server.terminate()
        server.wait(timeout=30)
    timings = lookups(url, places(args.lookups, rng))
    print(
        f"nearest street: {len(timings)} lookups, p50 {statistics.median(timings):.2f} ms, "
        f"p95 {quantile(timings, 0.95):.2f} ms, max {max(timings):.2f} ms"
    )


if __name__ == "__main__":
    main()
