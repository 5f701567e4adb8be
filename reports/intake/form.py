"""Reading a submission's multipart body within limits, and the fingerprint of what it says.

Files are spooled: a part stays in memory up to ``SPOOL_BYTES`` and then moves to a temporary file
on disk, so that a submission waiting for its turn holds disk, not memory. Nothing reads a whole
upload into memory here; the media pipeline reads one file at a time when it decodes it.
"""

from __future__ import annotations

import hashlib
from collections.abc import AsyncGenerator
from dataclasses import dataclass, field
from typing import IO, Final

import anyio.to_thread
from starlette.datastructures import UploadFile
from starlette.formparsers import MultiPartException, MultiPartParser
from starlette.requests import Request

from ioc.errors import InvalidInput, PayloadTooLarge
from ioc.i18n import N_
from ioc.settings import IntakeSettings
from reports.media.source import sha256_of
from reports.media.store import MB

FILE_FIELDS = ("photos", "video")
MAX_FILE_PARTS = 12  # the parser's own ceiling; the real limits are checked with a clear message
MAX_TEXT_FIELDS = 30
MAX_TEXT_BYTES = 64 * 1024  # what one text part may hold in memory while the body is parsed
SPOOL_BYTES: Final = 256 * 1024
MAX_FILENAME = 200  # a file's name, as echoed in an error that names it
# The longest value, in characters, of each text field the intake reads.
TEXT_LIMITS: Final = {
    "category": 64,
    "description": 5000,
    "lat": 32,
    "lon": 32,
    "location_source": 16,
    "office": 64,
    "name": 200,
    "phone": 40,
    "email": 254,
    "private": 8,
}
TOO_LARGE = N_("The report is too large: at most %(megabytes)s MB can be sent at once.")
TOO_MANY_FILES = N_("At most %(photos)s photos and one video can be sent.")
TOO_LONG = N_("At most %(n)s characters.")
DESCRIPTION_TOO_LONG = N_("The description may have at most %(n)s characters.")
_PART_TOO_LARGE = "Part exceeded maximum size"  # starlette's message for max_part_size


@dataclass(frozen=True, slots=True)
class Upload:
    """A file part of the form, spooled (to disk past ``SPOOL_BYTES``), with its size and digest."""

    file: IO[bytes]
    size: int
    sha256: str
    filename: str = ""  # as the client named it: only echoed back to name a refused file


@dataclass
class IntakeForm:
    """The fields of a submission (first value of each) and its spooled files; close it after."""

    fields: dict[str, str] = field(default_factory=dict)
    photos: list[Upload] = field(default_factory=list)
    videos: list[Upload] = field(default_factory=list)

    def fingerprint(self) -> str:
        """SHA-256 of the fields and of each file's digest: equal for a byte-identical retry."""
        digest = hashlib.sha256()
        for name in sorted(self.fields):
            digest.update(f"{name}\0{self.fields[name]}\0".encode())
        for name, files in (("photos", self.photos), ("video", self.videos)):
            for upload in files:
                digest.update(f"{name}\0".encode() + bytes.fromhex(upload.sha256))
        return digest.hexdigest()

    def close(self) -> None:
        """Remove the spooled files."""
        for upload in (*self.photos, *self.videos):
            upload.file.close()


class _SpoolingParser(MultiPartParser):
    """Starlette's parser with file parts moved to disk early."""

    spool_max_size = SPOOL_BYTES

    def field_name(self) -> str:
        """The name of the part being parsed (starlette keeps it in a private attribute)."""
        return self._current_part.field_name


def too_long(name: str) -> InvalidInput:
    """The error for a text field over its limit, naming the field and the limit."""
    limit = TEXT_LIMITS.get(name, MAX_TEXT_BYTES)
    message = DESCRIPTION_TOO_LONG if name == "description" else TOO_LONG
    return InvalidInput(message, field=name, n=limit)


async def limited_body(request: Request, limit: int) -> AsyncGenerator[bytes, None]:
    """The body, refusing it as soon as it passes ``limit`` bytes (chunked bodies included)."""
    received = 0
    async for chunk in request.stream():
        received += len(chunk)
        if received > limit:
            raise PayloadTooLarge(TOO_LARGE, megabytes=limit // MB)
        yield chunk


def check_length(request: Request, limits: IntakeSettings) -> None:
    """Refuse a body whose declared length is over the limit before reading any of it."""
    declared = request.headers.get("content-length", "")
    if declared.isascii() and declared.isdigit() and int(declared) > limits.max_request_mb * MB:
        raise PayloadTooLarge(TOO_LARGE, megabytes=limits.max_request_mb)


def check_headers(request: Request, limits: IntakeSettings) -> None:
    """Refuse by the headers alone: a declared length over the limit, or not multipart."""
    check_length(request, limits)
    if not request.headers.get("content-type", "").startswith("multipart/form-data"):
        raise InvalidInput(N_("Send the report as multipart/form-data."))


async def read_form(request: Request, limits: IntakeSettings) -> IntakeForm:
    """Parse a multipart submission; the declared length is checked before a byte is read."""
    check_headers(request, limits)
    parser = _SpoolingParser(
        request.headers,
        limited_body(request, limits.max_request_mb * MB),
        max_files=MAX_FILE_PARTS,
        max_fields=MAX_TEXT_FIELDS,
        max_part_size=MAX_TEXT_BYTES,
    )
    try:
        data = await parser.parse()
    except MultiPartException as error:
        if "files" in error.message:
            raise _too_many(limits, "photos") from error
        if error.message.startswith(_PART_TOO_LARGE):
            raise too_long(parser.field_name()) from error
        raise InvalidInput(N_("The form could not be read.")) from error
    form = IntakeForm()
    try:
        for name, value in data.multi_items():
            if isinstance(value, UploadFile):
                await _add_file(form, name, value)
            elif name not in form.fields:
                form.fields[name] = value
        _check_counts(form, limits)
    except BaseException:
        await data.close()
        raise
    return form


async def _add_file(form: IntakeForm, name: str, upload: UploadFile) -> None:
    """Keep a file of a known field; an empty part (a file input left empty) is no file."""
    if not upload.size or name not in FILE_FIELDS:
        await upload.close()
        return
    digest = await anyio.to_thread.run_sync(sha256_of, upload.file)
    kept = Upload(upload.file, upload.size, digest, (upload.filename or "")[:MAX_FILENAME])
    (form.photos if name == "photos" else form.videos).append(kept)


def _check_counts(form: IntakeForm, limits: IntakeSettings) -> None:
    """At most ``max_photos`` photos and one video."""
    if len(form.photos) > limits.max_photos:
        raise _too_many(limits, "photos")
    if len(form.videos) > 1:
        raise _too_many(limits, "video")


def _too_many(limits: IntakeSettings, field_name: str) -> InvalidInput:
    """The error for too many files."""
    return InvalidInput(TOO_MANY_FILES, field=field_name, photos=limits.max_photos)
