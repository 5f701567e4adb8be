"""The channels: email by SMTP, SMS and Zalo by HTTP gateways, agency webhooks, demo mode's log.

Each send either returns (delivered: the receiver accepted it) or raises ``DeliveryError``, which
says whether another try may succeed. Every send carries the message's idempotency key
(``Idempotency-Key`` header, the email's ``Message-ID``) so that a receiver can drop the
duplicates that at-least-once delivery allows. docs/NOTIFICATIONS.md describes the formats.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import logging
import smtplib
import ssl
import threading
import time
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import formatdate, parseaddr
from pathlib import Path
from types import TracebackType
from typing import Any

import httpx2 as httpx

from ioc.db import utcnow
from ioc.settings import GatewaySettings, NotifySettings, Settings
from reports.notify.models import Channel
from routing.sla import VN_TZ

SIGNATURE_HEADER = "X-IOC-Signature"
TIMESTAMP_HEADER = "X-IOC-Timestamp"
EVENT_HEADER = "X-IOC-Event"
USER_AGENT = "ioc-notify/1"
# Answers worth another try: the receiver is busy, rate-limits us, or broke for a while.
TRANSIENT_STATUS = frozenset({408, 425, 429})
SMTP_AT_ONCE = 4  # SMTP connections at once per worker (mail servers throttle bursts)
# httpx logs every request at INFO: hundreds of lines a second from a busy worker. Attempts are
# recorded in the database instead.
logging.getLogger("httpx2").setLevel(logging.WARNING)


class DeliveryError(Exception):
    """A send failed; ``permanent`` if trying again cannot help (a refused address, a 4xx)."""

    def __init__(self, reason: str, *, permanent: bool = False, status: int | None = None):
        super().__init__(reason)
        self.permanent = permanent
        self.status = status


@dataclass(frozen=True)
class Outgoing:
    """A claimed message, as the channels need it."""

    id: int
    channel: Channel
    recipient: str
    subject: str
    body: str
    payload: dict[str, Any] | None
    idempotency_key: str
    webhook_secret: str | None = None


def log_path(settings: Settings) -> Path:
    """Demo mode's outbox file, for a person to read."""
    return settings.notify.log_file or settings.var_dir / "notify" / "messages.log"


def sign(secret: str, timestamp: int, body: bytes) -> str:
    """The webhook signature: HMAC-SHA256 of ``"<timestamp>." + body``, hex, ``sha256=`` first."""
    mac = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256)
    return f"sha256={mac.hexdigest()}"


def _check_status(response: httpx.Response) -> int:
    """The status of an accepted answer; DeliveryError otherwise."""
    code = response.status_code
    if 200 <= code < 300:
        return code
    permanent = code < 500 and code not in TRANSIENT_STATUS
    raise DeliveryError(f"HTTP {code}: {response.text[:200]}", permanent=permanent, status=code)


class DemoLog:
    """Messages written to a file instead of sent (demo mode without a gateway or SMTP)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._lock = threading.Lock()

    def write(self, message: Outgoing) -> None:
        """Append one message as a readable block."""
        at = utcnow().astimezone(VN_TZ).strftime("%Y-%m-%d %H:%M:%S")
        head = f"--- {at} · {message.channel} → {message.recipient} · {message.idempotency_key}"
        subject = f"{message.subject}\n" if message.channel == Channel.email else ""
        with self._lock:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            with self.path.open("a", encoding="utf-8") as out:
                out.write(f"{head}\n{subject}{message.body}\n\n")


def send_email(conf: NotifySettings, message: Outgoing) -> None:
    """Send one email through the configured SMTP server (blocking: run it in a thread)."""
    email = EmailMessage()
    domain = parseaddr(conf.smtp_from)[1].rpartition("@")[2] or "ioc.invalid"
    email["From"] = conf.smtp_from
    email["To"] = message.recipient
    email["Subject"] = message.subject
    email["Date"] = formatdate(localtime=False)
    email["Message-ID"] = f"<{message.idempotency_key}@{domain}>"
    email["X-IOC-Idempotency-Key"] = message.idempotency_key
    email.set_content(message.body)
    try:
        with smtplib.SMTP(conf.smtp_host, conf.smtp_port, timeout=conf.timeout_seconds) as smtp:
            if conf.smtp_starttls:
                smtp.starttls(context=ssl.create_default_context())
            if conf.smtp_user:
                smtp.login(conf.smtp_user, conf.smtp_password)
            smtp.send_message(email)
    except smtplib.SMTPRecipientsRefused as error:
        codes = [code for code, _ in error.recipients.values()]
        permanent = all(code >= 500 for code in codes)
        raise DeliveryError(f"recipient refused: {codes}", permanent=permanent) from error
    except smtplib.SMTPResponseException as error:
        detail = f"SMTP {error.smtp_code}: {error.smtp_error!r}"
        raise DeliveryError(detail, permanent=error.smtp_code >= 500) from error
    except (OSError, smtplib.SMTPException) as error:
        raise DeliveryError(f"SMTP: {error!r}") from error


class Channels:
    """Sends outgoing messages by their channel; an async context holding the HTTP clients.

    Each send borrows a client of its own from a free list (made on first need, up to the
    concurrency): one client shared by all sends scans its whole connection pool on every
    request, which cost a worker more CPU than the requests themselves.
    """

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.conf = settings.notify
        self.log = DemoLog(log_path(settings))
        self._smtp = asyncio.Semaphore(SMTP_AT_ONCE)
        self._idle: list[httpx.AsyncClient] = []
        self._made: list[httpx.AsyncClient] = []
        self._tls: ssl.SSLContext | None = None

    async def __aenter__(self) -> Channels:
        return self

    async def __aexit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        for client in self._made:
            await client.aclose()

    def _client(self) -> httpx.AsyncClient:
        """An idle client, or a new one (they share one TLS context: it is costly to load)."""
        if self._idle:
            return self._idle.pop()
        self._tls = self._tls or httpx.create_ssl_context()
        client = httpx.AsyncClient(
            timeout=self.conf.timeout_seconds,
            limits=httpx.Limits(max_connections=8, max_keepalive_connections=8),
            headers={"User-Agent": USER_AGENT},
            follow_redirects=False,
            verify=self._tls,
        )
        self._made.append(client)
        return client

    async def send(self, message: Outgoing) -> int | None:
        """Deliver one message; the HTTP status if it went over HTTP."""
        if message.channel == Channel.webhook:
            return await self._webhook(message)
        if message.channel == Channel.email:
            await self._email(message)
            return None
        gateway = self.conf.sms if message.channel == Channel.sms else self.conf.zalo
        return await self._gateway(gateway, message)

    async def _email(self, message: Outgoing) -> None:
        if not self.conf.smtp_host:
            self._to_log(message)
            return
        async with self._smtp:
            await asyncio.to_thread(send_email, self.conf, message)

    async def _gateway(self, gateway: GatewaySettings, message: Outgoing) -> int | None:
        if not gateway.url:
            self._to_log(message)
            return None
        body = {
            "to": message.recipient,
            "text": message.body,
            "idempotency_key": message.idempotency_key,
        }
        headers = {"Idempotency-Key": message.idempotency_key}
        if gateway.token:
            headers["Authorization"] = f"Bearer {gateway.token}"
        return await self._post(gateway.url, json.dumps(body, ensure_ascii=False), headers)

    async def _webhook(self, message: Outgoing) -> int:
        if not message.webhook_secret:
            raise DeliveryError("the agency has no webhook_secret in its contacts", permanent=True)
        body = json.dumps(message.payload, ensure_ascii=False, separators=(",", ":"))
        timestamp = int(time.time())
        headers = {
            "Idempotency-Key": message.idempotency_key,
            EVENT_HEADER: str((message.payload or {}).get("event", "")),
            TIMESTAMP_HEADER: str(timestamp),
            SIGNATURE_HEADER: sign(message.webhook_secret, timestamp, body.encode()),
        }
        return await self._post(message.recipient, body, headers)

    async def _post(self, url: str, body: str, headers: dict[str, str]) -> int:
        headers = {**headers, "Content-Type": "application/json; charset=utf-8"}
        client = self._client()
        try:
            response = await client.post(url, content=body.encode(), headers=headers)
        except httpx.HTTPError as error:
            raise DeliveryError(f"{type(error).__name__}: {error}") from error
        finally:
            self._idle.append(client)
        return _check_status(response)

    def _to_log(self, message: Outgoing) -> None:
        """Demo mode writes what it cannot send; elsewhere a missing channel is an error."""
        if not self.settings.demo:
            raise DeliveryError(f"no {message.channel} channel is configured")
        self.log.write(message)
