"""A local HTTP receiver (SMS/Zalo gateway, agency webhook) for tests and the benchmark.

asyncio in a thread of its own: it keeps up with a delivery worker that sends hundreds of messages
a second, records every request, and answers as told (a status per request, an optional delay).
``stop()`` closes the port and every open connection, as a crashed receiver would; ``start()``
opens the same port again.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable
from dataclasses import dataclass

from tests.ioc.serving import free_port

REASONS = {200: "OK", 202: "Accepted", 400: "Bad Request", 503: "Service Unavailable"}


@dataclass(frozen=True)
class Received:
    """One request as it arrived."""

    method: str
    path: str
    headers: dict[str, str]  # names in lowercase
    body: bytes


class Receiver:
    """Records requests on a loopback port and answers with ``status(request)`` after ``delay``."""

    def __init__(self, port: int | None = None) -> None:
        self.port = port or free_port()
        self.requests: list[Received] = []
        self.status: Callable[[Received], int] = lambda _: 200
        self.delay = 0.0
        # Keys already answered with 2xx, and the requests that came again after that: the
        # duplicates beyond at-least-once (a copy of an unanswered request is within the rule).
        self.acknowledged: set[str] = set()
        self.after_ack = 0
        self.seen: set[str] = set()  # every distinct key received
        self._lock = threading.Lock()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._server: asyncio.Server | None = None
        self._writers: set[asyncio.StreamWriter] = set()

    @property
    def url(self) -> str:
        """The receiver's base URL."""
        return f"http://127.0.0.1:{self.port}"

    def received_keys(self) -> list[str]:
        """The Idempotency-Key of every request received, in order (duplicates included)."""
        with self._lock:
            return [r.headers.get("idempotency-key", "") for r in self.requests]

    def received(self) -> list[Received]:
        """A copy of the requests received so far."""
        with self._lock:
            return list(self.requests)

    def start(self) -> Receiver:
        """Listen (again) on the port."""
        ready = threading.Event()
        self._loop = asyncio.new_event_loop()

        def run() -> None:
            assert self._loop is not None
            asyncio.set_event_loop(self._loop)
            self._server = self._loop.run_until_complete(
                asyncio.start_server(self._handle, "127.0.0.1", self.port, backlog=512)
            )
            ready.set()
            self._loop.run_forever()

        self._thread = threading.Thread(target=run, name="receiver", daemon=True)
        self._thread.start()
        ready.wait(timeout=10)
        return self

    def stop(self) -> None:
        """Close the port and every connection; requests in flight get no answer."""
        if self._loop is None or self._thread is None:
            return
        asyncio.run_coroutine_threadsafe(self._close(), self._loop).result(timeout=10)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(timeout=10)
        self._loop.close()
        self._loop = self._thread = None

    async def _close(self) -> None:
        assert self._server is not None
        self._server.close()
        for writer in list(self._writers):
            writer.close()
        await self._server.wait_closed()
        for task in asyncio.all_tasks():
            if task is not asyncio.current_task():
                task.cancel()

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self._writers.add(writer)
        try:
            while request := await self._read(reader):
                key = request.headers.get("idempotency-key", "")
                with self._lock:
                    self.requests.append(request)
                    self.after_ack += key in self.acknowledged
                    self.seen.add(key)
                if self.delay:
                    await asyncio.sleep(self.delay)
                code = self.status(request)
                reason = REASONS.get(code, "Status")
                writer.write(f"HTTP/1.1 {code} {reason}\r\nContent-Length: 2\r\n\r\nok".encode())
                await writer.drain()
                if 200 <= code < 300:
                    with self._lock:
                        self.acknowledged.add(key)
        except (ConnectionError, asyncio.IncompleteReadError, asyncio.CancelledError):
            pass
        finally:
            self._writers.discard(writer)
            writer.close()

    @staticmethod
    async def _read(reader: asyncio.StreamReader) -> Received | None:
        line = await reader.readline()
        if not line:
            return None
        method, path, _ = line.decode("latin-1").split(" ", 2)
        headers: dict[str, str] = {}
        while (header := await reader.readline()) not in (b"\r\n", b""):
            name, _, value = header.decode("latin-1").partition(":")
            headers[name.strip().lower()] = value.strip()
        body = await reader.readexactly(int(headers.get("content-length", "0")))
        return Received(method, path, headers, body)
