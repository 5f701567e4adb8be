"""The database row of a stored photo or video."""

from __future__ import annotations

from reports.media.store import StoredPhoto, StoredVideo
from reports.models import ReportMedia

Stored = StoredPhoto | StoredVideo


def media_row(position: int, item: Stored, *, stage: str = "report") -> ReportMedia:
    """The row of a stored photo or video (the caller sets its report and event)."""
    photo = item if isinstance(item, StoredPhoto) else None
    return ReportMedia(
        position=position,
        stage=stage,
        kind=item.kind,
        mime=item.mime,
        sha256=item.sha256,
        original_path=item.original_path,
        display_path=item.display_path,
        thumbnail_path=item.thumbnail_path,
        width=item.width,
        height=item.height,
        duration_s=item.duration_s if isinstance(item, StoredVideo) else None,
        exif_lat=photo.gps[0] if photo and photo.gps else None,
        exif_lon=photo.gps[1] if photo and photo.gps else None,
        taken_at=photo.taken_at if photo else None,
    )
