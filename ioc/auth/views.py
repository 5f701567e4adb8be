"""Sign-in page, sign-out, the token endpoint for API clients, and the users list."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Form, Request
from sqlalchemy import select
from starlette.responses import RedirectResponse, Response

from ioc import i18n, templating
from ioc.auth import service
from ioc.auth.models import Role, User
from ioc.auth.schemas import TokenRequest, TokenResponse
from ioc.errors import RateLimited, Unauthorized
from ioc.i18n import N_
from ioc.web import (
    SESSION_COOKIE,
    CsrfProtected,
    SessionDep,
    SettingsDep,
    client_address,
    require_role,
)

router = APIRouter()
BAD_CREDENTIALS = N_("Wrong username or password.")


def safe_next(target: str | None) -> str:
    """Only a path on this site is a valid place to go after signing in."""
    if target and target.startswith("/") and not target.startswith("//") and "\\" not in target:
        return target
    return "/"


@router.get("/login")
def login_page(request: Request, next: str = "/") -> Response:
    """The sign-in form."""
    return templating.render(request, "login.html", {"next": safe_next(next)})


@router.post("/login", dependencies=[CsrfProtected])
def login(
    request: Request,
    db: SessionDep,
    settings: SettingsDep,
    username: Annotated[str, Form(max_length=64)],
    password: Annotated[str, Form(max_length=256)],
    next: Annotated[str, Form()] = "/",
) -> Response:
    """Check the credentials; on success start a session and go where the user was going."""
    context = {"next": safe_next(next), "username": username}
    try:
        user = service.authenticate(db, settings, username, password, client_address(request))
    except RateLimited as exc:
        return templating.render(
            request, "login.html", {**context, "error": i18n.gettext(exc.detail)}, status=429
        )
    if user is None:
        db.commit()  # the failed attempt counts towards the rate limit
        return templating.render(
            request, "login.html", {**context, "error": i18n.gettext(BAD_CREDENTIALS)}, status=401
        )
    token = service.start_session(db, settings, user)
    db.commit()
    response = RedirectResponse(safe_next(next), status_code=303)
    response.set_cookie(
        SESSION_COOKIE,
        token,
        httponly=True,
        samesite="lax",
        secure=request.url.scheme == "https",
        max_age=settings.session_ttl_hours * 3600,
    )
    return response


@router.post("/logout", dependencies=[CsrfProtected])
def logout(request: Request, db: SessionDep) -> Response:
    """End this browser's session."""
    if token := request.cookies.get(SESSION_COOKIE):
        service.end_session(db, token)
        db.commit()
    response = RedirectResponse("/", status_code=303)
    response.delete_cookie(SESSION_COOKIE)
    return response


@router.post("/api/v1/auth/token", response_model=TokenResponse)
def token(
    body: TokenRequest, request: Request, db: SessionDep, settings: SettingsDep
) -> TokenResponse:
    """A bearer token for API clients; 401 on bad credentials, 429 after too many failures."""
    user = service.authenticate(db, settings, body.username, body.password, client_address(request))
    db.commit()
    if user is None:
        raise Unauthorized(BAD_CREDENTIALS)
    return TokenResponse(
        access_token=service.issue_token(settings, user), expires_in=settings.token_ttl_minutes * 60
    )


@router.get("/admin/users")
def users_page(
    request: Request, db: SessionDep, _: Annotated[User, Depends(require_role(Role.admin))]
) -> Response:
    """Staff accounts, for administrators."""
    users = db.scalars(select(User).order_by(User.role, User.username)).all()
    return templating.render(request, "users.html", {"users": users})
