"""Benchmark of the open data: the live GeoJSON and CSV downloads and a daily snapshot, with N
reports, checking that memory stays flat however many rows go out.

It uses the scale benchmarks' database (``bench.serving.scale_database``: ``ioc demo-data
--reports N``, made once and shared with bench/map.py and bench/kpi.py), serves the app with
``ioc serve --workers 1`` and downloads each file in full, reading it as it streams. For each
download it prints the rows, bytes, seconds, the time to the first byte, and the worker's peak
resident memory (VmHWM) before and after: a download that held its rows in memory would raise
the peak by about the file's size. A re-download with ``If-None-Match`` must be a 304. Then it
writes a snapshot in this process (``dashboard.opendata.snapshots.write_files``) into
``var/bench/open-data`` and prints its time and this process's peak memory.

Run from the project root: ``IOC_DEMO=1 .venv/bin/python bench/opendata.py [--reports 1000000]``.
"""

from __future__ import annotations

import argparse
import resource
import shutil
import sys
import time
from pathlib import Path

if sys.path and Path(sys.path[0]).resolve() == Path(__file__).resolve().parent:
    sys.path[0] = str(Path(__file__).resolve().parent.parent)

import httpx

from bench.intake import memory_mb, workers_of
from bench.serving import fresh_media_root, report_count, scale_database, serve
from dashboard.opendata import snapshots
from ioc import db
from ioc.settings import PROJECT_ROOT
from tests.ioc.serving import free_port

FILES = ("/open-data/reports.csv", "/open-data/reports.geojson")


def peak_mb(pids: list[int]) -> float:
    """The highest peak resident memory among the server's processes, in MB."""
    return max(memory_mb(pid)[1] for pid in pids)


def download(client: httpx.Client, path: str) -> tuple[int, int, float, float, str]:
    """Read a file as it streams: bytes, lines, seconds, seconds to the first byte, its ETag."""
    started = time.perf_counter()
    first: float | None = None
    size = lines = 0
    with client.stream("GET", path) as answer:
        answer.raise_for_status()
        for chunk in answer.iter_raw():
            first = first if first is not None else time.perf_counter() - started
            size += len(chunk)
            lines += chunk.count(b"\n")
        tag = answer.headers["etag"]
    return size, lines, time.perf_counter() - started, first or 0.0, tag


def run_downloads(url: str, pids: list[int]) -> None:
    """Each file in full (no compression asked), then its revalidation."""
    headers = {"Accept-Encoding": "identity"}
    with httpx.Client(base_url=url, timeout=3600, headers=headers) as client:
        for path in FILES:  # warm-up: a few rows of each, so that only the volume differs
            client.get(f"{path}?state=returned").raise_for_status()
        for path in FILES:
            before = peak_mb(pids)
            size, lines, seconds, first, tag = download(client, path)
            after = peak_mb(pids)
            print(
                f"  {path:28} {lines:9} lines {size / 1e6:9.1f} MB in {seconds:7.1f} s "
                f"({size / 1e6 / seconds:6.1f} MB/s, first byte {first * 1000:6.0f} ms); "
                f"worker peak {before:.0f} -> {after:.0f} MB"
            )
            started = time.perf_counter()
            again = client.get(path, headers={"If-None-Match": tag})
            ms = (time.perf_counter() - started) * 1000
            print(f"  {'':28} re-download with its ETag: {again.status_code} in {ms:.1f} ms")
            assert again.status_code == 304


def run_snapshot(url: str) -> None:
    """Write both files of a snapshot in this process; its time and peak memory."""
    target = PROJECT_ROOT / "var" / "bench" / "open-data"
    shutil.rmtree(target, ignore_errors=True)
    engine = db.make_engine(url)
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    started = time.perf_counter()
    with db.make_sessionmaker(engine)() as session:
        day = snapshots.vietnam_day(db.utcnow())
        written = snapshots.write_files(session, target, day, "https://example.gov.vn")
    seconds = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    engine.dispose()
    sizes = ", ".join(f"{kind} {size / 1e6:.1f} MB" for kind, size in written.sizes.items())
    print(
        f"  snapshot: {written.reports} reports ({sizes}) in {seconds:.1f} s; "
        f"peak memory of this process {before:.0f} -> {after:.0f} MB"
    )


def main() -> None:
    """Prepare, serve, download, snapshot."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--reports", type=int, default=10_000, help="reports in the database")
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    url = scale_database(args.reports, args.seed)
    media_root = fresh_media_root("opendata")
    port = free_port()
    server = serve(url, media_root, 1, port)
    try:
        pids = workers_of(server) or [server.pid]
        print(f"{report_count(url)} reports; downloads one at a time")
        run_downloads(f"http://127.0.0.1:{port}", pids)
    finally:
        server.terminate()
        server.wait(timeout=30)
    run_snapshot(url)


if __name__ == "__main__":
    main()
