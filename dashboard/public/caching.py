"""HTTP caching of the public site: a short shared max-age, and an ETag so that a reload is a 304.

Public pages carry no CSP nonce (their scripts are files) and no cookie: a cached copy is the
same for everyone who asks in the same language, and stays valid with any later response's
headers. The ETag is a digest of the body, so that it changes with anything the page shows.
"""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, Response

from ioc import i18n
from ioc.web import caching

CACHE_CONTROL = "public, max-age=60"
VARY = "Accept-Language, Cookie"


def cached(request: Request, response: Response) -> Response:
    """The response with its validators, or a 304 without a body when the client has it."""
    etag = caching.etag_of(bytes(response.body))
    headers = {
        "ETag": etag,
        "Cache-Control": CACHE_CONTROL,
        "Vary": VARY,
        "Content-Language": i18n.get_locale(),
    }
    if caching.matches(request, etag):
        return Response(status_code=304, headers=headers)
    response.headers.update(headers)
    return response


def page(request: Request, template: str, context: dict[str, Any]) -> Response:
    """A public page: rendered without the visitor (no user, no CSRF cookie), with validators."""
    env = request.app.state.templates
    values = {
        "request": request,
        "locale": i18n.get_locale(),
        "user": None,
        "csrf_token": "",
        "demo": request.app.state.settings.demo,
        "csp_nonce": "",
        **context,
    }
    return cached(request, HTMLResponse(env.get_template(template).render(values)))


def json(request: Request, body: Any) -> Response:
    """A public JSON answer with validators."""
    return cached(request, JSONResponse(body))
