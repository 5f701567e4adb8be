"""Weigh a page in Chromium: the bytes each response took on the wire (compressed, with headers).

Chromium's DevTools protocol reports ``encodedDataLength`` when a response has finished loading:
the bytes received for it, headers included, after content encoding (gzip), 0 for a response
served from the browser's cache. Playwright's request routing turns the HTTP cache off, so a
weighed context must not route: it records requests instead, and foreign hosts fail the check.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

from playwright.sync_api import BrowserContext, Page, ViewportSize

PHONE: ViewportSize = {"width": 360, "height": 740}
TILE = r"^/basemap/\d+/\d+/\d+\.mvt$"  # a base map tile: left out of a page's weight


@dataclass
class Weighing:
    """The responses of one visit: URL and bytes on the wire, in the order they finished."""

    own: str
    urls: dict[str, str] = field(default_factory=dict)
    sizes: dict[str, int] = field(default_factory=dict)
    foreign: list[str] = field(default_factory=list)

    def received(self, event: dict[str, Any]) -> None:
        """Remember which URL a request id answered."""
        url = event["response"]["url"]
        self.urls[event["requestId"]] = url
        if urlsplit(url).scheme in ("http", "https") and urlsplit(url).netloc != self.own:
            self.foreign.append(url)

    def finished(self, event: dict[str, Any]) -> None:
        """Remember the bytes a request took."""
        self.sizes[event["requestId"]] = int(event["encodedDataLength"])

    def responses(self, without: str = TILE) -> list[tuple[str, int]]:
        """Each finished response but those whose path matches the pattern ``without`` (by
        default the base map's tiles: its script, style, renderer and TileJSON are counted)."""
        found = [(self.urls.get(rid, "?"), size) for rid, size in self.sizes.items()]
        return [(url, size) for url, size in found if not re.search(without, urlsplit(url).path)]

    def total(self, without: str = TILE) -> int:
        """Bytes on the wire of every response but those whose path matches ``without``."""
        return sum(size for _, size in self.responses(without))


def weigh(context: BrowserContext, url: str, settle: str = "networkidle") -> Weighing:
    """Open ``url`` in a new page of ``context`` and weigh everything it loads until idle."""
    page: Page = context.new_page()
    weighing = Weighing(own=urlsplit(url).netloc)
    cdp = context.new_cdp_session(page)
    cdp.on("Network.responseReceived", weighing.received)
    cdp.on("Network.loadingFinished", weighing.finished)
    cdp.send("Network.enable")
    page.goto(url)
    page.wait_for_load_state(settle)  # type: ignore[arg-type]
    page.wait_for_timeout(300)  # late fetches (the ward outlines) start after load
    page.wait_for_load_state("networkidle")
    cdp.detach()
    page.close()
    return weighing


def report(weighing: Weighing) -> str:
    """The responses, heaviest first, for an assertion message or a benchmark's print-out."""
    rows = sorted(weighing.responses(), key=lambda row: -row[1])
    return "\n".join(f"{size:>8} {urlsplit(url).path}" for url, size in rows)
