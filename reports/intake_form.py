"""Reading a submission's multipart body within limits, and the fingerprint of what it says."""

from __future__ import annotations

import hashlib
from collections.abc import AsyncGenerator
from dataclasses import dataclass, field

from starlette.datastructures import UploadFile
from starlette.formparsers import MultiPartException, MultiPartParser
from starlette.requests import Request

from ioc.errors import InvalidInput, PayloadTooLarge
from ioc.i18n import N_
from ioc.settings import IntakeSettings
from reports.media import MB

FILE_FIELDS = ("photos", "video")
MAX_FILE_PARTS = 12  # the parser's own ceiling; the real limits are checked with a clear message
MAX_TEXT_FIELDS = 30
MAX_TEXT_BYTES = 64 * 1024
TOO_LARGE = N_("The report is too large: at most %(megabytes)s MB can be sent at once.")
TOO_MANY_FILES = N_("At most %(photos)s photos and one video can be sent.")


@dataclass
class IntakeForm:
    """The fields of a submission (first value of each) and its files, read into memory."""

    fields: dict[str, str] = field(default_factory=dict)
    photos: list[bytes] = field(default_factory=list)
    videos: list[bytes] = field(default_factory=list)

    def fingerprint(self) -> str:
        """SHA-256 of the fields and of each file's digest: equal for a byte-identical retry."""
        digest = hashlib.sha256()
        for name in sorted(self.fields):
            digest.update(f"{name}\0{self.fields[name]}\0".encode())
        for name, files in (("photos", self.photos), ("video", self.videos)):
            for data in files:
                digest.update(f"{name}\0".encode() + hashlib.sha256(data).digest())
        return digest.hexdigest()


async def _limited(request: Request, limit: int) -> AsyncGenerator[bytes, None]:
    """The body, refusing it as soon as it passes ``limit`` bytes (chunked bodies included)."""
    received = 0
    async for chunk in request.stream():
        received += len(chunk)
        if received > limit:
            raise PayloadTooLarge(TOO_LARGE, megabytes=limit // MB)
        yield chunk


async def read_form(request: Request, limits: IntakeSettings) -> IntakeForm:
    """Parse a multipart submission; the declared length is checked before a byte is read."""
    limit = limits.max_request_mb * MB
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > limit:
        raise PayloadTooLarge(TOO_LARGE, megabytes=limits.max_request_mb)
    if not request.headers.get("content-type", "").startswith("multipart/form-data"):
        raise InvalidInput(N_("Send the report as multipart/form-data."))
    parser = MultiPartParser(
        request.headers,
        _limited(request, limit),
        max_files=MAX_FILE_PARTS,
        max_fields=MAX_TEXT_FIELDS,
        max_part_size=MAX_TEXT_BYTES,
    )
    try:
        data = await parser.parse()
    except MultiPartException as error:
        if "files" in error.message:
            raise _too_many(limits, "photos") from error
        raise InvalidInput(N_("The form could not be read.")) from error
    form = IntakeForm()
    try:
        for name, value in data.multi_items():
            if isinstance(value, UploadFile):
                await _add_file(form, name, value)
            elif name not in form.fields:
                form.fields[name] = value
    finally:
        await data.close()
    _check_counts(form, limits)
    return form


async def _add_file(form: IntakeForm, name: str, upload: UploadFile) -> None:
    """Keep a file of a known field; an empty part (a file input left empty) is no file."""
    content = await upload.read()
    if not content or name not in FILE_FIELDS:
        return
    (form.photos if name == "photos" else form.videos).append(content)


def _check_counts(form: IntakeForm, limits: IntakeSettings) -> None:
    """At most ``max_photos`` photos and one video."""
    if len(form.photos) > limits.max_photos:
        raise _too_many(limits, "photos")
    if len(form.videos) > 1:
        raise _too_many(limits, "video")


def _too_many(limits: IntakeSettings, field_name: str) -> InvalidInput:
    """The error for too many files."""
    return InvalidInput(TOO_MANY_FILES, field=field_name, photos=limits.max_photos)
