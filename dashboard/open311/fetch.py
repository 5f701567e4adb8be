"""Fetching a ``media_url``: only from hosts the administrator allowed, only http(s), within a
size and a time limit, following redirects only within the same host."""

from __future__ import annotations

import hashlib
import tempfile
import time
from urllib.parse import urljoin, urlsplit

import httpx2 as httpx

from ioc.errors import InvalidInput, PayloadTooLarge
from ioc.i18n import N_
from ioc.settings import Settings
from reports.intake.form import Upload
from reports.media.store import MB

MAX_REDIRECTS = 3
SPOOL_BYTES = 256 * 1024
NOT_FETCHED = N_("The media_url could not be fetched.")
FETCH_TOO_LARGE = N_("The file at media_url is larger than %(megabytes)s MB.")


def allowed(url: str, settings: Settings) -> bool:
    """Whether the server may fetch this URL: http(s) on a host the administrator allowed."""
    parts = urlsplit(url)
    hosts = {host.strip().lower() for host in settings.open311.media_hosts}
    return parts.scheme in ("http", "https") and (parts.hostname or "").lower() in hosts


def fetch(url: str, settings: Settings) -> Upload:
    """The file at an allowed URL, spooled; InvalidInput if it cannot be had within limits."""
    limit = max(settings.intake.photo_mb, settings.intake.video_mb) * MB
    deadline = time.monotonic() + settings.open311.media_fetch_seconds
    host = urlsplit(url).hostname
    timeout = httpx.Timeout(settings.open311.media_fetch_seconds)
    with httpx.Client(timeout=timeout, follow_redirects=False, trust_env=False) as client:
        for _ in range(MAX_REDIRECTS + 1):
            try:
                with client.stream("GET", url) as response:
                    if response.is_redirect:
                        url = urljoin(url, response.headers.get("location", ""))
                        if urlsplit(url).hostname != host or not allowed(url, settings):
                            break
                        continue
                    if response.status_code != 200:
                        break
                    return _spool(response, limit, deadline)
            except httpx.HTTPError:
                break
    raise InvalidInput(NOT_FETCHED, field="media_url")


def _spool(response: httpx.Response, limit: int, deadline: float) -> Upload:
    """The body into a spooled file, refused past ``limit`` bytes or past the deadline."""
    spooled = tempfile.SpooledTemporaryFile(max_size=SPOOL_BYTES)  # noqa: SIM115 - closed by its owner
    digest, size = hashlib.sha256(), 0
    try:
        for chunk in response.iter_bytes():
            size += len(chunk)
            if size > limit:
                raise PayloadTooLarge(FETCH_TOO_LARGE, field="media_url", megabytes=limit // MB)
            if time.monotonic() > deadline:
                raise InvalidInput(NOT_FETCHED, field="media_url")
            digest.update(chunk)
            spooled.write(chunk)
    except BaseException:
        spooled.close()
        raise
    if size == 0:
        spooled.close()
        raise InvalidInput(NOT_FETCHED, field="media_url")
    spooled.seek(0)
    return Upload(spooled, size, digest.hexdigest())
