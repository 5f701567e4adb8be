"""HTTP caching of what every page loads: static files, and validators for generated data.

Static files (``/static/...``) are revalidated on every use by default (``public, no-cache``
with a content-hash ``ETag``): a repeat visit costs one small 304 per file and never runs a
script older than the page after a deploy, whatever URL named it (a template, an ES module
``import``, a ``url()`` in a style sheet, a script loaded lazily). A URL built by
``static_url()`` carries ``?v=<content hash>``: when the hash is the file's current one, the
answer is ``immutable`` for a year, so that the pages that use it make no request at all on a
repeat visit; a stale ``v`` (a page older than a deploy) gets the revalidated answer.
"""

from __future__ import annotations

import hashlib
import os
from functools import lru_cache
from pathlib import Path

from starlette.datastructures import Headers
from starlette.requests import Request
from starlette.responses import FileResponse, Response
from starlette.staticfiles import NotModifiedResponse, PathLike, StaticFiles
from starlette.types import Scope

REVALIDATE = "public, no-cache"
IMMUTABLE = "public, max-age=31536000, immutable"
VERSION_CHARS = 12


@lru_cache(maxsize=1024)
def _digest(path: str, mtime_ns: int, size: int) -> str:
    """The SHA-256 of a file's content (cached while its modification time and size hold)."""
    with open(path, "rb") as handle:
        return hashlib.file_digest(handle, "sha256").hexdigest()


def file_digest(path: str | os.PathLike[str], stat: os.stat_result | None = None) -> str:
    """A file's content digest, read again only when the file has changed."""
    stat = stat or os.stat(path)
    return _digest(str(path), stat.st_mtime_ns, stat.st_size)


def etag_of(body: bytes) -> str:
    """A strong validator of a generated body."""
    return '"' + hashlib.sha256(body).hexdigest()[:32] + '"'


def matches(request: Request, etag: str) -> bool:
    """Whether If-None-Match names this ETag (weak comparison, as RFC 9110 asks for GET)."""
    header = request.headers.get("if-none-match", "")
    if header.strip() == "*":
        return True
    return etag.removeprefix("W/") in {tag.strip().removeprefix("W/") for tag in header.split(",")}


def validated(request: Request, body: bytes, media_type: str, cache_control: str) -> Response:
    """A generated answer with its ETag, or a bodiless 304 when the client holds it already."""
    etag = etag_of(body)
    headers = {"ETag": etag, "Cache-Control": cache_control}
    if matches(request, etag):
        return Response(status_code=304, headers=headers)
    return Response(body, media_type=media_type, headers=headers)


class CachedStaticFiles(StaticFiles):
    """Starlette's static files with a content-hash ETag and a Cache-Control (module doc)."""

    def file_response(
        self,
        full_path: PathLike,
        stat_result: os.stat_result,
        scope: Scope,
        status_code: int = 200,
    ) -> Response:
        """The file, or a 304, with validators that depend on its content alone."""
        digest = file_digest(full_path, stat_result)
        asked = Request(scope).query_params.get("v")
        headers = {
            "ETag": f'"{digest[:32]}"',
            "Cache-Control": IMMUTABLE if asked == digest[:VERSION_CHARS] else REVALIDATE,
        }
        response = FileResponse(
            full_path, status_code=status_code, stat_result=stat_result, headers=headers
        )
        if self.is_not_modified(response.headers, Headers(scope=scope)):
            return NotModifiedResponse(response.headers)
        return response


def static_url(static_dir: Path, path: str) -> str:
    """The URL of a file under ``static_dir``, versioned by its content (module doc)."""
    relative = path.removeprefix("/static/").lstrip("/")
    try:
        digest = file_digest(static_dir / relative)
    except OSError:  # a missing vendor file (assets not synced): the plain URL, then a 404
        return f"/static/{relative}"
    return f"/static/{relative}?v={digest[:VERSION_CHARS]}"
