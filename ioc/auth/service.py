"""Use cases of staff accounts: create, authenticate (rate limited), sessions and tokens."""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime, timedelta

import jwt
from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from ioc.auth import passwords, queries
from ioc.auth.models import LoginAttempt, Role, User, UserSession
from ioc.db import utcnow
from ioc.errors import InvalidInput, RateLimited, Unauthorized
from ioc.i18n import N_
from ioc.settings import Settings

ADDRESS_FAILURE_FACTOR = 4  # an address may fail for a few accounts before it is stopped
JWT_ALGORITHM = "HS256"


def create_user(
    db: Session,
    *,
    username: str,
    password: str,
    role: Role,
    full_name: str = "",
    agency_id: int | None = None,
) -> User:
    """A new staff account with a hashed password."""
    username = username.strip().lower()
    if not username or len(username) > 64:
        raise InvalidInput(N_("A username is required (at most 64 characters)."), field="username")
    if len(password) < passwords.MIN_LENGTH:
        raise InvalidInput(
            N_("The password must have at least %(n)s characters."),
            field="password",
            n=passwords.MIN_LENGTH,
        )
    if (role == Role.agency_staff) != (agency_id is not None):
        raise InvalidInput(N_("Agency staff must belong to exactly one agency."), field="agency")
    if db.scalar(queries.user_by_username(username)) is not None:
        raise InvalidInput(N_("This username is taken."), field="username")
    user = User(
        username=username,
        password_hash=passwords.hash_password(password),
        role=role,
        full_name=full_name,
        agency_id=agency_id,
    )
    db.add(user)
    db.flush()
    return user


def check_rate_limit(db: Session, settings: Settings, username: str, address: str) -> None:
    """Refuse a sign-in when an account or an address failed too often recently."""
    since = utcnow() - timedelta(minutes=settings.login_window_minutes)
    per_account = db.scalar(queries.failures_since(since, username=username)) or 0
    per_address = db.scalar(queries.failures_since(since, address=address)) or 0
    if (
        per_account >= settings.login_max_failures
        or per_address >= settings.login_max_failures * ADDRESS_FAILURE_FACTOR
    ):
        raise RateLimited()


def authenticate(
    db: Session, settings: Settings, username: str, password: str, address: str
) -> User | None:
    """The user if the credentials are right; every attempt is recorded. Caller commits."""
    check_rate_limit(db, settings, username, address)
    user = db.scalar(queries.user_by_username(username))
    if user is None or not user.active:
        passwords.verify_password(passwords.dummy_hash(), password)
        ok = False
    else:
        ok = passwords.verify_password(user.password_hash, password)
    db.add(LoginAttempt(username=username.strip().lower()[:64], address=address[:64], success=ok))
    if not ok or user is None:
        return None
    if passwords.needs_rehash(user.password_hash):
        user.password_hash = passwords.hash_password(password)
    user.last_login_at = utcnow()
    return user


def _hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def start_session(db: Session, settings: Settings, user: User) -> str:
    """A new browser session; returns the cookie value (only its hash is stored)."""
    token = secrets.token_urlsafe(32)
    expires = utcnow() + timedelta(hours=settings.session_ttl_hours)
    db.add(UserSession(token_hash=_hash_token(token), user_id=user.id, expires_at=expires))
    return token


def end_session(db: Session, token: str) -> None:
    """Sign a browser out."""
    db.execute(delete(UserSession).where(UserSession.token_hash == _hash_token(token)))


def user_for_session(db: Session, token: str) -> User | None:
    """The user signed in with this cookie value, if the session is still valid."""
    return db.scalar(queries.user_by_session(_hash_token(token), utcnow()))


def issue_token(settings: Settings, user: User, now: datetime | None = None) -> str:
    """A signed bearer token for API clients."""
    issued = now or utcnow()
    claims = {
        "sub": str(user.id),
        "role": user.role.value,
        "iat": issued,
        "exp": issued + timedelta(minutes=settings.token_ttl_minutes),
    }
    return jwt.encode(claims, settings.secret_key, algorithm=JWT_ALGORITHM)


def user_for_token(db: Session, settings: Settings, token: str) -> User:
    """The active user a bearer token names; Unauthorized if it is invalid or expired."""
    try:
        claims = jwt.decode(token, settings.secret_key, algorithms=[JWT_ALGORITHM])
        user_id = int(claims["sub"])
    except (jwt.PyJWTError, KeyError, ValueError) as exc:
        raise Unauthorized(N_("The access token is invalid or has expired.")) from exc
    user = db.scalar(select(User).where(User.id == user_id, User.active))
    if user is None:
        raise Unauthorized(N_("The access token is invalid or has expired."))
    return user
