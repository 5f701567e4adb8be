"""The reports API: submit, status, the duplicate hint, follow, the place lookup, media files."""

from __future__ import annotations

from typing import Annotated, Any

import anyio
import anyio.to_thread
from fastapi import APIRouter, Body, Request
from sqlalchemy.orm import Session
from starlette.responses import FileResponse, JSONResponse, Response

from ioc.errors import InvalidInput, NotFound
from ioc.i18n import N_
from ioc.settings import Settings
from ioc.web import SessionDep, SettingsDep, client_address
from reports import queries, service, status
from reports.intake_form import IntakeForm, check_headers, read_form
from reports.media import MediaStore
from reports.schemas import (
    FollowIn,
    FollowOut,
    NearbyOut,
    PlaceOut,
    Ref,
    ReportCreated,
    ReportStatus,
)
from reports.submission import MAX_DESCRIPTION, parse_submission
from reports.tracking import is_tracking_code
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


def base_url(request: Request) -> str:
    """The site's address as the client sees it, without a trailing slash."""
    return str(request.base_url).rstrip("/")


def _limiter(request: Request, name: str, size: int) -> anyio.CapacityLimiter:
    """A limiter of this worker's (made on first use): waiting requests queue in the event loop."""
    state = request.app.state
    if getattr(state, name, None) is None:
        setattr(state, name, anyio.CapacityLimiter(max(1, size)))
    limiter: anyio.CapacityLimiter = getattr(state, name)
    return limiter


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
    store = MediaStore(settings.media_dir)
    for _ in range(2):  # a second pass only after a concurrent request with the same key won
        try:
            intake = service.submit(db, store, settings, sub, address, prepared)
            db.commit()
            return status.created_response(db, intake.report, intake.token, base, intake.routed)
        except service.ConcurrentRetryError:
            db.rollback()
        except BaseException:
            db.rollback()
            raise
    raise service.IdempotencyKeyReused(field="Idempotency-Key")  # pragma: no cover


@router.post(
    "/api/v1/reports", status_code=201, response_model=ReportCreated, openapi_extra=SUBMIT_DOC
)
async def submit_report(request: Request, db: SessionDep, settings: SettingsDep) -> Response:
    """File a report (multipart); a retry with the same Idempotency-Key gets the same answer."""
    limits = settings.intake
    check_headers(request, limits)  # what the headers alone refuse needs no turn
    async with _limiter(request, "intake_in_flight", limits.in_flight):
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
                limiter=_limiter(request, "intake_limiter", limits.concurrency),
            )
        finally:
            form.close()
    return JSONResponse(created.model_dump(mode="json"), status_code=201)


@router.get("/api/v1/reports/nearby", response_model=NearbyOut)
def nearby_reports(
    request: Request, db: SessionDep, settings: SettingsDep, lat: float, lon: float, category: str
) -> NearbyOut:
    """Open reports of the same category near a place, for the duplicate hint."""
    ward_at(db, lat, lon)  # checks the coordinates
    found = db.scalar(queries.active_category(category))
    if found is None:
        raise InvalidInput(N_("Unknown category."), field="category")
    radius = settings.intake.nearby_metres
    rows = db.execute(queries.nearby(lat, lon, found.id, radius)).all()
    base = base_url(request)
    return NearbyOut(radius_m=radius, items=[status.nearby_item(base, *row) for row in rows])


@router.get("/api/v1/reports/place", response_model=PlaceOut)
def place(db: SessionDep, lat: float, lon: float) -> PlaceOut:
    """The ward at a place, and the offices a resident may name there."""
    ward = ward_at(db, lat, lon)
    offices = db.execute(queries.offices_near(ward.id)).all() if ward else []
    return PlaceOut(
        lat=lat,
        lon=lon,
        ward=Ref(code=ward.code, name=ward.name) if ward else None,
        outside_coverage=ward is None,
        offices=[Ref(code=code, name=name) for code, name in offices],
    )


def load_report(db: Session, tracking_code: str) -> Any:
    """A report by tracking code; 404 otherwise."""
    report = (
        db.scalar(queries.report_by_code(tracking_code))
        if is_tracking_code(tracking_code)
        else None
    )
    if report is None:
        raise NotFound(N_("No report has this tracking code."), field="tracking_code")
    return report


@router.get("/api/v1/reports/{tracking_code}", response_model=ReportStatus)
def report_status(
    request: Request, db: SessionDep, tracking_code: str, token: str | None = None
) -> ReportStatus:
    """The status of a report; with its private token, also what is not public yet."""
    report = load_report(db, tracking_code)
    return status.report_status(db, report, token, base_url(request))


@router.post("/api/v1/reports/{tracking_code}/follow", status_code=201, response_model=FollowOut)
def follow_report(
    request: Request,
    db: SessionDep,
    settings: SettingsDep,
    tracking_code: str,
    contact: Annotated[FollowIn | None, Body()] = None,
) -> FollowOut:
    """Follow an open report instead of filing the same problem again."""
    report = service.follow(
        db, settings, tracking_code, contact or FollowIn(), client_address(request)
    )
    db.commit()
    return FollowOut(
        tracking_code=report.tracking_code,
        following=True,
        status_page=status.status_page(base_url(request), report.tracking_code),
    )


@router.get("/media/{area}/{first}/{second}/{name}")
def media_file(
    db: SessionDep, settings: SettingsDep, area: str, first: str, second: str, name: str
) -> Response:
    """A metadata-free derivative of a report's photo; originals are never served.

    Names are SHA-256 digests of the derivative: a URL is only known to those shown it (the owner
    through the private link, everyone once the report is verified).
    """
    relative = f"public/{area}/{first}/{second}/{name}"
    try:
        path = MediaStore(settings.media_dir).path(relative)
    except ValueError:
        raise NotFound() from None
    if area not in MEDIA_AREAS or not db.scalar(queries.media_is_published(relative)):
        raise NotFound()
    if not path.is_file():
        raise NotFound()
    return FileResponse(
        path, media_type="image/jpeg", headers={"Cache-Control": "private, max-age=86400"}
    )
