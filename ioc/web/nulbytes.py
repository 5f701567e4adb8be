"""NUL bytes refused at the door: PostgreSQL text cannot hold one, so no route may receive it.

The path, every query parameter, and every text field of a JSON, urlencoded or multipart body are
checked (bodies as they stream in; file parts are bytes and are passed over). The answer is a 422
naming the field.
"""

from __future__ import annotations

import json
from typing import Any, Protocol
from urllib.parse import parse_qsl, unquote_plus

from python_multipart.multipart import MultipartParser, QuerystringParser, parse_options_header
from starlette.types import Message, Receive, Scope

from ioc.errors import InvalidInput
from ioc.i18n import N_
from ioc.web import problems

NUL = "\x00"
NUL_REFUSED = N_("The field %(name)s contains a character that is not allowed (a NUL byte).")


def content_type(scope: Scope) -> str:
    """The request's Content-Type header, or an empty string."""
    for key, value in scope.get("headers", []):
        if key == b"content-type":
            decoded: str = value.decode("latin-1")
            return decoded
    return ""


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


def nul_in_url(scope: Scope) -> str | None:
    """The query parameter (or the path) that carries a NUL byte, which PostgreSQL cannot store."""
    if NUL in scope.get("path", ""):
        return "path"
    raw: bytes = scope.get("query_string", b"")
    for name, value in parse_qsl(raw.decode("latin-1"), keep_blank_values=True):
        if NUL in name or NUL in value:
            return name
    return None


def scanning(scope: Scope, receive: Receive) -> Receive:
    """``receive`` that refuses a body whose text fields carry a NUL byte, as it streams in."""
    scanner = body_scanner(content_type(scope))
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
