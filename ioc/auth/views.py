"""Sign-in page, sign-out, a staff member's own password, and API tokens (issue and revoke).

The administration of accounts lives in ``dashboard.admin`` (it needs routing's agencies).
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from sqlalchemy.orm import Session
from starlette.responses import RedirectResponse, Response

from ioc import i18n
from ioc.auth import passwords, service
from ioc.auth.models import User
from ioc.auth.schemas import TokenRequest, TokenResponse
from ioc.errors import InvalidInput, RateLimited, Unauthorized
from ioc.i18n import N_
from ioc.settings import Settings
from ioc.web import (
    SESSION_COOKIE,
    CsrfProtected,
    CurrentUser,
    SessionDep,
    SettingsDep,
    WriteSessionDep,
    bearer_token,
    client_address,
    templating,
)

router = APIRouter()
BAD_CREDENTIALS = N_("Wrong username or password.")
WRONG_CURRENT = N_("The current password is wrong.")
NOT_THE_SAME = N_("The two new passwords are not the same.")
SAME_AS_BEFORE = N_("The new password must differ from the current one.")


def safe_next(target: str | None) -> str:
    """Only a path on this site is a valid place to go after signing in."""
    if target and target.startswith("/") and not target.startswith("//") and "\\" not in target:
        return target
    return "/"


@router.get("/login")
def login_page(request: Request, next: str = "/") -> Response:
    """The sign-in form."""
    return templating.render(request, "login.html", {"next": safe_next(next)})


def _authenticate(
    db: Session, settings: Settings, username: str, password: str, address: str
) -> User | None:
    """Count the check and commit it before the password is verified, then record the outcome.

    Committing first is what makes the limit hold under concurrency: every other request for
    the account waits on the counter's row lock and then sees this check. RateLimited rolls back.
    """
    try:
        service.admit_check(db, settings, username, address)
    except RateLimited:
        db.rollback()
        raise
    db.commit()
    user = service.check_password(db, username, password, address)
    db.commit()
    return user


@router.post("/login", dependencies=[CsrfProtected])
def login(
    request: Request,
    db: WriteSessionDep,
    settings: SettingsDep,
    username: Annotated[str, Form(max_length=64)],
    password: Annotated[str, Form(max_length=256)],
    next: Annotated[str, Form()] = "/",
) -> Response:
    """Check the credentials; on success start a session and go where the user was going."""
    context = {"next": safe_next(next), "username": username}
    try:
        user = _authenticate(db, settings, username, password, client_address(request))
    except RateLimited as exc:
        error = i18n.gettext(exc.detail, **exc.params)
        page = templating.render(request, "login.html", {**context, "error": error}, status=429)
        page.headers["Retry-After"] = str(exc.retry_after)
        return page
    if user is None:
        return templating.render(
            request, "login.html", {**context, "error": i18n.gettext(BAD_CREDENTIALS)}, status=401
        )
    token = service.start_session(db, settings, user)
    response = RedirectResponse(safe_next(next), status_code=303)
    _set_session_cookie(request, response, settings, token)
    return response


def _set_session_cookie(
    request: Request, response: Response, settings: Settings, token: str
) -> None:
    response.set_cookie(
        SESSION_COOKIE,
        token,
        httponly=True,
        samesite="lax",
        secure=request.url.scheme == "https",
        max_age=settings.session_ttl_hours * 3600,
    )


@router.get("/account/password")
def password_page(request: Request, user: CurrentUser) -> Response:
    """The form to change one's own password."""
    return templating.render(request, "account_password.html", _form_context(user))


def _form_context(user: User) -> dict[str, object]:
    return {"account": user, "min_length": passwords.MIN_LENGTH}


def _check_new_password(current: str, new: str, again: str) -> None:
    if new != again:
        raise InvalidInput(NOT_THE_SAME, field="new_password_again")
    if new == current:
        raise InvalidInput(SAME_AS_BEFORE, field="new_password")


@router.post("/account/password", dependencies=[CsrfProtected])
def change_password(
    request: Request,
    db: WriteSessionDep,
    settings: SettingsDep,
    user: CurrentUser,
    current_password: Annotated[str, Form(max_length=256)],
    new_password: Annotated[str, Form(max_length=256)],
    new_password_again: Annotated[str, Form(max_length=256)],
) -> Response:
    """Change one's own password after checking the current one (counted like a sign-in, so a
    stolen session cannot guess it); every other session and token of the account ends."""
    try:
        _check_new_password(current_password, new_password, new_password_again)
        checked = _authenticate(
            db, settings, user.username, current_password, client_address(request)
        )
        if checked is None:
            raise InvalidInput(WRONG_CURRENT, field="current_password")
        service.set_password(db, checked, new_password)
    except (InvalidInput, RateLimited) as exc:
        db.rollback()
        status = 429 if isinstance(exc, RateLimited) else 422
        error = i18n.gettext(exc.detail, **exc.params)
        context = {**_form_context(user), "error": error, "field": exc.field}
        page = templating.render(request, "account_password.html", context, status=status)
        if isinstance(exc, RateLimited):
            page.headers["Retry-After"] = str(exc.retry_after)
        return page
    response = templating.render(
        request, "account_password.html", {"account": checked, "changed": True}
    )
    _set_session_cookie(request, response, settings, service.start_session(db, settings, checked))
    return response


@router.post("/logout", dependencies=[CsrfProtected])
def logout(request: Request, db: WriteSessionDep) -> Response:
    """End this browser's session."""
    if token := request.cookies.get(SESSION_COOKIE):
        service.end_session(db, token)
    response = RedirectResponse("/", status_code=303)
    response.delete_cookie(SESSION_COOKIE)
    return response


@router.post("/api/v1/auth/token", response_model=TokenResponse)
def token(
    body: TokenRequest, request: Request, db: SessionDep, settings: SettingsDep
) -> TokenResponse:
    """A bearer token for API clients; 401 on bad credentials, 429 after too many checks."""
    user = _authenticate(db, settings, body.username, body.password, client_address(request))
    if user is None:
        raise Unauthorized(BAD_CREDENTIALS)
    return TokenResponse(
        access_token=service.issue_token(settings, user), expires_in=settings.token_ttl_minutes * 60
    )


@router.post("/api/v1/auth/logout", status_code=204, response_class=Response)
def revoke(request: Request, db: WriteSessionDep, settings: SettingsDep) -> Response:
    """Revoke the bearer token this request carries: it is refused from now on."""
    bearer = bearer_token(request)
    if bearer is None:
        raise Unauthorized()
    service.revoke_token(db, settings, bearer)
    return Response(status_code=204)
