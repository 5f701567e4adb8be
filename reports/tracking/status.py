"""What a reader may see of a report: the public status, the owner's view, the duplicate hint.

DOMAIN.md: nothing of a report is public before the IOC verifies it. With the tracking code alone
(codes are sequential, anyone can guess one), a report that waits for verification shows only that
it exists and waits; a rejected or duplicate one only that outcome. Its category, ward, agency,
times, description, place and photos are shown through the private status link (its token) and to
IOC staff; once verified (assigned and later), to everyone. No view ever carries the reporter's
name, phone or email.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from babel.dates import format_timedelta
from sqlalchemy.orm import Session

from ioc.auth.models import User
from ioc.db import utcnow
from ioc.i18n import N_, get_locale, gettext
from reports import queries
from reports.lifecycle.labels import ACTION_LABELS
from reports.lifecycle.rules import PUBLIC_ACTIONS
from reports.media.serving import video_mime
from reports.models import PUBLIC_STATES, STATE_LABELS, Report, ReportMedia, ReportState
from reports.schemas import (
    CreatedLinks,
    NearbyReport,
    PhotoOut,
    Ref,
    ReportCreated,
    ReportStatus,
    ResultOut,
    TimelineEntry,
)
from reports.tracking.codes import follow_handle, visibility
from routing.service import Assignment, reason_text

DISTANCE_STEP_M = 50  # the duplicate hint's distances to unverified reports are rounded to this
WITHIN_THE_HOUR = N_("within the last hour")


def media_url(base: str, relative: str) -> str:
    """The URL of a public derivative: ``public/display/…`` is served at ``/media/display/…``."""
    return f"{base}/media/{relative.removeprefix('public/')}"


def status_page(base: str, code: str, token: str | None = None) -> str:
    """The status page of a report, with its private token when given."""
    return f"{base}/r/{code}" + (f"?t={token}" if token else "")


def label(state: ReportState) -> str:
    """A state's label in the reader's language."""
    return gettext(STATE_LABELS[state])


def _ref(code: str | None, name: str | None) -> Ref | None:
    return Ref(code=code, name=name) if code and name else None


def _photos(base: str, media: list[ReportMedia], token: str | None = None) -> list[PhotoOut]:
    return [
        PhotoOut(
            kind=item.kind,
            display_url=media_url(base, item.display_path),
            thumbnail_url=media_url(base, item.thumbnail_path),
            width=item.width,
            height=item.height,
            duration_s=item.duration_s,
            video_url=_video_url(base, item.video_path, token),
            video_type=video_mime(item.video_path) if item.video_path else None,
        )
        for item in media
    ]


def _video_url(base: str, relative: str | None, token: str | None) -> str | None:
    """A video's public copy; with the private token, so that it plays before verification."""
    if relative is None:
        return None
    return media_url(base, relative) + (f"?t={token}" if token else "")


def report_status(
    db: Session, report: Report, token: str | None, base: str, user: User | None = None
) -> ReportStatus:
    """The status of a report as this reader may see it; a wrong token is refused."""
    seen = visibility(db, report, token, user)
    status = ReportStatus(
        tracking_code=report.tracking_code,
        status=report.state.value,
        status_label=label(report.state),
        visibility=seen,
    )
    if seen == "limited":
        return status
    owner = token if seen == "owner" else None
    row: Any = db.execute(queries.refs(report)).one()
    lat, lon = db.execute(queries.location(report.id)).one()
    return status.model_copy(
        update={
            "category": Ref(code=row.category_code, name=_category_name(row)),
            "ward": _ref(row.ward_code, row.ward_name),
            "agency": _ref(row.agency_code, row.agency_name),
            "created_at": report.created_at,
            "verify_by": report.verify_by,
            "resolve_by": report.resolve_by,
            "routing_reason": reason_text(report.routing_reason, report.routing_reason_params),
            "description": report.description,
            "location": {"lat": lat, "lon": lon},
            "photos": _photos(base, [m for m in report.media if m.stage == "report"], owner),
            "timeline": _timeline(db, report),
            "result": _result(base, report),
        }
    )


def _result(base: str, report: Report) -> ResultOut | None:
    """The published answer with the after-photos of the result that was published."""
    if report.published_at is None or report.result_text is None:
        return None
    photos = [m for m in report.media if m.stage == "result"]
    if photos:  # a result sent back and reported again: the latest result's photos
        latest = max(m.event_id or 0 for m in photos)
        photos = [m for m in photos if (m.event_id or 0) == latest]
    return ResultOut(
        text=report.result_text, published_at=report.published_at, photos=_photos(base, photos)
    )


def _category_name(row: Any) -> str:
    return str(row.name_en if get_locale() == "en" else row.name_vi)


def _timeline(db: Session, report: Report) -> list[TimelineEntry]:
    """The public steps: never staff notes, extensions, returns or internal corrections."""
    return [
        TimelineEntry(
            at=event.at,
            status=event.to_state.value,
            status_label=label(event.to_state),
            action=event.action,
            action_label=gettext(ACTION_LABELS[event.action]),
            reason=event.payload.get("reason") if event.action == "reject" else None,
            original=event.payload.get("of") if event.action == "mark_duplicate" else None,
        )
        for event in db.scalars(queries.timeline(report.id))
        if event.action in PUBLIC_ACTIONS
    ]


def nearby_item(
    base: str,
    secret: str,
    category: Ref,
    found: tuple[Report, float, str | None],
) -> NearbyReport:
    """One open report near the place; an unverified one as DOMAIN.md's duplicate hint allows."""
    report, distance, thumbnail = found
    age = utcnow() - report.created_at
    item = NearbyReport(
        verified=report.state in PUBLIC_STATES,
        category=category,
        distance_m=DISTANCE_STEP_M * round(distance / DISTANCE_STEP_M),
        age_hours=age // timedelta(hours=1),
        age_label=age_label(age // timedelta(hours=1)),
        follow_url=f"{base}/api/v1/reports/nearby/{follow_handle(secret, report.id)}/follow",
    )
    if not item.verified:
        return item
    return item.model_copy(
        update={
            "tracking_code": report.tracking_code,
            "status": report.state.value,
            "status_label": label(report.state),
            "distance_m": round(distance),
            "created_at": report.created_at,
            "description": report.description[:200],
            "thumbnail_url": media_url(base, thumbnail) if thumbnail else None,
            "status_page": status_page(base, report.tracking_code),
            "public_page": f"{base}/public/reports/{report.tracking_code}",
        }
    )


def age_label(hours: int) -> str:
    """An age in whole hours in words, in humane units ("5 giờ trước", "2 ngày trước")."""
    if hours < 1:
        return gettext(WITHIN_THE_HOUR)
    return format_timedelta(
        timedelta(hours=-hours), threshold=1, add_direction=True, locale=get_locale()
    )


def _routed_refs(db: Session, report: Report, routed: Assignment | None) -> tuple[Ref | None, ...]:
    """The suggested agency and the ward: from the assignment just made, else from the rows."""
    if routed is not None:
        agency, ward = routed.agency, routed.jurisdiction
        return (
            Ref(code=agency.code, name=agency.name) if agency else None,
            Ref(code=ward.code, name=ward.name) if ward else None,
        )
    row: Any = db.execute(queries.refs(report)).one()
    return _ref(row.agency_code, row.agency_name), _ref(row.ward_code, row.ward_name)


def created_response(
    db: Session, report: Report, token: str, base: str, routed: Assignment | None = None
) -> ReportCreated:
    """The 201 body of a submission (and of its retries)."""
    agency, ward = _routed_refs(db, report, routed)
    code = report.tracking_code
    api = f"{base}/api/v1/reports/{code}"
    return ReportCreated(
        id=report.id,
        tracking_code=code,
        status=report.state.value,
        agency=agency,
        ward=ward,
        outside_coverage=report.outside_coverage,
        links=CreatedLinks(
            status_page=status_page(base, code),
            api=api,
            private_status_page=status_page(base, code, token),
            private_api=f"{api}?token={token}",
        ),
    )
