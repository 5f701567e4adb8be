"""A report's video for the staff pages (agency and IOC).

The agency gets only the metadata-free public copy (``reports.media.remux``): the original's GPS
and device tags are none of its business, and before the copy exists it sees the poster frame. The
IOC gets the copy too, and keeps the original as evidence: it is served while no copy exists, and
on request (``original=True``) as a download.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session
from starlette.responses import FileResponse

from dashboard.agency import queries
from ioc.errors import NotFound
from ioc.settings import Settings
from reports.media.serving import CACHE, video_mime
from reports.media.store import MediaStore
from reports.models import ReportMedia


def video_response(
    db: Session,
    settings: Settings,
    report_id: int,
    media_id: int,
    *,
    original_allowed: bool = False,
    original: bool = False,
) -> FileResponse:
    """One of the report's videos: its public copy, or (IOC only) its original; else 404."""
    item = db.scalar(queries.video(report_id, media_id))
    if item is None:
        raise NotFound()
    use_original = original_allowed and (original or item.video_path is None)
    relative = item.original_path if use_original else item.video_path
    if relative is None:
        raise NotFound()
    try:
        path = MediaStore(settings.media_dir).path(relative)
    except ValueError:
        raise NotFound() from None
    if not path.is_file():
        raise NotFound()
    if not use_original:
        return FileResponse(path, media_type=video_mime(relative), headers={"Cache-Control": CACHE})
    headers = {"Cache-Control": "private, no-store"}
    name = f"original-{media_id}.{path.suffix.removeprefix('.')}" if original else None
    return FileResponse(path, media_type=item.mime, headers=headers, filename=name)


def copy_facts(item: ReportMedia) -> dict[str, Any]:
    """Whether a video's public copy exists, and the type the player will get."""
    copy = item.video_path
    return {"ready": copy is not None, "video_type": video_mime(copy) if copy else item.mime}
