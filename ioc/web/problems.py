"""One place that turns errors into RFC 9457 problem bodies or HTML error pages.

Domain errors keep their status; a database that does not answer is a 503 with Retry-After;
anything else is a 500 whose traceback goes to the log and never to the client.
"""

from __future__ import annotations

from typing import Any

import psycopg
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from sqlalchemy import exc as sa_exc
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.responses import JSONResponse, Response

from ioc import i18n
from ioc.errors import DomainError, InvalidInput, ServiceUnavailable, Unauthorized
from ioc.i18n import N_
from ioc.logs import get_logger
from ioc.web import templating

PROBLEM = "application/problem+json"
OUT_OF_RANGE = N_("A value in the request is out of the range this system accepts.")
HTTP_TITLES = {
    404: N_("Not found."),
    405: N_("This method is not allowed here."),
    413: N_("The request is too large."),
    500: N_("Something went wrong on our side. Please try again later."),
}
# Connection refused, server gone, pool exhausted: the database is out, not the request wrong.
OUTAGES: tuple[type[Exception], ...] = (
    sa_exc.OperationalError,
    sa_exc.TimeoutError,
    psycopg.OperationalError,
)
log = get_logger("ioc.errors")


class RefusedInput(StarletteHTTPException):
    """A domain error found while the body streams in (see ``ioc.web.middleware``).

    An HTTPException because FastAPI's body reader passes those on unchanged and wraps anything
    else in a bare 400; it is answered as the domain error it carries.
    """

    def __init__(self, error: DomainError) -> None:
        super().__init__(status_code=error.status)
        self.error = error


FIELD_MESSAGES = {
    "missing": N_("This field is required."),
    "float_parsing": N_("Enter a number."),
    "int_parsing": N_("Enter a whole number."),
    "json_invalid": N_("The request body is not valid JSON."),
}


# Paths that name a data format (``/open-data/reports.csv``) answer errors as problem bodies.
DATA_SUFFIXES = (".json", ".geojson", ".csv", ".mvt")
# Paths only scripts ask for (the base map's tiles): never an HTML page, whatever they accept.
DATA_PREFIXES = ("/api/", "/basemap/")


def wants_json(request: Request) -> bool:
    """API paths and clients that ask for JSON get problem bodies; browsers get pages."""
    accept = request.headers.get("accept", "")
    path = request.url.path
    data = path.startswith(DATA_PREFIXES) or path.endswith(DATA_SUFFIXES)  # a format is asked for
    return data or ("json" in accept and "html" not in accept)


def _problem(
    request: Request,
    status: int,
    code: str,
    title: str,
    detail: str,
    extra: dict[str, Any] | None = None,
) -> JSONResponse:
    body = {
        "type": f"/problems/{code}",
        "title": title,
        "status": status,
        "detail": detail,
        "code": code,
        "instance": request.url.path,
        **(extra or {}),
    }
    return JSONResponse(body, status_code=status, media_type=PROBLEM)


def _page(request: Request, status: int, title: str, detail: str) -> Response:
    if status == 401:
        return templating.render(
            request, "login.html", {"error": detail, "next": request.url.path}, status=401
        )
    return templating.render(
        request, "error.html", {"title": title, "detail": detail}, status=status
    )


def handle_domain_error(request: Request, exc: Exception) -> Response:
    """A domain error, translated into the user's language."""
    assert isinstance(exc, DomainError)
    title = i18n.gettext(exc.title)
    detail = i18n.gettext(exc.detail, **exc.params)
    if wants_json(request):
        extra = {"field": exc.field} if exc.field else {}
        extra.update(exc.extra or {})
        response: Response = _problem(request, exc.status, exc.code, title, detail, extra)
    else:
        response = _page(request, exc.status, title, detail)
    if isinstance(exc, Unauthorized):
        response.headers["WWW-Authenticate"] = "Bearer"
    if exc.retry_after:
        response.headers["Retry-After"] = str(exc.retry_after)
    return response


def handle_validation_error(request: Request, exc: Exception) -> Response:
    """Request validation: name each field with a message in the user's language."""
    assert isinstance(exc, RequestValidationError)
    errors = []
    for error in exc.errors():
        loc = [str(part) for part in error.get("loc", ()) if part not in ("body", "query", "path")]
        message = FIELD_MESSAGES.get(error.get("type", ""), N_("This value is not valid."))
        errors.append({"field": ".".join(loc), "message": i18n.gettext(message)})
    title = i18n.gettext(N_("Some information is missing or not valid."))
    detail = "; ".join(f"{e['field']}: {e['message']}" for e in errors)
    if not wants_json(request):
        return _page(request, 422, title, detail)
    field = errors[0]["field"] if errors else None
    return _problem(
        request, 422, "invalid-input", title, detail, {"field": field, "errors": errors}
    )


def handle_http_error(request: Request, exc: Exception) -> Response:
    """Framework errors (unknown route, wrong method) in the same shapes."""
    assert isinstance(exc, StarletteHTTPException)
    if isinstance(exc, RefusedInput):
        return handle_domain_error(request, exc.error)
    title = i18n.gettext(HTTP_TITLES.get(exc.status_code, N_("The request cannot be processed.")))
    if wants_json(request):
        return _problem(request, exc.status_code, f"http-{exc.status_code}", title, title)
    return _page(request, exc.status_code, title, title)


def handle_unexpected(request: Request, exc: Exception) -> Response:
    """A 503 when the database is out, else a 500; the traceback is logged, never shown."""
    if isinstance(exc, OUTAGES):
        log.error(
            "database_unavailable",
            path=request.url.path,
            error=type(exc).__name__,
            detail=str(exc)[:300],  # the log is private: the cause helps whoever is on call
        )
        return handle_domain_error(request, ServiceUnavailable())
    if isinstance(exc, sa_exc.DataError):
        # A value PostgreSQL cannot take (a number out of its column's range, say) came from the
        # request: the client's error. Logged in full, since a missed check is still a bug.
        log.warning("value_refused_by_database", path=request.url.path, exc_info=exc)
        return handle_domain_error(request, InvalidInput(OUT_OF_RANGE))
    log.error("unexpected_error", path=request.url.path, exc_info=exc)
    title = i18n.gettext(HTTP_TITLES[500])
    if wants_json(request):
        return _problem(request, 500, "internal-error", title, title)
    try:
        return _page(request, 500, title, title)
    except Exception:  # a page that cannot be drawn must not hide the first error
        log.error("error_page_failed", path=request.url.path, exc_info=True)
        return _problem(request, 500, "internal-error", title, title)


def install(app: FastAPI) -> None:
    """Register the handlers.

    ``Exception`` goes to Starlette's ServerErrorMiddleware, which re-raises after answering
    (the server then drops the connection): ``ioc.web.middleware.RequestContext`` answers those
    itself with ``handle_unexpected``, and this registration covers failures outside it.
    """
    app.add_exception_handler(DomainError, handle_domain_error)
    app.add_exception_handler(RequestValidationError, handle_validation_error)
    app.add_exception_handler(StarletteHTTPException, handle_http_error)
    for outage in OUTAGES:
        app.add_exception_handler(outage, handle_unexpected)
    app.add_exception_handler(Exception, handle_unexpected)
