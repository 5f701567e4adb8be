"""Pages of the frame: home, language switch, health."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.openapi.docs import get_swagger_ui_html
from sqlalchemy import text
from starlette.responses import HTMLResponse, JSONResponse, RedirectResponse, Response

from ioc import i18n
from ioc.auth.views import safe_next
from ioc.errors import ServiceUnavailable
from ioc.logs import get_logger
from ioc.web import OptionalUser, SessionDep, templating
from ioc.web.middleware import LANG_COOKIE

router = APIRouter()
log = get_logger("ioc.health")


@router.get("/")
def home(request: Request, user: OptionalUser) -> Response:
    """The landing page: what residents and staff can do here."""
    return templating.render(request, "home.html", {"user": user})


@router.get("/lang/{code}")
def switch_language(request: Request, code: str, next: str = "/") -> Response:
    """Remember the chosen language and go back."""
    response = RedirectResponse(safe_next(next), status_code=303)
    if code in i18n.LOCALES:
        response.set_cookie(
            LANG_COOKIE,
            code,
            max_age=365 * 24 * 3600,
            samesite="lax",
            secure=request.url.scheme == "https",
        )
    return response


@router.get("/api/docs", include_in_schema=False)
def api_docs(request: Request) -> Response:
    """Swagger UI for the API, from the app's own copy (FastAPI's default loads it from a CDN)."""
    page = get_swagger_ui_html(
        openapi_url="/api/openapi.json",
        title="IOC API",
        swagger_js_url="/static/vendor/swagger-ui/swagger-ui-bundle.js",
        swagger_css_url="/static/vendor/swagger-ui/swagger-ui.css",
        swagger_favicon_url="/static/favicon.svg",
    )
    # Its inline start-up script runs only with this response's CSP nonce.
    html = templating.with_nonce(bytes(page.body).decode(), templating.csp_nonce(request))
    return HTMLResponse(html)


@router.get("/healthz")
def healthz(db: SessionDep) -> Response:
    """200 when the database answers (with PostGIS), 503 otherwise."""
    try:
        version = db.execute(text("SELECT postgis_lib_version()")).scalar()
    except Exception:
        # Anyone may call this: the reason (paths, addresses, server text) goes to the log only.
        log.error("healthz_failed", exc_info=True)
        return JSONResponse(
            {"status": "error", "database": "unavailable"},
            status_code=503,
            headers={"Retry-After": str(ServiceUnavailable.retry_after)},
        )
    return JSONResponse({"status": "ok", "database": "ok", "postgis": version})
