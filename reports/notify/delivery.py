"""Delivery: claim due messages, send them concurrently, record every attempt.

A worker claims a batch with ``FOR UPDATE SKIP LOCKED`` and, in the same short transaction, moves
the batch's ``next_attempt_at`` a lease ahead: no other worker takes those messages while this one
sends them, and if this one dies they become due again when the lease ends. No transaction stays
open during a send. Results are written in batches: sent, or a retry after an exponential backoff
(with jitter), or failed once the message's give-up time has come or the receiver refused it for
good. A message whose result was not written (the worker died after sending) is sent again: the
rule is at least once, and the idempotency key lets receivers drop the copy.
"""

from __future__ import annotations

import asyncio
import random
import time
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Table, bindparam, func, insert, select, update
from sqlalchemy.orm import Session, sessionmaker

from ioc import db
from ioc.db import utcnow
from ioc.settings import NotifySettings, Settings
from reports.notify.channels import Channels, DeliveryError, Outgoing
from reports.notify.models import Attempt, Channel, Message, MessageState
from routing.models import Agency

JITTER = 0.1  # backoff delays vary by ±10%, so that retries after an outage do not all coincide


@dataclass(frozen=True)
class Claimed:
    """A claimed message and what recording its result needs."""

    outgoing: Outgoing
    attempts: int
    give_up_at: datetime
    sensitive: bool


@dataclass(frozen=True)
class Outcome:
    """The result of one attempt."""

    claimed: Claimed
    at: datetime
    duration_ms: int
    status_code: int | None = None
    error: str = ""
    permanent: bool = False

    @property
    def ok(self) -> bool:
        """Whether the receiver accepted the message."""
        return not self.error


@dataclass
class Drained:
    """What one drain did."""

    sent: int = 0
    retried: int = 0
    failed: int = 0
    more: bool = False  # stopped by its time budget while messages were still due


def backoff(conf: NotifySettings, attempt: int, rng: random.Random | None = None) -> timedelta:
    """The delay after the ``attempt``-th failed attempt: doubling from the first, capped."""
    base = min(conf.backoff_seconds * 2 ** max(attempt - 1, 0), conf.backoff_max_seconds)
    spread = (rng or random).uniform(1 - JITTER, 1 + JITTER)
    return timedelta(seconds=base * spread)


def claim(session: Session, limit: int, lease_seconds: float) -> list[Claimed]:
    """Take up to ``limit`` due messages for a lease; skipped if another worker holds them."""
    due = (
        select(Message.id)
        .where(Message.state == MessageState.pending, Message.next_attempt_at <= func.now())
        .order_by(Message.next_attempt_at)
        .limit(limit)
        .with_for_update(skip_locked=True)
    )
    statement = (
        update(Message)
        .where(Message.id.in_(due.scalar_subquery()))
        .values(next_attempt_at=func.now() + timedelta(seconds=lease_seconds))
        .returning(
            Message.id,
            Message.channel,
            Message.recipient,
            Message.subject,
            Message.body,
            Message.payload,
            Message.idempotency_key,
            Message.agency_id,
            Message.attempts,
            Message.give_up_at,
            Message.sensitive,
        )
        .execution_options(synchronize_session=False)
    )
    rows = session.execute(statement).all()
    secrets = _webhook_secrets(session, {r.agency_id for r in rows if r.channel == Channel.webhook})
    return [_claimed(row, secrets.get(row.agency_id)) for row in rows]


def _claimed(row: Any, secret: str | None) -> Claimed:
    outgoing = Outgoing(
        id=row.id,
        channel=Channel(row.channel),
        recipient=row.recipient,
        subject=row.subject,
        body=row.body,
        payload=row.payload,
        idempotency_key=row.idempotency_key,
        webhook_secret=secret,
    )
    return Claimed(outgoing, row.attempts, row.give_up_at, row.sensitive)


def _webhook_secrets(session: Session, agency_ids: set[int | None]) -> dict[int, str]:
    """The webhook secrets of some agencies (read at send time, so that a new one applies)."""
    wanted = [agency_id for agency_id in agency_ids if agency_id is not None]
    if not wanted:
        return {}
    secret = Agency.contacts["webhook_secret"].astext
    rows = session.execute(select(Agency.id, secret).where(Agency.id.in_(wanted)))
    return {agency_id: value for agency_id, value in rows if value}


async def attempt(channels: Channels, claimed: Claimed, limit: asyncio.Semaphore) -> Outcome:
    """Send one message (never raises: a failure is an outcome)."""
    async with limit:
        at, started = utcnow(), time.perf_counter()
        try:
            status = await channels.send(claimed.outgoing)
        except DeliveryError as error:
            elapsed = int((time.perf_counter() - started) * 1000)
            reason = str(error) or "error"
            return Outcome(claimed, at, elapsed, error.status, reason, error.permanent)
        except Exception as error:  # a bug in a channel must not stop the others
            elapsed = int((time.perf_counter() - started) * 1000)
            return Outcome(claimed, at, elapsed, None, f"{type(error).__name__}: {error}")
        return Outcome(claimed, at, int((time.perf_counter() - started) * 1000), status)


def record(
    session: Session, conf: NotifySettings, outcomes: list[Outcome], now: datetime | None = None
) -> Drained:
    """Write the results and attempts of a batch (a message no longer pending is left alone)."""
    now = now or utcnow()
    done = Drained()
    changes = [_change(conf, outcome, now, done) for outcome in outcomes]
    table = Message.__table__
    assert isinstance(table, Table)
    statement = (
        update(table)
        .where(table.c.id == bindparam("m_id"), table.c.state == MessageState.pending.value)
        .values(
            state=bindparam("m_state"),
            attempts=table.c.attempts + 1,
            next_attempt_at=bindparam("m_next"),
            sent_at=bindparam("m_sent"),
            last_error=bindparam("m_error"),
        )
    )
    session.connection().execute(statement, changes)
    private = [o.claimed.outgoing.id for o in outcomes if o.ok and o.claimed.sensitive]
    if private:  # the private status link has reached its reader: drop our copy
        session.execute(update(Message).where(Message.id.in_(private)).values(body=""))
    session.execute(insert(Attempt), [_attempt_row(outcome) for outcome in outcomes])
    return done


def _change(conf: NotifySettings, outcome: Outcome, now: datetime, done: Drained) -> dict[str, Any]:
    """The new state of one message after an attempt (and counts it in ``done``)."""
    claimed = outcome.claimed
    change: dict[str, Any] = {
        "m_id": claimed.outgoing.id,
        "m_state": MessageState.sent.value,
        "m_next": now,
        "m_sent": now if outcome.ok else None,
        "m_error": None if outcome.ok else outcome.error[:2000],
    }
    if outcome.ok:
        done.sent += 1
    elif outcome.permanent or now >= claimed.give_up_at:
        change["m_state"] = MessageState.failed.value
        done.failed += 1
    else:
        change["m_state"] = MessageState.pending.value
        change["m_next"] = min(now + backoff(conf, claimed.attempts + 1), claimed.give_up_at)
        done.retried += 1
    return change


def _attempt_row(outcome: Outcome) -> dict[str, Any]:
    return {
        "message_id": outcome.claimed.outgoing.id,
        "at": outcome.at,
        "ok": outcome.ok,
        "status_code": outcome.status_code,
        "error": outcome.error[:2000],
        "duration_ms": outcome.duration_ms,
    }


def _claim_batch(sessions: sessionmaker[Session], limit: int, lease: float) -> list[Claimed]:
    with db.session_scope(sessions) as session:
        return claim(session, limit, lease)


def _record_batch(
    sessions: sessionmaker[Session], conf: NotifySettings, outcomes: list[Outcome]
) -> Drained:
    with db.session_scope(sessions) as session:
        return record(session, conf, outcomes)


def _add(total: Drained, part: Drained) -> None:
    total.sent += part.sent
    total.retried += part.retried
    total.failed += part.failed


async def drain(settings: Settings, sessions: sessionmaker[Session], seconds: float) -> Drained:
    """Deliver due messages, ``concurrency`` at a time, for at most ``seconds`` of claiming."""
    conf = settings.notify
    deadline = time.monotonic() + seconds
    limit = asyncio.Semaphore(conf.concurrency)
    running: set[asyncio.Task[Outcome]] = set()
    finished: list[Outcome] = []
    total, more = Drained(), True
    async with Channels(settings) as channels:
        while True:
            if more and len(running) < conf.concurrency and time.monotonic() < deadline:
                wanted = 2 * conf.concurrency - len(running)
                batch = await asyncio.to_thread(_claim_batch, sessions, wanted, conf.lease_seconds)
                more = bool(batch)
                running.update(asyncio.create_task(attempt(channels, c, limit)) for c in batch)
            if not running:
                break
            done, running = await asyncio.wait(running, return_when=asyncio.FIRST_COMPLETED)
            finished.extend(task.result() for task in done)
            if len(finished) >= conf.concurrency or not running:
                _add(total, await asyncio.to_thread(_record_batch, sessions, conf, finished))
                finished = []
    total.more = more and time.monotonic() >= deadline
    return total
