"""Benchmark of notification delivery to a local HTTP receiver, then an outage of the receiver.

One worker process (``ioc worker``) delivers SMS messages through the configured gateway, which is
a local HTTP receiver (asyncio, in this process) that records every request's Idempotency-Key.

1. Throughput: ``--count`` messages are committed in one transaction (as many state changes
   would); the clock runs from the commit until the receiver has seen every key. Prints
   messages per second.
2. Outage: the receiver goes down (its port closed: connections are refused), ``--outage-count``
   messages are committed, and the receiver comes back after ``--outage`` seconds (60 is the
   figure recorded). Once every message is marked sent it prints the keys never received (lost),
   the keys received again after a 2xx answer (duplicates beyond at-least-once; a copy of a
   request that got no answer is within the rule) and the failed attempts recorded.

It prepares its own database (``ioc_bench_notify`` in the embedded cluster, created afresh,
migrated and seeded). Retries use a short backoff (``--backoff``, doubling up to
``--backoff-max``) so that the recovery after the outage is measured, not the production backoff.

Run from the project root: ``IOC_DEMO=1 .venv/bin/python bench/notify.py [--count 20000]``.
"""

from __future__ import annotations

import argparse
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

# Run as a script, this file's directory comes first on sys.path, where bench/routing.py would
# shadow the routing package: put the project root there instead (the benchmarks use tests/ too).
if sys.path and Path(sys.path[0]).resolve() == Path(__file__).resolve().parent:
    sys.path[0] = str(Path(__file__).resolve().parent.parent)

from sqlalchemy import func, select
from sqlalchemy.engine import Engine

from ioc import db
from ioc.cli import prepare_database
from ioc.settings import PROJECT_ROOT, Settings
from ioc.system.pgcluster import LocalCluster
from reports.notify.models import Attempt, Audience, Channel, Message, MessageState
from reports.notify.service import Draft, Recipient, write
from tests.reports.notify.receiver import Receiver

DATABASE = "ioc_bench_notify"
CHUNK = 1000  # rows per INSERT


def bench_database() -> str:
    """Create the bench database afresh, migrate and seed it; returns its URL."""
    cluster = LocalCluster(Path(os.environ.get("IOC_VAR_DIR", PROJECT_ROOT / "var")))
    cluster.start()
    settings = Settings(database_url=cluster.url(DATABASE), demo=True)
    return prepare_database(settings, fresh=True)


def commit_messages(engine: Engine, settings: Settings, count: int, tag: str) -> set[str]:
    """Commit ``count`` SMS messages (and their delivery job) in one transaction; their keys."""
    drafts = [
        Draft(
            Recipient(Audience.resident, Channel.sms, f"09{n:08d}", "vi"),
            "",
            f"Phản ánh PA-2026-{n:06d} đã được chuyển đến đơn vị xử lý ({tag}).",
        )
        for n in range(count)
    ]
    with db.session_scope(db.make_sessionmaker(engine)) as session:
        for start in range(0, count, CHUNK):
            write(session, settings, drafts[start : start + CHUNK], report_id=None, event_id=None)
        ours = Message.body.endswith(f"({tag}).", autoescape=True)
        return set(session.scalars(select(Message.idempotency_key).where(ours)))


def start_worker(url: str, receiver: Receiver, args: argparse.Namespace) -> subprocess.Popen[bytes]:
    """``ioc worker`` with the gateway pointed at the receiver."""
    env = {
        **os.environ,
        "IOC_DATABASE_URL": url,
        "IOC_DEMO": "1",
        "IOC_NOTIFY__SMS__URL": f"{receiver.url}/sms",
        "IOC_NOTIFY__CONCURRENCY": str(args.concurrency),
        "IOC_NOTIFY__BACKOFF_SECONDS": str(args.backoff),
        "IOC_NOTIFY__BACKOFF_MAX_SECONDS": str(args.backoff_max),
        "IOC_NOTIFY__LOG_FILE": str(PROJECT_ROOT / "var" / "bench" / "notify-messages.log"),
    }
    log = PROJECT_ROOT / "var" / "bench" / "notify-worker.log"
    log.parent.mkdir(parents=True, exist_ok=True)
    with log.open("wb") as out:
        return subprocess.Popen([sys.executable, "-m", "ioc", "worker"], env=env, stderr=out)


def wait_for(condition: Callable[[], bool], seconds: float, what: str) -> float:
    """Poll until ``condition`` holds; the seconds it took (RuntimeError past ``seconds``)."""
    started = time.perf_counter()
    while not condition():
        if time.perf_counter() - started > seconds:
            raise RuntimeError(f"timed out: {what}")
        time.sleep(0.02)
    return time.perf_counter() - started


def pending(engine: Engine) -> int:
    """Messages not yet marked sent."""
    with engine.connect() as conn:
        count = conn.scalar(
            select(func.count()).select_from(Message).where(Message.state != MessageState.sent)
        )
    return int(count or 0)


def failed_attempts(engine: Engine) -> int:
    with engine.connect() as conn:
        return int(conn.scalar(select(func.count()).where(Attempt.ok.is_(False))) or 0)


def cpu_seconds(pid: int) -> float:
    """User and system CPU time a process has used so far."""
    fields = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def throughput(
    engine: Engine, settings: Settings, receiver: Receiver, count: int, worker: int
) -> None:
    """Phase 1: messages per second from the commit to the last key received."""
    cpu = cpu_seconds(worker)
    before = len(receiver.seen)
    keys = commit_messages(engine, settings, count, "throughput")
    arrived = lambda: len(receiver.seen) - before >= count  # noqa: E731 - cheap to poll
    took = wait_for(arrived, 600, "the receiver did not get every message")
    assert keys <= receiver.seen, "the receiver got other keys than those committed"
    wait_for(lambda: pending(engine) == 0, 120, "messages not marked sent")
    used = cpu_seconds(worker) - cpu
    print(
        f"throughput: {count} messages delivered in {took:.2f} s: {count / took:.0f} messages/s "
        f"({len(receiver.seen) - before} distinct keys received); the worker process used "
        f"{used:.1f} s of CPU, {1000 * used / count:.2f} ms per message"
    )


def outage(
    engine: Engine, settings: Settings, receiver: Receiver, args: argparse.Namespace
) -> None:
    """Phase 2: the receiver is down for ``args.outage`` seconds, then comes back."""
    receiver.stop()
    failures = failed_attempts(engine)
    keys = commit_messages(engine, settings, args.outage_count, "outage")
    time.sleep(args.outage)
    tried = failed_attempts(engine) - failures
    receiver.start()
    took = wait_for(lambda: pending(engine) == 0, args.outage + 600, "not all delivered")
    received = [key for key in receiver.received_keys() if key in keys]
    lost = len(keys - set(received))
    print(
        f"outage: receiver down {args.outage:.0f} s with {args.outage_count} messages waiting "
        f"({tried} failed attempts recorded meanwhile); all marked sent {took:.1f} s after it "
        f"came back; lost {lost}; received {len(received)} times for {len(set(received))} keys; "
        f"duplicates beyond at-least-once {receiver.after_ack}"
    )
    assert lost == 0, f"{lost} messages were lost"


def main() -> None:
    """Prepare, run both phases, print the figures."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--count", type=int, default=20000, help="messages in the throughput run")
    parser.add_argument("--concurrency", type=int, default=20, help="sends at once (worker)")
    parser.add_argument("--outage", type=float, default=60.0, help="seconds the receiver is down")
    parser.add_argument("--outage-count", type=int, default=2000, help="messages during it")
    parser.add_argument("--backoff", type=float, default=2.0, help="first retry delay, seconds")
    parser.add_argument("--backoff-max", type=float, default=15.0, help="longest retry delay")
    args = parser.parse_args()
    url = bench_database()
    settings = Settings(database_url=url, demo=True)
    engine = db.make_engine(url)
    receiver = Receiver().start()
    worker = start_worker(url, receiver, args)
    try:
        warm = commit_messages(engine, settings, 200, "warm-up")
        wait_for(lambda: warm <= receiver.seen, 120, "the worker did not start delivering")
        throughput(engine, settings, receiver, args.count, worker.pid)
        outage(engine, settings, receiver, args)
    finally:
        worker.send_signal(signal.SIGTERM)
        worker.wait(timeout=120)
        receiver.stop()
        engine.dispose()


if __name__ == "__main__":
    main()
