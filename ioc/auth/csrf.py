"""CSRF protection for forms: a random cookie and, in each form, an HMAC of it.

An attacker's page can neither read our cookie nor compute the HMAC without the secret key, so a
form that arrives with a matching token was sent from one of our pages.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets

from starlette.requests import Request
from starlette.responses import Response

from ioc.errors import CsrfFailed

COOKIE = "ioc_csrf"
FIELD = "csrf_token"
HEADER = "X-CSRF-Token"


def ensure_cookie_value(request: Request) -> str:
    """The browser's CSRF cookie value, or a new one to set on the response."""
    existing = request.cookies.get(COOKIE)
    if existing and 20 <= len(existing) <= 100:
        return existing
    cached: str | None = getattr(request.state, "new_csrf", None)
    if cached is None:
        cached = secrets.token_urlsafe(32)
        request.state.new_csrf = cached
    return cached


def form_token(secret_key: str, cookie_value: str) -> str:
    """The token a form carries for this cookie."""
    return hmac.new(secret_key.encode(), cookie_value.encode(), hashlib.sha256).hexdigest()


def set_cookie(request: Request, response: Response, value: str) -> None:
    """Send the cookie if the browser does not have it yet."""
    if request.cookies.get(COOKIE) != value:
        response.set_cookie(
            COOKIE,
            value,
            httponly=True,
            samesite="lax",
            secure=request.url.scheme == "https",
            max_age=60 * 60 * 24 * 30,
        )


async def verify(request: Request) -> None:
    """Refuse a state-changing request whose form field or header does not match the cookie."""
    cookie = request.cookies.get(COOKIE)
    sent = request.headers.get(HEADER)
    if sent is None and "form" in request.headers.get("content-type", ""):
        form = await request.form()
        value = form.get(FIELD)
        sent = value if isinstance(value, str) else None
    if not cookie or not sent:
        raise CsrfFailed()
    expected = form_token(request.app.state.settings.secret_key, cookie)
    if not hmac.compare_digest(expected, sent):
        raise CsrfFailed()
