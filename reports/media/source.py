"""Where an upload's bytes are: in memory, in a file, or in a spooled upload (a file object).

The intake keeps uploads spooled to disk (``starlette`` rolls a part over to a temporary file past
a threshold) and hands the media pipeline the file object, so that an upload is read into memory
only by the step that decodes it, one file at a time, inside the intake's concurrency limit.
"""

from __future__ import annotations

import hashlib
import io
import os
from pathlib import Path
from typing import IO

Source = bytes | Path | IO[bytes]
SNIFF_BYTES = 256


def size_of(source: Source) -> int:
    """The size of an upload in bytes, without reading it."""
    if isinstance(source, bytes):
        return len(source)
    if isinstance(source, Path):
        return source.stat().st_size
    return source.seek(0, os.SEEK_END)


def head_of(source: Source, size: int = SNIFF_BYTES) -> bytes:
    """The first bytes of an upload, enough to sniff it."""
    if isinstance(source, bytes):
        return source[:size]
    if isinstance(source, Path):
        with source.open("rb") as stream:
            return stream.read(size)
    source.seek(0)
    return source.read(size)


def read_all(source: Source) -> bytes:
    """All of an upload (callers check its size first)."""
    if isinstance(source, bytes):
        return source
    if isinstance(source, Path):
        return source.read_bytes()
    source.seek(0)
    return source.read()


def readable(source: Source) -> str | IO[bytes]:
    """What a reader such as ``av.open`` takes: a file name or a file object at its start."""
    if isinstance(source, bytes):
        return io.BytesIO(source)
    if isinstance(source, Path):
        return str(source)
    source.seek(0)
    return source


def read_at(source: Source, offset: int, size: int) -> bytes:
    """``size`` bytes from ``offset`` (fewer at the end of the upload)."""
    if isinstance(source, bytes):
        return source[offset : offset + size]
    if isinstance(source, Path):
        with source.open("rb") as stream:
            stream.seek(offset)
            return stream.read(size)
    source.seek(offset)
    return source.read(size)


def sha256_of(stream: IO[bytes]) -> str:
    """The SHA-256 of a file object from its start, read a megabyte at a time."""
    stream.seek(0)
    digest = hashlib.sha256()
    while chunk := stream.read(1024 * 1024):
        digest.update(chunk)
    return digest.hexdigest()
