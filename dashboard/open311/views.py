"""The GeoReport v2 routes under ``/open311/v2/``, each in ``.json`` and ``.xml``."""

from __future__ import annotations

import anyio.to_thread
from fastapi import APIRouter, Request
from starlette.responses import Response

from dashboard.open311 import catalogue, filing, formats, params, reading
from dashboard.open311.form import read_post
from ioc.db import utcnow
from ioc.errors import NotFound
from ioc.web import SessionDep, SettingsDep
from reports.deps import base_url, limiter

router = APIRouter(prefix="/open311/v2", route_class=formats.Open311Route, tags=["open311"])


@router.get("/discovery.{fmt}")
def discovery(request: Request, settings: SettingsDep, fmt: str) -> Response:
    """Service discovery: this endpoint, its specification and formats."""
    fmt = formats.check_format(fmt)
    return formats.respond(fmt, "discovery", catalogue.discovery(settings, base_url(request)))


@router.get("/services.{fmt}")
def services(request: Request, db: SessionDep, settings: SettingsDep, fmt: str) -> Response:
    """The services: our active categories."""
    fmt = formats.check_format(fmt)
    params.check_jurisdiction(request.query_params, settings)
    return formats.respond(fmt, "services", catalogue.services(db))


@router.get("/services/{code}.{fmt}")
def service_definition(
    request: Request, db: SessionDep, settings: SettingsDep, code: str, fmt: str
) -> Response:
    """A service's definition (the attributes a request of it takes)."""
    fmt = formats.check_format(fmt)
    params.check_jurisdiction(request.query_params, settings)
    return formats.respond(fmt, "service_definition", catalogue.definition(db, code))


@router.post("/requests.{fmt}")
async def post_request(
    request: Request, db: SessionDep, settings: SettingsDep, fmt: str
) -> Response:
    """File a service request (api_key required); the answer carries its tracking code."""
    fmt = formats.check_format(fmt)
    limits = settings.intake
    async with limiter(request, "intake_in_flight", limits.in_flight):
        posted = await read_post(request, limits)
        caller = filing.Caller(
            api_key=params.value(posted.fields, "api_key")
            or params.value(request.query_params, "api_key"),
            idempotency_key=request.headers.get("idempotency-key"),
            base=base_url(request),
        )
        try:
            answer = await anyio.to_thread.run_sync(
                filing.file_request,
                db,
                settings,
                posted,
                caller,
                limiter=limiter(request, "intake_limiter", limits.concurrency),
            )
        finally:
            posted.close()
    return formats.respond(fmt, "service_requests", answer)


@router.get("/requests.{fmt}")
def get_requests(request: Request, db: SessionDep, settings: SettingsDep, fmt: str) -> Response:
    """Public requests: by ``service_request_id``, else by dates, services, status and place."""
    fmt = formats.check_format(fmt)
    params.check_jurisdiction(request.query_params, settings)
    found = reading.requests(db, request.query_params, utcnow(), base_url(request))
    return formats.respond(fmt, "service_requests", found)


@router.get("/requests/{code}.{fmt}")
def get_request(
    request: Request, db: SessionDep, settings: SettingsDep, code: str, fmt: str
) -> Response:
    """One public request (404 before the IOC verified it)."""
    fmt = formats.check_format(fmt)
    params.check_jurisdiction(request.query_params, settings)
    found = reading.one_request(db, code, base_url(request))
    return formats.respond(fmt, "service_requests", found)


@router.get("/servicerequestupdates.{fmt}")
def get_updates(request: Request, db: SessionDep, settings: SettingsDep, fmt: str) -> Response:
    """FixMyStreet's extension: the public changes of state between two dates."""
    fmt = formats.check_format(fmt)
    params.check_jurisdiction(request.query_params, settings)
    found = reading.updates(db, request.query_params, utcnow(), base_url(request))
    return formats.respond(fmt, "service_request_updates", found)


@router.api_route("/{rest:path}", methods=["GET", "POST"], include_in_schema=False)
def unknown(rest: str) -> Response:
    """Any other path under the endpoint: the spec's 404."""
    raise NotFound()
