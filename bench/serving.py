"""What the benchmarks share: a throw-away database in the embedded cluster and a served app."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import httpx
from sqlalchemy import create_engine, text

from ioc.cli import prepare_database
from ioc.settings import PROJECT_ROOT, Settings
from ioc.system.pgcluster import LocalCluster


def bench_database(name: str, *, fresh: bool = False) -> str:
    """Create, migrate and seed a bench database (``ioc`` and ``ioc_test`` are never touched)."""
    cluster = LocalCluster(Path(os.environ.get("IOC_VAR_DIR", PROJECT_ROOT / "var")))
    cluster.start()
    return prepare_database(Settings(database_url=cluster.url(name), demo=True), fresh=fresh)


def fresh_media_root(name: str) -> Path:
    """An empty media folder of one benchmark under ``var/bench/`` (``NAME-media``)."""
    media_root = PROJECT_ROOT / "var" / "bench" / f"{name}-media"
    shutil.rmtree(media_root, ignore_errors=True)
    media_root.mkdir(parents=True)
    return media_root


def serve(
    url: str, media_root: Path, workers: int, port: int, env: dict[str, str] | None = None
) -> subprocess.Popen[bytes]:
    """Start ``ioc serve`` on a bench database and wait until it answers ``/healthz``."""
    environment = {
        **os.environ,
        "IOC_DATABASE_URL": url,
        "IOC_MEDIA_DIR": str(media_root),
        "IOC_DEMO": "1",
        "IOC_INTAKE__RATE_LIMIT": "100000000",
        **(env or {}),
    }
    command = [sys.executable, "-m", "ioc", "serve", "--workers", str(workers), "--port", str(port)]
    server = subprocess.Popen(
        command, env=environment, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=1).status_code == 200:
                return server
        except httpx.HTTPError:
            time.sleep(0.2)
    server.terminate()
    raise RuntimeError("the server did not start")


SCALE_DATABASE = "ioc_bench_scale"


def report_count(url: str) -> int:
    """How many reports a bench database holds."""
    engine = create_engine(url)
    with engine.connect() as conn:
        count = int(conn.scalar(text("SELECT count(*) FROM reports")) or 0)
    engine.dispose()
    return count


def scale_database(count: int, seed: int) -> str:
    """The database of the scale benchmarks (map, KPIs), holding ``count`` reports of ``ioc
    demo-data``: made once, then kept between runs and shared while count and seed agree."""
    marker = PROJECT_ROOT / "var" / "bench" / "scale-reports.txt"
    wanted = f"{count} {seed}"
    url = bench_database(SCALE_DATABASE)
    if marker.exists() and marker.read_text() == wanted and report_count(url) >= count:
        return url
    url = bench_database(SCALE_DATABASE, fresh=True)
    started = time.perf_counter()
    command = [sys.executable, "-m", "ioc", "demo-data", "--reports", str(count)]
    environment = {**os.environ, "IOC_DATABASE_URL": url, "IOC_DEMO": "1"}
    subprocess.run([*command, "--seed", str(seed)], env=environment, check=True)
    # As autovacuum would soon: statistics, and the visibility map of index-only scans.
    engine = create_engine(url)
    with engine.connect() as conn:
        conn.execution_options(isolation_level="AUTOCOMMIT").execute(text("VACUUM ANALYZE"))
    engine.dispose()
    print(f"{count} reports made by ioc demo-data in {time.perf_counter() - started:.0f} s")
    marker.parent.mkdir(parents=True, exist_ok=True)
    marker.write_text(wanted)
    return url
