"""Dependencies that routes read like prose: ``SessionDep``, ``CurrentUser``, ``require_role``."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Annotated

from fastapi import Depends, Request
from sqlalchemy.orm import Session

from ioc.auth import csrf, service
from ioc.auth.models import Role, User
from ioc.errors import Forbidden, Unauthorized
from ioc.settings import Settings

SESSION_COOKIE = "ioc_session"


def get_settings_dep(request: Request) -> Settings:
    """The settings the app was created with."""
    settings: Settings = request.app.state.settings
    return settings


def get_db(request: Request) -> Iterator[Session]:
    """One session per request; views commit what they change, anything else is rolled back."""
    with request.app.state.sessionmaker() as session:
        yield session


SettingsDep = Annotated[Settings, Depends(get_settings_dep)]
SessionDep = Annotated[Session, Depends(get_db)]


def commit_on_success(db: SessionDep) -> Iterator[Session]:
    """The request's session for routes that write: committed when the route returns, rolled
    back when it raises, before the answer is sent (so a 2xx always means committed)."""
    try:
        yield db
    except BaseException:
        db.rollback()
        raise
    db.commit()


# "function" scope: the commit runs when the route returns, not after the response is sent.
WriteSessionDep = Annotated[Session, Depends(commit_on_success, scope="function")]


def client_address(request: Request) -> str:
    """The sender's address (uvicorn resolves X-Forwarded-For from trusted proxies)."""
    return request.client.host if request.client else "-"


def bearer_token(request: Request) -> str | None:
    """The token of an ``Authorization: Bearer`` header, if any."""
    header = request.headers.get("authorization", "")
    scheme, _, token = header.partition(" ")
    return token.strip() if scheme.lower() == "bearer" and token.strip() else None


def get_optional_user(request: Request, db: SessionDep, settings: SettingsDep) -> User | None:
    """The signed-in user (bearer token or session cookie), or None."""
    token = bearer_token(request)
    user: User | None = None
    if token:
        user = service.user_for_token(db, settings, token)
    elif cookie := request.cookies.get(SESSION_COOKIE):
        user = service.user_for_session(db, cookie)
    request.state.user = user
    return user


OptionalUser = Annotated[User | None, Depends(get_optional_user)]


def get_current_user(user: OptionalUser) -> User:
    """The signed-in user; 401 otherwise."""
    if user is None:
        raise Unauthorized()
    return user


CurrentUser = Annotated[User, Depends(get_current_user)]


def require_role(*roles: Role) -> Callable[[User], User]:
    """A dependency that admits only these roles (an admin may do everything)."""
    allowed = {*roles, Role.admin}

    def check(user: CurrentUser) -> User:
        if user.role not in allowed:
            raise Forbidden()
        return user

    return check


CsrfProtected = Depends(csrf.verify)
