"""A report's video for the staff pages (agency and IOC): videos are never public."""

from __future__ import annotations

from sqlalchemy.orm import Session
from starlette.responses import FileResponse

from dashboard.agency import queries
from ioc.errors import NotFound
from ioc.settings import Settings
from reports.media.store import MediaStore


def video_response(db: Session, settings: Settings, report_id: int, media_id: int) -> FileResponse:
    """The original video file of one of the report's media; 404 for anything else."""
    item = db.scalar(queries.video(report_id, media_id))
    if item is None:
        raise NotFound()
    try:
        path = MediaStore(settings.media_dir).path(item.original_path)
    except ValueError:
        raise NotFound() from None
    if not path.is_file():
        raise NotFound()
    headers = {"Cache-Control": "private, max-age=3600"}
    return FileResponse(path, media_type=item.mime, headers=headers)
