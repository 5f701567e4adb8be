"""Reading a POST request: urlencoded (the spec) or multipart (with a ``media`` file), within
the intake's size limits; files are spooled to disk as the resident page's are."""

from __future__ import annotations

from dataclasses import dataclass, field

import anyio.to_thread
from starlette.datastructures import UploadFile
from starlette.formparsers import FormParser, MultiPartException, MultiPartParser
from starlette.requests import Request

from ioc.errors import InvalidInput
from ioc.i18n import N_
from ioc.settings import IntakeSettings
from reports.intake.form import Upload, check_length, limited_body
from reports.media.source import sha256_of
from reports.media.store import MB

MAX_FIELDS = 40
MAX_FIELD_BYTES = 64 * 1024
SPOOL_BYTES = 256 * 1024
UNREADABLE = N_("The form could not be read: send one media file at most.")
FORMS = ("application/x-www-form-urlencoded", "multipart/form-data")


@dataclass
class PostedForm:
    """The text fields (first value of each) and the ``media`` file, if any; close it after."""

    fields: dict[str, str] = field(default_factory=dict)
    media: Upload | None = None

    def close(self) -> None:
        """Remove the spooled file."""
        if self.media is not None:
            self.media.file.close()


class _Spooling(MultiPartParser):
    """Starlette's parser with file parts moved to disk early."""

    spool_max_size = SPOOL_BYTES


def _kind(request: Request, limits: IntakeSettings) -> str:
    """The form's content type; a declared length over the limit is refused before reading."""
    check_length(request, limits)
    kind = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if kind not in FORMS:
        raise InvalidInput(N_("Send the request as a form (urlencoded or multipart)."))
    return kind


async def read_post(request: Request, limits: IntakeSettings) -> PostedForm:
    """Parse the request's form; at most one file, named ``media``."""
    kind = _kind(request, limits)
    stream = limited_body(request, limits.max_request_mb * MB)
    try:
        if kind == FORMS[0]:
            parser: FormParser | MultiPartParser = FormParser(
                request.headers, stream, max_fields=MAX_FIELDS, max_part_size=MAX_FIELD_BYTES
            )
        else:
            parser = _Spooling(
                request.headers,
                stream,
                max_files=1,
                max_fields=MAX_FIELDS,
                max_part_size=MAX_FIELD_BYTES,
            )
        data = await parser.parse()
    except MultiPartException as error:
        raise InvalidInput(UNREADABLE) from error
    posted = PostedForm()
    try:
        for name, item in data.multi_items():
            if isinstance(item, UploadFile):
                await _keep(posted, name, item)
            elif name not in posted.fields:
                posted.fields[name] = item
    except BaseException:
        await data.close()
        raise
    return posted


async def _keep(posted: PostedForm, name: str, upload: UploadFile) -> None:
    """Keep the ``media`` file; an empty part or another file field is dropped."""
    if name != "media" or not upload.size:
        await upload.close()
        return
    digest = await anyio.to_thread.run_sync(sha256_of, upload.file)
    posted.media = Upload(upload.file, upload.size, digest)
