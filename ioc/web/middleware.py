"""Pure ASGI middleware: locale negotiation, request logs, security headers, NUL bytes refused,
and a problem answer for any exception the app lets through."""

from __future__ import annotations

import secrets
import time
from collections.abc import Callable
from http.cookies import SimpleCookie
from urllib.parse import parse_qs

import structlog
from starlette.datastructures import MutableHeaders
from starlette.requests import Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from ioc import i18n
from ioc.logs import get_logger
from ioc.web import nulbytes, problems

LANG_COOKIE = "ioc_lang"
PAGE_CACHE = "private, no-cache"
log = get_logger("ioc.request")


def _header(scope: Scope, name: bytes) -> str | None:
    for key, value in scope.get("headers", []):
        if key == name:
            decoded: str = value.decode("latin-1")
            return decoded
    return None


def choose_locale(scope: Scope) -> str:
    """``?lang=``, then the language cookie, then Accept-Language, then Vietnamese."""
    raw: bytes = scope.get("query_string", b"")
    asked = parse_qs(raw.decode("latin-1")).get("lang", [""])[0]
    if asked in i18n.LOCALES:
        return asked
    cookie = _header(scope, b"cookie")
    if cookie:
        jar: SimpleCookie = SimpleCookie()
        try:
            jar.load(cookie)
        except Exception:
            jar = SimpleCookie()
        if LANG_COOKIE in jar and jar[LANG_COOKIE].value in i18n.LOCALES:
            return jar[LANG_COOKIE].value
    return i18n.negotiate(_header(scope, b"accept-language")) or i18n.DEFAULT_LOCALE


def new_nonce() -> str:
    """A fresh CSP nonce: 128 random bits, URL-safe (no quoting needed in a header or attribute)."""
    return secrets.token_urlsafe(16)


class RequestContext:
    """Sets the locale, logs each request as one structured line, adds security headers,
    refuses NUL bytes in any parameter or text field, and answers unexpected errors itself.

    Each request gets its own CSP nonce (``request.state.csp_nonce``): pages put it on their
    scripts, so an injected ``<script>`` or ``onerror=`` handler has no nonce and does not run.
    Catching errors here rather than leaving them to Starlette's ServerErrorMiddleware matters:
    that one re-raises after answering, and the server then closes the keep-alive connection.
    """

    def __init__(self, app: ASGIApp, csp: Callable[[str], str]) -> None:
        self.app = app
        self.csp = csp

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        i18n.set_locale(choose_locale(scope))
        request_id = _header(scope, b"x-request-id") or secrets.token_hex(8)
        structlog.contextvars.bind_contextvars(request_id=request_id)
        started = time.perf_counter()
        status = 500
        nonce = new_nonce()
        scope.setdefault("state", {})["csp_nonce"] = nonce
        status_sent = False

        async def send_wrapper(message: Message) -> None:
            nonlocal status, status_sent
            if message["type"] == "http.response.start":
                status, status_sent = message["status"], True
                headers = MutableHeaders(scope=message)
                headers.setdefault("X-Request-ID", request_id)
                headers.setdefault("X-Content-Type-Options", "nosniff")
                headers.setdefault("Referrer-Policy", "same-origin")
                headers.setdefault("X-Frame-Options", "DENY")
                headers.setdefault("Content-Security-Policy", self.csp(nonce))
                headers.setdefault("Content-Language", i18n.get_locale())
                if headers.get("content-type", "").startswith("text/html"):
                    # A page carries this response's CSP nonce (and often a CSRF token): never
                    # kept by a shared cache, and fetched again rather than reused by the browser.
                    headers.setdefault("Cache-Control", PAGE_CACHE)
            await send(message)

        try:
            if field := nulbytes.nul_in_url(scope):
                request = Request(scope)
                await problems.handle_domain_error(request, nulbytes.nul_refused(field))(
                    scope, receive, send_wrapper
                )
            else:
                await self.app(scope, nulbytes.scanning(scope, receive), send_wrapper)
        except Exception as exc:
            if status_sent:
                raise  # half an answer is out: only closing the connection tells the client
            await problems.handle_unexpected(Request(scope), exc)(scope, receive, send_wrapper)
        finally:
            log.info(
                "request",
                method=scope["method"],
                path=scope["path"],
                status=status,
                ms=round((time.perf_counter() - started) * 1000, 1),
                client=(scope.get("client") or ("-",))[0],
            )
            structlog.contextvars.unbind_contextvars("request_id")
