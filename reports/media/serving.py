"""Serving a video's public copy: to everyone once the report is verified, before that only
through the report's private link (its token) or to IOC staff, as its status page shows it.

The file is sent by Starlette's ``FileResponse``, which answers ``Range`` requests (206 with
``Content-Range``, 416 past the end, ``If-Range`` against the validators) so that ``<video>`` can
seek. Names are the SHA-256 of the content, so the name is a strong ``ETag`` that never changes
(the file's time does: the store refreshes it), and a revalidation costs a 304.
"""

from __future__ import annotations

from pathlib import Path
from typing import Final

from sqlalchemy import Select, select
from sqlalchemy.orm import Session
from starlette.responses import FileResponse, Response

from ioc.auth.models import User
from ioc.errors import Forbidden, NotFound
from reports.media.remux import MIME_OF_EXTENSION
from reports.models import Report, ReportMedia
from reports.tracking.codes import visibility

CACHE: Final = "private, max-age=86400"


def video_mime(relative: str) -> str:
    """The MIME type of a public copy, from its extension."""
    return MIME_OF_EXTENSION.get(relative.rsplit(".", 1)[-1], "application/octet-stream")


def video_report(relative: str) -> Select[Report]:
    """The report whose video has this public copy."""
    return (
        select(Report)
        .join(ReportMedia, ReportMedia.report_id == Report.id)
        .where(ReportMedia.video_path == relative)
        .limit(1)
    )


def may_watch(db: Session, relative: str, token: str | None, user: User | None) -> bool:
    """Whether this reader may see the report that the copy belongs to (a wrong token: no)."""
    report = db.scalar(video_report(relative))
    if report is None:
        return False
    try:
        return visibility(db, report, token, user) != "limited"
    except Forbidden:
        return False


def video_response(path: Path, if_none_match: str | None) -> Response:
    """The copy with ranges and a strong ETag; a 304 when the reader has it already."""
    etag = f'"{path.stem}"'
    headers = {"Cache-Control": CACHE, "ETag": etag}
    if if_none_match is not None and etag in {tag.strip() for tag in if_none_match.split(",")}:
        return Response(status_code=304, headers=headers)
    if not path.is_file():
        raise NotFound()
    return FileResponse(path, media_type=video_mime(path.name), headers=headers)
