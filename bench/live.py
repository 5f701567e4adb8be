"""Benchmark of live updates: SSE clients, state changes at a steady rate, delay commit → client.

It prepares its own database (``ioc_bench_live`` in the embedded cluster, recreated; or, with
``--scale N``, uses the scale benchmarks' database of N reports), clones
``--reports`` submitted reports with SQL (as bench/lifecycle.py does), serves the app with
``ioc serve --workers W`` and opens ``--clients`` streams of ``GET /dashboard/events`` (the demo
operator's bearer token), spread over ``--procs`` processes of asyncio + httpx. Once every
stream listens, it applies ``--rate`` lifecycle actions a second for ``--seconds`` through the
lifecycle service (``apply_action``, one transaction each), alternately verify_forward (IOC) and
return (agency) over the clones; the time of each is taken right after its commit returns. Each
client notes when each event arrives (one machine, one monotonic clock). It prints p50/p95/max
of the delays from commit to client, over every (client, event), and the events lost (an event
that some client never received). Target: p95 < 1 s with 200 clients and 20 changes a second.

Run from the project root: ``IOC_DEMO=1 .venv/bin/python bench/live.py [--clients 200]
[--rate 20] [--seconds 60]``.
"""

from __future__ import annotations

import argparse
import asyncio
import multiprocessing
import shutil
import statistics
import sys
import time
from dataclasses import dataclass
from multiprocessing.synchronize import Event as EventType
from pathlib import Path
from typing import Any

if sys.path and Path(sys.path[0]).resolve() == Path(__file__).resolve().parent:
    sys.path[0] = str(Path(__file__).resolve().parent.parent)

import httpx
from sqlalchemy import create_engine, func, select
from sqlalchemy.orm import Session

from bench.lifecycle import PASSWORD, clone, staff_photo, template_report
from bench.serving import bench_database, scale_database, serve
from ioc.auth.models import User
from ioc.settings import PROJECT_ROOT, Settings
from reports.lifecycle.service import ActionInput, Actor, apply_action
from reports.models import ActorKind, Report
from routing.models import Agency
from tests.ioc.serving import free_port

DATABASE = "ioc_bench_live"
AGENCY = "ubnd-26526"  # where the clones are routed (bench/lifecycle.py's place)
Arrivals = dict[int, float]  # event id → monotonic time of arrival, for one client


# --- The clients ----------------------------------------------------------------------------


async def listen(
    client: httpx.AsyncClient, headers: dict[str, str], arrivals: Arrivals, ready: asyncio.Event
) -> None:
    """One SSE client: note the arrival time of each event until cancelled."""
    async with client.stream("GET", "/dashboard/events", headers=headers) as answer:
        answer.raise_for_status()
        async for line in answer.aiter_lines():
            if line.startswith("id: "):
                arrivals.setdefault(int(line[4:]), time.monotonic())
            elif line == ": ready":
                ready.set()


async def clients_of_one_process(
    url: str, token: str, count: int, ready: Any, stop: EventType
) -> list[Arrivals]:
    """``count`` clients; ``ready`` gets this process's count once all listen; runs until stop."""
    headers = {"Authorization": f"Bearer {token}"}
    limits = httpx.Limits(max_connections=count + 1, max_keepalive_connections=count + 1)
    timeout = httpx.Timeout(30, read=None)
    arrivals: list[Arrivals] = [{} for _ in range(count)]
    events = [asyncio.Event() for _ in range(count)]
    async with httpx.AsyncClient(base_url=url, limits=limits, timeout=timeout) as client:
        tasks = [
            asyncio.create_task(listen(client, headers, arrivals[n], events[n]))
            for n in range(count)
        ]
        await asyncio.gather(*(event.wait() for event in events))
        ready.put(count)
        while not stop.is_set():
            await asyncio.sleep(0.2)
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
    return arrivals


def client_process(
    url: str, token: str, count: int, ready: Any, stop: EventType, results: Any
) -> None:
    """A process of clients (spawned): its arrivals go back through ``results``."""
    results.put(asyncio.run(clients_of_one_process(url, token, count, ready, stop)))


# --- The changes ----------------------------------------------------------------------------


@dataclass
class Staff:
    """The two demo accounts that act: the IOC operator and the agency's staff member."""

    operator: Actor
    agency: Actor
    agency_code: str


def staff(db: Session) -> Staff:
    """The seed's demo operator and AGENCY's demo account as the lifecycle sees them."""
    operator = db.scalars(select(User).where(User.username == "operator")).one()
    member = db.scalars(select(User).where(User.username == AGENCY)).one()
    agency_id = db.scalars(select(Agency.id).where(Agency.code == AGENCY)).one()
    return Staff(
        Actor(ActorKind.staff, user_id=operator.id, role=operator.role.value),
        Actor(ActorKind.staff, user_id=member.id, role=member.role.value, agency_id=agency_id),
        AGENCY,
    )


def change(db: Session, settings: Settings, report_id: int, who: Staff) -> int:
    """The next action of the report's cycle (forward ↔ return), committed; its event id."""
    state = db.scalars(select(Report.state).where(Report.id == report_id)).one()
    if state.value == "assigned":
        event = apply_action(
            db, settings, report_id, "return", who.agency, ActionInput(reason="Không thuộc")
        )
    else:
        data = ActionInput(agency=who.agency_code)
        event = apply_action(db, settings, report_id, "verify_forward", who.operator, data)
    event_id = event.id
    db.commit()
    return event_id


def drive(database_url: str, rate: float, seconds: float) -> tuple[dict[int, float], float]:
    """``rate`` changes a second for ``seconds``: commit time of each event, and the rate kept."""
    settings = Settings(database_url=database_url, demo=True)
    engine = create_engine(database_url)
    committed: dict[int, float] = {}
    with Session(engine, expire_on_commit=False) as db:
        who = staff(db)
        ids = list(db.scalars(select(Report.id).where(Report.tracking_code.like("PA-2099-%"))))
        db.rollback()
        total = int(rate * seconds)
        started = time.monotonic()
        for n in range(total):
            pause = started + n / rate - time.monotonic()
            if pause > 0:
                time.sleep(pause)
            event_id = change(db, settings, ids[n % len(ids)], who)
            committed[event_id] = time.monotonic()
        kept = total / (time.monotonic() - started)
    engine.dispose()
    return committed, kept


# --- Figures --------------------------------------------------------------------------------


def print_figures(committed: dict[int, float], arrivals: list[Arrivals], rate: float) -> bool:
    """Delays from commit to client over every (client, event), and the events lost."""
    delays: list[float] = []
    lost = 0
    for seen in arrivals:
        for event_id, at in committed.items():
            if event_id in seen:
                delays.append((seen[event_id] - at) * 1000)
            else:
                lost += 1
    delays.sort()
    cuts = statistics.quantiles(delays, n=100) if len(delays) > 1 else delays * 99
    print(
        f"{len(arrivals)} clients, {len(committed)} changes at {rate:.1f}/s: "
        f"{len(delays)} deliveries, {lost} lost"
    )
    if delays:
        print(
            f"  commit → client: p50 {cuts[49]:7.1f} ms  p95 {cuts[94]:7.1f} ms  "
            f"max {delays[-1]:7.1f} ms"
        )
    met = bool(delays) and cuts[94] < 1000 and lost == 0
    print(f"target p95 < 1 s and nothing lost: {'met' if met else 'MISSED'}")
    return met


def clones(database_url: str) -> int:
    """How many reports the changes can cycle over (made by an earlier run)."""
    engine = create_engine(database_url)
    with engine.connect() as conn:
        count = conn.scalar(select(func.count()).where(Report.tracking_code.like("PA-2099-%")))
    engine.dispose()
    return int(count or 0)


def token_of(url: str) -> str:
    """A bearer token of the demo operator."""
    body = {"username": "operator", "password": PASSWORD}
    answer = httpx.post(f"{url}/api/v1/auth/token", json=body, timeout=60)
    answer.raise_for_status()
    token: str = answer.json()["access_token"]
    return token


def run(
    url: str, database_url: str, args: argparse.Namespace
) -> tuple[dict[int, float], list[Arrivals], float]:
    """Open the clients, drive the changes, gather what each client saw; the rate kept."""
    spawn = multiprocessing.get_context("spawn")
    ready, results, stop = spawn.Queue(), spawn.Queue(), spawn.Event()
    shares = [
        args.clients // args.procs + (n < args.clients % args.procs) for n in range(args.procs)
    ]
    token = token_of(url)
    procs = [
        spawn.Process(target=client_process, args=(url, token, share, ready, stop, results))
        for share in shares
        if share
    ]
    for proc in procs:
        proc.start()
    listening = sum(ready.get(timeout=120) for _ in procs)
    print(f"{listening} clients listening; driving {args.rate}/s for {args.seconds} s")
    committed, kept = drive(database_url, args.rate, args.seconds)
    time.sleep(args.grace)  # the last events are on their way
    stop.set()
    arrivals: list[Arrivals] = []
    for _ in procs:
        arrivals.extend(results.get(timeout=120))
    for proc in procs:
        proc.join(timeout=30)
    return committed, arrivals, kept


def main() -> None:
    """Prepare, run, print."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--clients", type=int, default=200, help="SSE clients")
    parser.add_argument("--procs", type=int, default=2, help="processes the clients run in")
    parser.add_argument("--rate", type=float, default=20, help="state changes a second")
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--reports", type=int, default=500, help="reports the changes cycle over")
    parser.add_argument("--workers", type=int, default=2, help="server processes")
    parser.add_argument("--grace", type=float, default=3, help="seconds to wait for stragglers")
    parser.add_argument(
        "--scale", type=int, default=0, help="run in the scale database of N reports (as map.py)"
    )
    args = parser.parse_args()
    if args.scale:
        database_url = scale_database(args.scale, 1)
    else:
        database_url = bench_database(DATABASE, fresh=True)
    media_root = PROJECT_ROOT / "var" / "bench" / "live-media"
    shutil.rmtree(media_root, ignore_errors=True)
    media_root.mkdir(parents=True)
    port = free_port()
    env = {"IOC_LOGIN_MAX_FAILURES": "1000", "IOC_TOKEN_TTL_MINUTES": "600"}
    server = serve(database_url, media_root, args.workers, port, env)
    url = f"http://127.0.0.1:{port}"
    try:
        if not args.scale or not clones(database_url):  # the scale database keeps its clones
            template_report(url, staff_photo())
            clone(database_url, args.reports)
        committed, arrivals, kept = run(url, database_url, args)
    finally:
        server.terminate()
        server.wait(timeout=30)
    print(f"rate kept by the driver: {kept:.1f}/s; server workers: {args.workers}")
    print_figures(committed, arrivals, args.rate)


if __name__ == "__main__":
    main()
