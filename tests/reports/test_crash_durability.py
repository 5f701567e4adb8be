"""A database crash under concurrent intake loses no acknowledged report (issue 8, item 2).

The test builds a throw-away cluster of its own in a temporary directory (never the suite's
database), serves the app on it in a uvicorn process on a loopback port, and files reports with
photos from several threads. Mid-load it SIGKILLs the postmaster and its children, as a crash
would, and starts the cluster again (it recovers from its WAL) while the clients keep retrying
with the same Idempotency-Key. Every request that got a 201 must then find its report, with the
same tracking code, and all its photos' rows and files; no tracking code may belong to two keys.
"""

from __future__ import annotations

import contextlib
import ctypes
import io
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import httpx2 as httpx
import pytest
from PIL import ImageDraw
from sqlalchemy import select
from sqlalchemy.orm import Session

from ioc import db
from ioc.cli import prepare_database
from ioc.settings import Settings
from ioc.system.pgcluster import ClusterError, LocalCluster
from reports.models import IdempotencyKey, Report, ReportMedia
from tests.conftest import TEST_SECRET
from tests.ioc.serving import free_port
from tests.reports import media_samples as samples
from tests.reports.conftest import TAM_THANG

CLIENTS = 6
PHOTOS = 2  # per report
LOAD_BEFORE_KILL_S = 4.0
LOAD_AFTER_RESTART_S = 3.0
RETRY_S = 30.0  # how long a client keeps retrying one key before it gives up on it
START_S = 30.0  # for the app server to answer, and for the cluster to start again
PR_SET_CHILD_SUBREAPER = 36  # linux/prctl.h


@dataclass(frozen=True)
class Site:
    """The throw-away cluster, its database, its media root and the app serving them."""

    cluster: LocalCluster
    url: str
    media_dir: Path
    base: str
    log: Path

    def log_tail(self) -> str:
        return self.log.read_text(encoding="utf-8", errors="replace")[-3000:]


@dataclass(frozen=True)
class Ack:
    """A 201: the key the client sent, and the report the server said it keeps."""

    key: str
    report_id: int
    tracking_code: str
    after_restart: bool


@dataclass
class Load:
    """What the client threads share: the stop signals and what they were answered."""

    base: str
    restarted: threading.Event = field(default_factory=threading.Event)
    stop_new: threading.Event = field(default_factory=threading.Event)
    lock: threading.Lock = field(default_factory=threading.Lock)
    acks: list[Ack] = field(default_factory=list)
    answers: Counter[str] = field(default_factory=Counter)
    given_up: list[str] = field(default_factory=list)

    def note(self, answer: str) -> None:
        with self.lock:
            self.answers[answer] += 1


@contextmanager
def _adopting_orphans() -> Iterator[None]:
    """Adopt the processes this test orphans (the daemonised postmaster), as an init would.

    A killed postmaster stays a zombie until its parent reaps it, pg_ctl takes a zombie for a
    running server, and the init of some containers reaps nothing: the test reaps its own.
    """
    libc = ctypes.CDLL(None, use_errno=True)
    libc.prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0)
    try:
        yield
    finally:
        libc.prctl(PR_SET_CHILD_SUBREAPER, 0, 0, 0, 0)
        _reap_servers()


def _stat(pid: int) -> tuple[str, str, int] | None:
    """A process's name, state and parent, or None once it is gone."""
    try:
        text = Path(f"/proc/{pid}/stat").read_text(encoding="utf-8")
    except OSError:
        return None
    name, rest = text.split(" (", 1)[1].rsplit(")", 1)
    state, parent = rest.split()[:2]
    return name, state, int(parent)


def _reap_servers() -> None:
    """Collect the exit of PostgreSQL processes this test adopted (and only those)."""
    for entry in Path("/proc").iterdir():
        stat = _stat(int(entry.name)) if entry.name.isdigit() else None
        if stat and stat[0] == "postgres" and stat[1] == "Z" and stat[2] == os.getpid():
            with contextlib.suppress(ChildProcessError):
                os.waitpid(int(entry.name), 0)


def _make_database(cluster: LocalCluster, media_dir: Path) -> str:
    """Start the cluster; create, migrate and seed its database; return its URL."""
    cluster.start()
    settings = Settings(
        database_url=cluster.url("ioc"), secret_key=TEST_SECRET, media_dir=media_dir
    )
    return prepare_database(settings)


def _serve(top: Path, url: str, media_dir: Path, log: Path) -> tuple[subprocess.Popen[bytes], str]:
    """The app in its own uvicorn process on a free loopback port."""
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("IOC_")}
    env |= {
        "IOC_DATABASE_URL": url,
        "IOC_MEDIA_DIR": str(media_dir),
        "IOC_VAR_DIR": str(top / "var"),
        "IOC_SECRET_KEY": TEST_SECRET,
        "IOC_DEMO": "0",
        "IOC_INTAKE__RATE_LIMIT": "1000000",  # every client comes from 127.0.0.1
    }
    argv = [sys.executable, "-m", "uvicorn", "ioc.app:app_from_env", "--factory"]
    argv += ["--host", "127.0.0.1", "--port", str(port), "--no-access-log"]
    with log.open("wb") as out:
        server = subprocess.Popen(argv, cwd=top, env=env, stdout=out, stderr=subprocess.STDOUT)
    return server, f"http://127.0.0.1:{port}"


def _wait_until_up(server: subprocess.Popen[bytes], base: str, log: Path) -> None:
    deadline = time.monotonic() + START_S
    while time.monotonic() < deadline:
        assert server.poll() is None, log.read_text(encoding="utf-8", errors="replace")
        try:
            if httpx.get(f"{base}/healthz", timeout=2).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.2)
    pytest.fail(f"the app did not answer on {base}")


def _stop_server(server: subprocess.Popen[bytes]) -> None:
    server.terminate()
    try:
        server.wait(timeout=10)
    except subprocess.TimeoutExpired:
        server.kill()
        server.wait(timeout=10)


@pytest.fixture
def site() -> Iterator[Site]:
    """A cluster, database and app of this test's own; all stopped and removed afterwards."""
    # pytest's tmp_path is private to root; the server user must be able to reach this one.
    top = Path(tempfile.mkdtemp(prefix="ioc-crash-", dir="/tmp"))
    top.chmod(0o755)
    cluster = LocalCluster(top / "var")
    server = None
    try:
        with _adopting_orphans():
            try:
                media_dir, log = top / "media", top / "server.log"
                url = _make_database(cluster, media_dir)
                server, base = _serve(top, url, media_dir, log)
                _wait_until_up(server, base, log)
                yield Site(cluster, url, media_dir, base, log)
            finally:
                if server is not None:
                    _stop_server(server)
                _stop_cluster(cluster)
    finally:
        shutil.rmtree(top)


def _stop_cluster(cluster: LocalCluster) -> None:
    postmaster = _postmaster(cluster)
    try:
        cluster.stop()
    except ClusterError:
        _kill_server(cluster)  # never leave a server running in a directory about to go
    if postmaster is not None:
        with contextlib.suppress(ChildProcessError):  # not adopted: someone else reaps it
            os.waitpid(postmaster, 0)


def _postmaster(cluster: LocalCluster) -> int | None:
    """The server's pid: the first line of its lock file, while it runs."""
    try:
        return int((cluster.data_dir / "postmaster.pid").read_text(encoding="utf-8").split()[0])
    except (OSError, IndexError, ValueError):
        return None


# --- The clients ----------------------------------------------------------------------------


def _photo(key: str, index: int) -> bytes:
    """A small phone-like JPEG whose pixels (and so every derivative) are this report's own."""
    image = samples.picture((320, 240), seed=index)
    ImageDraw.Draw(image).text((8, 40), f"{key} #{index}", fill=(0, 0, 0))
    out = io.BytesIO()
    image.save(out, "JPEG", quality=85, exif=samples.exif_block(gps=TAM_THANG).tobytes())
    return out.getvalue()


def _file_once(http: httpx.Client, load: Load, key: str) -> None:
    """Post one report, retrying with the same key and body until a 201 or RETRY_S."""
    data = {"category": "giao-thong", "description": f"Ổ gà {key}"}
    data |= {"lat": str(TAM_THANG[0]), "lon": str(TAM_THANG[1])}
    files = [("photos", (f"{i}.jpg", _photo(key, i), "image/jpeg")) for i in range(PHOTOS)]
    headers = {"Idempotency-Key": key, "Accept": "application/json"}
    deadline = time.monotonic() + RETRY_S
    while time.monotonic() < deadline:
        try:
            response = http.post("/api/v1/reports", data=data, files=files, headers=headers)
        except httpx.TransportError as exc:
            load.note(type(exc).__name__)
        else:
            load.note(str(response.status_code))
            if response.status_code == 201:
                body = response.json()
                ack = Ack(key, body["id"], body["tracking_code"], load.restarted.is_set())
                with load.lock:
                    load.acks.append(ack)
                return
        time.sleep(0.2)
    with load.lock:
        load.given_up.append(key)


def _client(load: Load, number: int) -> None:
    """File reports one after another until told to stop (the last one is seen through)."""
    with httpx.Client(base_url=load.base, timeout=20) as http:
        count = 0
        while not load.stop_new.is_set():
            _file_once(http, load, f"crash-{number}-{count}-{os.urandom(4).hex()}")
            count += 1


# --- The crash ------------------------------------------------------------------------------


def _children(pid: int) -> list[int]:
    """Processes whose parent is ``pid`` (the server's backends and helpers)."""
    found = []
    for entry in Path("/proc").iterdir():
        stat = _stat(int(entry.name)) if entry.name.isdigit() else None
        if stat and stat[2] == pid:
            found.append(int(entry.name))
    return found


def _alive(pid: int) -> bool:
    stat = _stat(pid)
    return stat is not None and stat[1] != "Z"


def _kill_server(cluster: LocalCluster) -> None:
    """SIGKILL the postmaster, then every process it started: nothing gets to flush or clean up."""
    postmaster = _postmaster(cluster)
    if postmaster is None:
        return
    victims = [postmaster, *_children(postmaster)]
    for pid in victims:
        try:
            os.kill(pid, signal.SIGKILL)
        except ProcessLookupError:
            continue
    deadline = time.monotonic() + 10
    while any(_alive(pid) for pid in victims) and time.monotonic() < deadline:
        time.sleep(0.05)
    _reap_servers()  # a zombie postmaster would pass for a running one


def _restart(cluster: LocalCluster) -> None:
    """Start the cluster again (crash recovery replays the WAL), retrying for START_S."""
    deadline = time.monotonic() + START_S
    while True:
        try:
            cluster.start()
            return
        except ClusterError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.5)


# --- What the database kept -----------------------------------------------------------------


def _kept(site: Site, acks: list[Ack]) -> tuple[dict[str, tuple[int, str]], dict[int, list[str]]]:
    """For each acknowledged key, its report (id, code); for each report, its media paths."""
    engine = db.make_engine(site.url, pool_size=1, max_overflow=0)
    keys = [ack.key for ack in acks]
    try:
        with Session(engine) as session:
            reports = session.execute(
                select(IdempotencyKey.key, Report.id, Report.tracking_code)
                .join(Report, Report.id == IdempotencyKey.report_id)
                .where(IdempotencyKey.key.in_(keys))
            ).all()
            media = session.execute(
                select(
                    ReportMedia.report_id,
                    ReportMedia.original_path,
                    ReportMedia.display_path,
                    ReportMedia.thumbnail_path,
                ).where(ReportMedia.report_id.in_([r.id for r in reports]))
            ).all()
    finally:
        engine.dispose()
    paths: dict[int, list[str]] = {}
    for report_id, *files in media:
        paths.setdefault(report_id, []).extend(files)
    return {key: (report_id, code) for key, report_id, code in reports}, paths


def _missing(site: Site, acks: list[Ack]) -> list[str]:
    """Every way an acknowledged report is not fully there."""
    reports, paths = _kept(site, acks)
    problems = []
    for ack in acks:
        if reports.get(ack.key) != (ack.report_id, ack.tracking_code):
            problems.append(f"{ack.tracking_code} ({ack.key}): kept as {reports.get(ack.key)}")
            continue
        files = paths.get(ack.report_id, [])
        if len(files) != 3 * PHOTOS:
            problems.append(f"{ack.tracking_code}: {len(files) // 3} of {PHOTOS} media rows")
        problems += [
            f"{ack.tracking_code}: no file {f}" for f in files if not (site.media_dir / f).is_file()
        ]
    return problems


def _run_load(site: Site) -> tuple[Load, int]:
    """Clients file reports; the cluster is killed mid-load and started again."""
    load = Load(site.base)
    threads = [threading.Thread(target=_client, args=(load, n)) for n in range(CLIENTS)]
    for thread in threads:
        thread.start()
    try:
        time.sleep(LOAD_BEFORE_KILL_S)
        with load.lock:
            before_kill = len(load.acks)
        _kill_server(site.cluster)
        _restart(site.cluster)
        load.restarted.set()
        time.sleep(LOAD_AFTER_RESTART_S)
    finally:
        load.stop_new.set()
        for thread in threads:
            thread.join(timeout=RETRY_S + 10)
    assert not any(t.is_alive() for t in threads), "a client did not finish"
    return load, before_kill


def test_a_killed_database_keeps_every_acknowledged_report_with_its_files(site: Site) -> None:
    load, before_kill = _run_load(site)
    acks = load.acks
    print(  # the figures of a run, for the record (pytest -s)
        f"\n{len(acks)} acknowledged ({before_kill} before the kill, "
        f"{sum(a.after_restart for a in acks)} after the restart); answers: {dict(load.answers)}; "
        f"given up: {len(load.given_up)}"
    )
    assert before_kill > 0 and any(a.after_restart for a in acks), site.log_tail()
    assert not load.given_up, f"keys never acknowledged: {load.given_up}\n{site.log_tail()}"
    assert not [a for a in load.answers if a.startswith("4") and a != "429"], load.answers
    keys_of_code: dict[str, set[str]] = {}
    for ack in acks:
        keys_of_code.setdefault(ack.tracking_code, set()).add(ack.key)
    reissued = [f"{c} given to {sorted(k)}" for c, k in keys_of_code.items() if len(k) > 1]
    assert reissued + _missing(site, acks) == []
