"""Benchmark of report intake over loopback: concurrent residents, each sending one report.

Each report carries a distinct 1600x1200 JPEG of about 300 KB with EXIF GPS at a place in Vũng
Tàu and no typed coordinates. Prints reports per second and p50/p95/p99 latency and the peak
resident memory (VmHWM) of each worker process, then checks that every acknowledged report is in
the database with its three files. ``--heavy N`` then sends N reports of five 7000x7000 16-bit PNGs
(four at a time), the load that once took a worker from 209 MB to 1.4 GB, and prints the peaks
again.

By default it prepares its own database (``ioc_bench_intake`` in the embedded cluster: created,
migrated and seeded; ``ioc`` and ``ioc_test`` are never touched), a fresh media root under
``var/bench/``, and serves the app with ``ioc serve --workers 2`` and a raised rate limit. With
``--url`` it drives a server that is already running (then pass ``--database-url`` for the check).

Run from the project root: ``IOC_DEMO=1 .venv/bin/python -m bench.intake [--count 1200]``.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import shutil
import statistics
import subprocess
import sys
import time
import uuid
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

# Run as a script, this file's directory comes first on sys.path, where bench/routing.py would
# shadow the routing package: put the project root there instead (the benchmarks use tests/ too).
if sys.path and Path(sys.path[0]).resolve() == Path(__file__).resolve().parent:
    sys.path[0] = str(Path(__file__).resolve().parent.parent)

from sqlalchemy import create_engine, select

from bench.serving import bench_database, serve
from ioc.settings import PROJECT_ROOT
from reports.models import Report, ReportMedia
from tests.ioc.serving import free_port
from tests.reports.media_samples import exif_block, jpeg

DATABASE = "ioc_bench_intake"
BOUNDARY = "----ioc-bench-boundary-7d1f"
# Around Vũng Tàu airport (Phường Tam Thắng) and the city centre (Phường Vũng Tàu).
PLACES = ((10.3736, 107.0950), (10.3452, 107.0745))
CATEGORIES = ("giao-thong", "ve-sinh-moi-truong", "chieu-sang", "trat-tu-do-thi")


@dataclass
class Result:
    """One request: its status, latency and (if acknowledged) the report id."""

    status: int
    seconds: float
    report_id: int | None


def make_photo(seed: int) -> bytes:
    """A distinct phone-like JPEG (random texture) with EXIF GPS near one of the places."""
    rng = random.Random(seed)
    lat, lon = PLACES[seed % len(PLACES)]
    gps = (lat + rng.uniform(-0.002, 0.002), lon + rng.uniform(-0.002, 0.002))
    return jpeg((1600, 1200), exif=exif_block(gps=gps), quality=80, seed=seed)


def make_body(seed: int, photo: bytes) -> bytes:
    """A multipart body as the reporting page sends it (no coordinates: EXIF gives them)."""
    fields = {
        "category": CATEGORIES[seed % len(CATEGORIES)],
        "description": f"Bench report {seed}",
        "private": "true",
    }
    parts = [
        f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{value}\r\n'.encode()
        for name, value in fields.items()
    ]
    parts.append(
        f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="photos"; filename="p.jpg"\r\n'
        "Content-Type: image/jpeg\r\n\r\n".encode()
        + photo
        + b"\r\n"
    )
    parts.append(f"--{BOUNDARY}--\r\n".encode())
    return b"".join(parts)


def prepare(count: int) -> list[bytes]:
    """Distinct bodies, built on every core before the clock starts."""
    with ProcessPoolExecutor() as pool:
        photos = list(pool.map(make_photo, range(count), chunksize=16))
    size = statistics.mean(len(p) for p in photos) / 1024
    print(f"{count} JPEGs 1600x1200 with EXIF GPS, {size:.0f} KB on average")
    return [make_body(i, photo) for i, photo in enumerate(photos)]


async def send(host: str, port: int, body: bytes) -> Result:
    """One resident: connect, send one report, read the answer, close."""
    head = (
        f"POST /api/v1/reports HTTP/1.1\r\nHost: {host}:{port}\r\nAccept: application/json\r\n"
        f"Idempotency-Key: {uuid.uuid4()}\r\nConnection: close\r\n"
        f"Content-Type: multipart/form-data; boundary={BOUNDARY}\r\n"
        f"Content-Length: {len(body)}\r\n\r\n"
    ).encode()
    started = time.perf_counter()
    reader, writer = await asyncio.open_connection(host, port)
    writer.write(head + body)
    await writer.drain()
    status = int((await reader.readline()).split()[1])
    length = 0
    while (line := await reader.readline()) not in (b"\r\n", b""):
        name, _, value = line.decode("latin-1").partition(":")
        if name.lower() == "content-length":
            length = int(value)
    answer = await reader.readexactly(length)
    elapsed = time.perf_counter() - started
    writer.close()
    report_id = json.loads(answer)["id"] if status == 201 else None
    return Result(status, elapsed, report_id)


async def drive(url: str, bodies: list[bytes], clients: int) -> tuple[list[Result], float]:
    """Send every body with ``clients`` residents at a time; returns results and wall time."""
    parts = urlsplit(url)
    host, port = parts.hostname or "127.0.0.1", parts.port or 80
    queue: asyncio.Queue[bytes] = asyncio.Queue()
    for body in bodies:
        queue.put_nowait(body)
    results: list[Result] = []

    async def resident() -> None:
        while not queue.empty():
            results.append(await send(host, port, queue.get_nowait()))

    started = time.perf_counter()
    await asyncio.gather(*(resident() for _ in range(clients)))
    return results, time.perf_counter() - started


def report(results: list[Result], wall: float) -> None:
    """Print throughput and latency."""
    ok = [r for r in results if r.status == 201]
    latencies = sorted(r.seconds * 1000 for r in ok)
    cuts = statistics.quantiles(latencies, n=100) if len(latencies) > 1 else latencies * 99
    failed = len(results) - len(ok)
    print(
        f"{len(ok)} reports acknowledged in {wall:.2f} s: {len(ok) / wall:.1f} reports/s; "
        f"latency p50 {cuts[49]:.0f} ms, p95 {cuts[94]:.0f} ms, p99 {cuts[98]:.0f} ms; "
        f"{failed} failed {sorted({r.status for r in results if r.status != 201})}"
    )


def verify(database_url: str, media_root: Path, results: list[Result]) -> None:
    """Every acknowledged report is in the database, with its media row and three files."""
    ids = [r.report_id for r in results if r.report_id is not None]
    engine = create_engine(database_url)
    with engine.connect() as conn:
        rows = conn.execute(
            select(
                Report.id,
                Report.tracking_code,
                ReportMedia.original_path,
                ReportMedia.display_path,
                ReportMedia.thumbnail_path,
            )
            .join(ReportMedia, ReportMedia.report_id == Report.id)
            .where(Report.id.in_(ids))
        ).all()
    engine.dispose()
    found = {row.id for row in rows}
    codes = {row.tracking_code for row in rows}
    missing_files = [path for row in rows for path in row[2:] if not (media_root / path).is_file()]
    assert found == set(ids), f"{len(set(ids) - found)} acknowledged reports are missing"
    assert len(codes) == len(ids), "tracking codes are not unique"
    assert not missing_files, f"{len(missing_files)} files are missing, e.g. {missing_files[:3]}"
    print(f"checked: {len(ids)} reports, {len(ids)} unique codes, {3 * len(rows)} files present")


def heavy_body() -> bytes:
    """A report of five 7000x7000 16-bit grey PNGs (small files: smooth gradients)."""
    import io

    from PIL import Image

    out = io.BytesIO()
    gradient = Image.linear_gradient("L").resize((7000, 7000)).convert("I")
    gradient.point(lambda value: value * 256).convert("I;16").save(out, "PNG")
    png = out.getvalue()
    fields = {"category": "giao-thong", "lat": str(PLACES[0][0]), "lon": str(PLACES[0][1])}
    parts = [
        f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{value}\r\n'.encode()
        for name, value in fields.items()
    ]
    head = (
        f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="photos"; filename="p.png"\r\n'
        "Content-Type: image/png\r\n\r\n"
    ).encode()
    parts += [head + png + b"\r\n"] * 5
    parts.append(f"--{BOUNDARY}--\r\n".encode())
    return b"".join(parts)


def workers_of(server: subprocess.Popen[bytes]) -> list[int]:
    """The worker processes of ``ioc serve`` (children running multiprocessing's spawn_main)."""
    found: list[int] = []
    pending = [server.pid]
    while pending:
        pid = pending.pop()
        for task in Path(f"/proc/{pid}/task").glob("*"):
            children = (task / "children").read_text().split()
            pending += [int(child) for child in children]
            for child in children:
                command = Path(f"/proc/{child}/cmdline").read_bytes()
                if b"spawn_main" in command:
                    found.append(int(child))
    return sorted(found)


def memory_mb(pid: int) -> tuple[float, float]:
    """Resident memory now and its peak (VmRSS, VmHWM) of a process, in MB."""
    values: dict[str, float] = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        name, _, rest = line.partition(":")
        if name in ("VmRSS", "VmHWM"):
            values[name] = int(rest.split()[0]) / 1024
    return values["VmRSS"], values["VmHWM"]


def print_memory(label: str, pids: list[int]) -> None:
    """Print each worker's resident memory and its peak so far."""
    shown = ", ".join(
        "worker {}: {:.0f} MB now, peak {:.0f} MB".format(pid, *memory_mb(pid)) for pid in pids
    )
    print(f"{label}: {shown}")


async def heavy(url: str, count: int) -> list[int]:
    """Send ``count`` reports of five huge PNGs, four at a time; returns their statuses."""
    results, _ = await drive(url, [heavy_body()] * count, min(4, count))
    return [result.status for result in results]


def main() -> None:
    """Prepare, run the load, print the figures, check what was stored."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--count", type=int, default=1200, help="reports to send")
    parser.add_argument("--clients", type=int, default=16, help="residents sending at a time")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--port", type=int, default=0, help="0: a free port")
    parser.add_argument("--url", help="drive this running server instead of starting one")
    parser.add_argument("--database-url", help="with --url: the database to check")
    parser.add_argument("--media-root", type=Path, help="with --url: its IOC_MEDIA_DIR")
    parser.add_argument("--heavy", type=int, default=0, help="then N reports of 5 huge PNGs")
    args = parser.parse_args()
    bodies = prepare(args.count + 50)
    warmup, bodies = bodies[:50], bodies[50:]
    server = None
    if args.url:
        url, database_url, media_root = args.url, args.database_url, args.media_root
    else:
        database_url = bench_database(DATABASE)
        media_root = PROJECT_ROOT / "var" / "bench" / "media"
        shutil.rmtree(media_root, ignore_errors=True)
        media_root.mkdir(parents=True)
        port = args.port or free_port()
        server = serve(database_url, media_root, args.workers, port)
        url = f"http://127.0.0.1:{port}"
    pids: list[int] = []
    try:
        asyncio.run(drive(url, warmup, args.clients))
        if server is not None:
            pids = workers_of(server)
            print_memory("after warm-up", pids)
        results, wall = asyncio.run(drive(url, bodies, args.clients))
        report(results, wall)
        if pids:
            print_memory("after the run", pids)
        if args.heavy:
            statuses = asyncio.run(heavy(url, args.heavy))
            print(f"{args.heavy} reports of five 7000x7000 16-bit PNGs: statuses {statuses}")
            if pids:
                print_memory("after the heavy reports", pids)
    finally:
        if server is not None:
            server.terminate()
            server.wait(timeout=30)
    if database_url and media_root:
        verify(database_url, media_root, results)


if __name__ == "__main__":
    main()
