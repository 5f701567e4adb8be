"""Live updates: one LISTEN connection per server process, fanned out to its subscribers.

The database announces changes with ``NOTIFY`` (delivered on commit, so to every app server
alike). Each process keeps one psycopg connection listening on a channel (started by the first
subscriber, reconnected with backoff when the database restarts) and copies each notification,
parsed as JSON, into every subscriber's bounded queue. A subscriber that falls behind is dropped
(``DROPPED``) rather than left to fill the server's memory; after a reconnection every
subscriber gets ``GAP``, since notifications sent meanwhile are lost. What the messages mean is
the feature's business: this module knows only channels and JSON.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from enum import Enum
from typing import Any, Final

import psycopg
from fastapi import FastAPI
from psycopg import sql
from sqlalchemy.engine import URL

from ioc.logs import get_logger

log = get_logger("ioc.web.live")

QUEUE_SIZE: Final = 256  # notifications a subscriber may have waiting before it is dropped
HEALTH_CHECK_S: Final = 30.0  # a silent connection is probed this often (a dead link is quiet)
READY_WAIT_S: Final = 5.0  # how long a new subscriber waits for the LISTEN to be in place


class Signal(Enum):
    """What a subscriber gets besides notifications."""

    GAP = "gap"  # the listener reconnected: notifications may have been missed
    DROPPED = "dropped"  # the subscriber fell behind and no longer receives anything


Message = Any | Signal  # a notification's JSON, or a signal


@dataclass(eq=False)
class Subscription:
    """One subscriber's queue; read it with ``get``."""

    queue: asyncio.Queue[Message] = field(default_factory=lambda: asyncio.Queue(QUEUE_SIZE))

    async def get(self) -> Message:
        """The next message, waiting for it."""
        return await self.queue.get()

    def offer(self, message: Message) -> bool:
        """Queue a message; false (and the queue left holding only DROPPED) when it is full."""
        try:
            self.queue.put_nowait(message)
        except asyncio.QueueFull:
            while not self.queue.empty():
                self.queue.get_nowait()
            self.queue.put_nowait(Signal.DROPPED)
            return False
        return True


def conninfo(url: URL) -> str:
    """The libpq address of an SQLAlchemy URL (``postgresql+psycopg://…`` → ``postgresql://…``)."""
    return url.set(drivername="postgresql").render_as_string(hide_password=False)


class Hub:
    """The listener of one channel in this process and its subscribers."""

    def __init__(self, dsn: str, channel: str, *, max_backoff: float = 30.0) -> None:
        self.dsn = dsn
        self.channel = channel
        self.max_backoff = max_backoff
        # Tests find the listener's backend by this name (pg_stat_activity.application_name).
        self.application_name = f"ioc-live-{os.getpid()}-{id(self) % 100000}"
        self.subscribers: set[Subscription] = set()
        self.ready = asyncio.Event()
        self.reconnections = 0
        self._connected_once = False
        self._task: asyncio.Task[None] | None = None
        self._loop: asyncio.AbstractEventLoop | None = None

    @contextlib.asynccontextmanager
    async def subscribe(self) -> AsyncIterator[Subscription]:
        """A subscription for the block's duration; the LISTEN is in place (or being retried)."""
        self._start()
        subscription = Subscription()
        self.subscribers.add(subscription)
        try:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self.ready.wait(), READY_WAIT_S)
            yield subscription
        finally:
            self.subscribers.discard(subscription)

    def _start(self) -> None:
        """Start the listener in the running loop, unless it runs there already."""
        loop = asyncio.get_running_loop()
        if self._task is None or self._task.done() or self._loop is not loop:
            self.ready = asyncio.Event()
            self.subscribers = set()  # those of another loop (a test client's) are gone
            self._loop = loop
            self._task = loop.create_task(self._run(), name=f"listen-{self.channel}")

    async def close(self) -> None:
        """Stop listening (the app's shutdown)."""
        if self._task is not None and self._loop is asyncio.get_running_loop():
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        self._task = None

    async def _run(self) -> None:
        """Listen; after a lost connection, reconnect with exponential backoff."""
        delay = 0.5
        while True:
            try:
                await self._listen()
            except Exception as exc:  # the database restarted, or the link broke
                if self.ready.is_set():  # it had been listening: start the backoff afresh
                    delay = 0.5
                self.ready.clear()
                log.warning("live_listener_lost", channel=self.channel, error=str(exc)[:200])
            await asyncio.sleep(delay)
            delay = min(delay * 2, self.max_backoff)

    async def _listen(self) -> None:
        """One connection's life: LISTEN, then dispatch until it fails."""
        conn = await psycopg.AsyncConnection.connect(
            self.dsn, autocommit=True, application_name=self.application_name
        )
        async with conn:
            await conn.execute(sql.SQL("LISTEN {}").format(sql.Identifier(self.channel)))
            if self._connected_once:
                self.reconnections += 1
                self.broadcast(Signal.GAP)
            self._connected_once = True
            self.ready.set()
            while True:
                async for note in conn.notifies(timeout=HEALTH_CHECK_S):
                    self.dispatch(note.payload)
                await conn.execute("SELECT 1")

    def dispatch(self, payload: str) -> None:
        """Parse one notification and hand it to every subscriber."""
        try:
            message = json.loads(payload)
        except ValueError:
            log.warning("live_bad_payload", channel=self.channel, payload=payload[:200])
            return
        self.broadcast(message)

    def broadcast(self, message: Message) -> None:
        """Queue a message for every subscriber; those that are full are dropped."""
        for subscription in list(self.subscribers):
            if not subscription.offer(message):
                self.subscribers.discard(subscription)
                log.info("live_subscriber_dropped", channel=self.channel)


def hub(app: FastAPI, channel: str) -> Hub:
    """The app's hub for a channel, made on first use (the app's shutdown closes it)."""
    hubs: dict[str, Hub] | None = getattr(app.state, "live_hubs", None)
    if hubs is None:
        hubs = app.state.live_hubs = {}
    if channel not in hubs:
        hubs[channel] = Hub(conninfo(app.state.engine.url), channel)
    return hubs[channel]


async def close_hubs(app: FastAPI) -> None:
    """Stop every listener of the app."""
    hubs: dict[str, Hub] = getattr(app.state, "live_hubs", {})
    for each in hubs.values():
        await each.close()
    hubs.clear()
