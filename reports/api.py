"""The reports API: submit, status, the duplicate hint, follow, the place lookup, media files."""

from __future__ import annotations

from typing import Annotated, Any

import anyio
import anyio.to_thread
from fastapi import APIRouter, Body, Request
from sqlalchemy.orm import Session
from starlette.responses import FileResponse, JSONResponse, Response

from ioc.db import utcnow
from ioc.errors import Forbidden, InvalidInput, NotFound
from ioc.i18n import N_, get_locale, gettext
from ioc.settings import Settings
from ioc.web import OptionalUser, SessionDep, SettingsDep, WriteSessionDep, client_address
from reports import queries
from reports.deps import base_url, limiter, load_report
from reports.intake import filing, service
from reports.intake.form import IntakeForm, check_headers, read_form
from reports.intake.submission import MAX_DESCRIPTION, parse_submission
from reports.lifecycle import api as lifecycle_api
from reports.lifecycle.schemas import StaffView
from reports.media import serving
from reports.media.store import MediaStore
from reports.models import PUBLIC_STATES
from reports.notify import resend
from reports.notify import service as notify
from reports.schemas import (
    CategoryRef,
    FollowIn,
    FollowOut,
    NearbyOut,
    PlaceOut,
    Ref,
    ReportCreated,
    ReportStatus,
    ResendIn,
    ResendOut,
)
from reports.tracking import codes as tracking
from reports.tracking import status
from reports.tracking.codes import BAD_TOKEN
from routing.basemap.service import street_near
from routing.service import ward_at

router = APIRouter()
MEDIA_AREAS = ("display", "thumbnails")
SUBMIT_DOC: dict[str, Any] = {
    "requestBody": {
        "required": True,
        "content": {
            "multipart/form-data": {
                "schema": {
                    "type": "object",
                    "required": ["category"],
                    "properties": {
                        "category": {"type": "string"},
                        "description": {"type": "string", "maxLength": MAX_DESCRIPTION},
                        "lat": {"type": "number", "description": "optional with EXIF GPS"},
                        "lon": {"type": "number", "description": "optional with EXIF GPS"},
                        "location_source": {"enum": ["exif", "device", "map", "given"]},
                        "office": {"type": "string", "description": "agency code (offices)"},
                        "photos": {
                            "type": "array",
                            "items": {"type": "string", "format": "binary"},
                        },
                        "video": {"type": "string", "format": "binary"},
                        "name": {"type": "string"},
                        "phone": {"type": "string"},
                        "email": {"type": "string"},
                        "private": {"type": "boolean", "default": True},
                    },
                }
            }
        },
    },
    "parameters": [{"name": "Idempotency-Key", "in": "header", "schema": {"type": "string"}}],
}


def _file(
    db: Session, settings: Settings, form: IntakeForm, key: str | None, address: str, base: str
) -> ReportCreated:
    """Check, store and commit a submission (in a worker thread: media work is CPU-bound).

    Three steps, so that no pooled connection idles in a transaction while photos are decoded:
    a short read (the replay of a retry, the rate limit), the media decoded with no transaction
    open, then one transaction that checks the rest, writes the files and inserts the rows.
    """
    sub = parse_submission(form, key)
    earlier = service.precheck(db, settings, sub, address)
    if earlier is not None:
        return status.created_response(db, earlier.report, earlier.token, base, None)
    db.commit()  # read-only so far: ends the transaction and gives the connection back
    prepared = service.prepare_media(sub, service.media_limits(settings.intake))
    intake = filing.store_and_commit(db, settings, sub, address, prepared, base)
    return status.created_response(db, intake.report, intake.token, base, intake.routed)


@router.post(
    "/api/v1/reports", status_code=201, response_model=ReportCreated, openapi_extra=SUBMIT_DOC
)
async def submit_report(request: Request, db: SessionDep, settings: SettingsDep) -> Response:
    """File a report (multipart); a retry with the same Idempotency-Key gets the same answer."""
    limits = settings.intake
    check_headers(request, limits)  # what the headers alone refuse needs no turn
    async with limiter(request, "intake_in_flight", limits.in_flight):
        form = await read_form(request, limits)  # spooled: files past 256 KB go to disk
        try:
            created = await anyio.to_thread.run_sync(
                _file,
                db,
                settings,
                form,
                request.headers.get("idempotency-key"),
                client_address(request),
                base_url(request),
                limiter=limiter(request, "intake_limiter", limits.concurrency),
            )
        finally:
            form.close()
    return JSONResponse(created.model_dump(mode="json"), status_code=201)


@router.get("/api/v1/reports/nearby", response_model=NearbyOut)
def nearby_reports(
    request: Request, db: SessionDep, settings: SettingsDep, lat: float, lon: float, category: str
) -> NearbyOut:
    """Open reports of the same category near a place, for the duplicate hint."""
    ward_at(db, lat, lon, settings.routing.nearest_ward_metres)  # checks the coordinates
    found = db.scalar(queries.active_category(category))
    if found is None:
        raise InvalidInput(N_("Unknown category."), field="category")
    radius = settings.intake.nearby_metres
    rows = db.execute(queries.nearby(lat, lon, found.id, radius)).all()
    base, secret = base_url(request), settings.secret_key
    what = CategoryRef(code=found.code, name=found.name(get_locale()), icon=found.icon)
    items = [status.nearby_item(base, secret, what, (row[0], row[1], row[2])) for row in rows]
    return NearbyOut(radius_m=radius, items=items)


@router.get("/api/v1/reports/place", response_model=PlaceOut)
def place(db: SessionDep, settings: SettingsDep, lat: float, lon: float) -> PlaceOut:
    """The ward at a place (or the nearest one, on a shore), the offices one may name there (all
    the city's, outside coverage), and the nearest named street ("Near <street>, <ward>").
    """
    ward = ward_at(db, lat, lon, settings.routing.nearest_ward_metres)
    if ward:
        offices = db.execute(queries.offices_near(ward.id)).all()
    else:  # outside coverage: any office of the city may be named
        offices = db.execute(queries.city_offices(), {"lat": lat, "lon": lon}).all()
    street = street_near(db, lat, lon) if ward else None
    ward_name = ward.name if ward else ""
    near = gettext("Near %(street)s, %(ward)s", street=street, ward=ward_name) if street else None
    return PlaceOut(
        lat=lat,
        lon=lon,
        ward=Ref(code=ward.code, name=ward.name) if ward else None,
        outside_coverage=ward is None,
        offices=[Ref(code=code, name=name) for code, name in offices],
        street=street,
        address=near,
    )


@router.get("/api/v1/reports/{tracking_code}", response_model=ReportStatus | StaffView)
def report_status(
    request: Request,
    db: SessionDep,
    settings: SettingsDep,
    user: OptionalUser,
    tracking_code: str,
    token: str | None = None,
) -> ReportStatus | StaffView:
    """The status of a report: before verification, with the code alone, only that it waits.

    With its private token, everything but the reporter's identity. With staff credentials (and
    no token), the staff view; 404 for a report outside the staff member's scope.
    """
    if user is not None and token is None:
        return lifecycle_api.staff_view_of(request, db, settings, user, tracking_code)
    report = load_report(request, db, tracking_code, token, user)
    return status.report_status(db, report, token, base_url(request), user)


@router.post("/api/v1/reports/{tracking_code}/follow", status_code=201, response_model=FollowOut)
def follow_report(
    request: Request,
    db: WriteSessionDep,
    settings: SettingsDep,
    user: OptionalUser,
    tracking_code: str,
    contact: Annotated[FollowIn | None, Body()] = None,
) -> FollowOut:
    """Follow an open report by its tracking code instead of filing the same problem again."""
    load_report(request, db, tracking_code, None, user)  # a lookup by code: counted and limited
    followed = service.follow(
        db, settings, tracking_code, contact or FollowIn(), client_address(request)
    )
    return _followed(db, settings, followed, base_url(request))


@router.post("/api/v1/reports/nearby/{handle}/follow", status_code=201, response_model=FollowOut)
def follow_nearby(
    request: Request,
    db: WriteSessionDep,
    settings: SettingsDep,
    handle: str,
    contact: Annotated[FollowIn | None, Body()] = None,
) -> FollowOut:
    """Follow a report that the duplicate hint showed, by its handle (``follow_url``).

    The answer names the report, with the follower's own private link, only once it is public
    (verified).
    """
    report_id = tracking.report_id_of(settings.secret_key, handle)
    found = db.scalar(queries.open_report_by_id(report_id)) if report_id is not None else None
    public = found is not None and found.state in PUBLIC_STATES
    followed = service.follow_open(
        db, settings, found, contact or FollowIn(), client_address(request), with_link=public
    )
    return _followed(db, settings, followed, base_url(request))


def _followed(db: Session, settings: Settings, followed: service.Followed, base: str) -> FollowOut:
    """The answer to a follow: the follower's private link, also sent where they gave contacts."""
    if followed.token is None:
        return FollowOut(following=True)
    code = followed.report.tracking_code
    private = status.status_page(base, code, followed.token)
    notify.queue_follow(db, settings, followed.report, followed.follower, private)
    return FollowOut(tracking_code=code, following=True, status_page=private)


@router.post(
    "/api/v1/reports/{tracking_code}/resend-link", status_code=202, response_model=ResendOut
)
def resend_link(
    request: Request,
    db: WriteSessionDep,
    settings: SettingsDep,
    tracking_code: str,
    body: Annotated[ResendIn, Body()],
) -> ResendOut:
    """Send the private link again to the phone or email given with it (once per 10 minutes).

    Only the holder of the link's token may ask; a wrong token counts as a lookup by code.
    """
    report = load_report(request, db, tracking_code, body.token, None)
    holder = tracking.token_holder(db, report, body.token)
    if holder is None:
        raise Forbidden(BAD_TOKEN, field="token")
    private = status.status_page(base_url(request), report.tracking_code, body.token)
    channels = resend.queue_link_again(db, settings, report, holder, private, utcnow())
    return ResendOut(channels=[str(channel) for channel in channels])


@router.get("/media/{area}/{first}/{second}/{name}")
def media_file(
    request: Request,
    db: SessionDep,
    settings: SettingsDep,
    user: OptionalUser,
    area: str,
    first: str,
    second: str,
    name: str,
    t: str | None = None,
) -> Response:
    """A metadata-free derivative of a report's photo or video; originals are never served.

    Names are SHA-256 digests of the derivative: a URL is only known to those shown it (the owner
    through the private link, everyone once the report is verified). A video's public copy is
    served only to those who may see its report (``reports.media.serving``), with ranges.
    """
    relative = f"public/{area}/{first}/{second}/{name}"
    try:
        path = MediaStore(settings.media_dir).path(relative)
    except ValueError:
        raise NotFound() from None
    if area == "videos":
        if not serving.may_watch(db, relative, t, user):
            raise NotFound()
        return serving.video_response(path, request.headers.get("if-none-match"))
    if area not in MEDIA_AREAS or not db.scalar(queries.media_is_published(relative)):
        raise NotFound()
    if not path.is_file():
        raise NotFound()
    return FileResponse(
        path, media_type="image/jpeg", headers={"Cache-Control": "private, max-age=86400"}
    )
