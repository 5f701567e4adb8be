"""Pure ASGI middleware: locale negotiation, request logs, security headers, NUL bytes refused,
and a problem answer for any exception the app lets through."""

from __future__ import annotations

import json
import secrets
import time
from collections.abc import Callable
from http.cookies import SimpleCookie
from typing import Any, Protocol
from urllib.parse import parse_qs, parse_qsl, unquote_plus

import structlog
from python_multipart.multipart import MultipartParser, QuerystringParser, parse_options_header
from starlette.datastructures import MutableHeaders
from starlette.requests import Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from ioc import i18n, problems
from ioc.errors import InvalidInput
from ioc.i18n import N_
from ioc.logs import get_logger

LANG_COOKIE = "ioc_lang"
NUL = "\x00"
NUL_REFUSED = N_("The field %(name)s contains a character that is not allowed (a NUL byte).")
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


def nul_refused(field: str) -> InvalidInput:
    """The 422 for a NUL byte: PostgreSQL text cannot hold one, so no route may receive it."""
    shown = field.replace(NUL, "\\0")
    return InvalidInput(NUL_REFUSED, field=shown, name=shown)


class BodyScanner(Protocol):
    """Fed a body chunk by chunk; names the first text field that carries a NUL byte."""

    def feed(self, chunk: bytes) -> str | None: ...
    def close(self) -> str | None: ...


class _MultipartScanner:
    """Text parts of a multipart body, streamed; file parts are bytes and are passed over."""

    def __init__(self, boundary: bytes) -> None:
        self.found: str | None = None
        self._broken = False  # malformed bodies are left to the app's own parser to refuse
        self._header = [b"", b""]
        self._disposition = b""
        self._name = ""
        self._is_file = False
        self._parser = MultipartParser(
            boundary,
            callbacks={
                "on_part_begin": self._begin,
                "on_header_field": lambda data, start, end: self._add(0, data[start:end]),
                "on_header_value": lambda data, start, end: self._add(1, data[start:end]),
                "on_header_end": self._header_end,
                "on_headers_finished": self._headers_finished,
                "on_part_data": self._data,
            },
        )

    def _begin(self) -> None:
        self._disposition, self._header = b"", [b"", b""]

    def _add(self, index: int, data: bytes) -> None:
        self._header[index] += data

    def _header_end(self) -> None:
        if self._header[0].lower() == b"content-disposition":
            self._disposition = self._header[1]
        self._header = [b"", b""]

    def _headers_finished(self) -> None:
        _, options = parse_options_header(self._disposition)
        self._name = options.get(b"name", b"").decode("utf-8", "replace")
        self._is_file = b"filename" in options
        if NUL in self._name and self.found is None:
            self.found = self._name

    def _data(self, data: bytes, start: int, end: int) -> None:
        if not self._is_file and self.found is None and data.find(b"\0", start, end) >= 0:
            self.found = self._name

    def feed(self, chunk: bytes) -> str | None:
        if self.found is None and not self._broken:
            try:
                self._parser.write(chunk)
            except Exception:
                self._broken = True
        return self.found

    def close(self) -> str | None:
        return self.found


class _UrlEncodedScanner:
    """An urlencoded form, streamed field by field (percent-escapes decoded as the app will)."""

    def __init__(self) -> None:
        self.found: str | None = None
        self._name = bytearray()
        self._value = bytearray()
        self._parser = QuerystringParser(
            callbacks={
                "on_field_name": lambda data, start, end: self._name.extend(data[start:end]),
                "on_field_data": lambda data, start, end: self._value.extend(data[start:end]),
                "on_field_end": self._end,
            }
        )

    def _end(self) -> None:
        name = unquote_plus(self._name.decode("latin-1"))
        value = unquote_plus(self._value.decode("latin-1"))
        if self.found is None and (NUL in name or NUL in value):
            self.found = name
        self._name.clear()
        self._value.clear()

    def feed(self, chunk: bytes) -> str | None:
        if self.found is None:
            self._parser.write(chunk)
        return self.found

    def close(self) -> str | None:
        self._parser.finalize()
        return self.found


class _JsonScanner:
    """A JSON body, read whole (as the app reads it) and searched for a string with a NUL."""

    def __init__(self) -> None:
        self._body = bytearray()

    def feed(self, chunk: bytes) -> str | None:
        self._body.extend(chunk)
        return None

    def close(self) -> str | None:
        try:
            document = json.loads(self._body)
        except (ValueError, RecursionError):
            return None  # the app answers invalid JSON itself
        return _nul_in_json(document)


def _nul_in_json(document: Any) -> str | None:
    """The dotted path of the first key or string holding a NUL (iterative: depth is no risk)."""
    pending: list[tuple[str, Any]] = [("", document)]
    while pending:
        path, value = pending.pop()
        if isinstance(value, str) and NUL in value:
            return path or "body"
        if isinstance(value, dict | list):
            children = value.items() if isinstance(value, dict) else enumerate(value)
            for key, child in children:
                child_path = f"{path}.{key}" if path else str(key)
                if NUL in str(key):
                    return child_path
                pending.append((child_path, child))
    return None


def body_scanner(content_type: str) -> BodyScanner | None:
    """A scanner for the bodies that carry text fields; None for the others (raw files)."""
    mime, options = parse_options_header(content_type)
    if mime == b"multipart/form-data" and options.get(b"boundary"):
        return _MultipartScanner(options[b"boundary"])
    if mime == b"application/x-www-form-urlencoded":
        return _UrlEncodedScanner()
    if mime == b"application/json" or mime.endswith(b"+json"):
        return _JsonScanner()
    return None


def _nul_in_url(scope: Scope) -> str | None:
    """The query parameter (or the path) that carries a NUL byte, which PostgreSQL cannot store."""
    if NUL in scope.get("path", ""):
        return "path"
    raw: bytes = scope.get("query_string", b"")
    for name, value in parse_qsl(raw.decode("latin-1"), keep_blank_values=True):
        if NUL in name or NUL in value:
            return name
    return None


def _scanning(scope: Scope, receive: Receive) -> Receive:
    """``receive`` that refuses a body whose text fields carry a NUL byte, as it streams in."""
    scanner = body_scanner(_header(scope, b"content-type") or "")
    if scanner is None:
        return receive

    async def scanned() -> Message:
        message = await receive()
        if message["type"] == "http.request":
            field = scanner.feed(message.get("body", b""))
            if field is None and not message.get("more_body", False):
                field = scanner.close()
            if field is not None:
                raise problems.RefusedInput(nul_refused(field))
        return message

    return scanned


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
            await send(message)

        try:
            if field := _nul_in_url(scope):
                request = Request(scope)
                await problems.handle_domain_error(request, nul_refused(field))(
                    scope, receive, send_wrapper
                )
            else:
                await self.app(scope, _scanning(scope, receive), send_wrapper)
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
