"""Use cases of staff accounts: create, sign-in limits, password checks, sessions and tokens."""

from __future__ import annotations

import hashlib
import secrets
from datetime import UTC, datetime, timedelta
from typing import Any

import jwt
from sqlalchemy import case, delete, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.orm import Session

from ioc.auth import passwords, queries
from ioc.auth.models import LoginAttempt, LoginThrottle, RevokedToken, Role, User, UserSession
from ioc.db import rows_changed, utcnow
from ioc.errors import InvalidInput, RateLimited, Unauthorized
from ioc.i18n import N_
from ioc.settings import Settings

ADDRESS_FAILURE_FACTOR = 4  # an address may fail for a few accounts before it is stopped
JWT_ALGORITHM = "HS256"


def _check_password(password: str) -> None:
    """InvalidInput unless the password is long enough."""
    if len(password) < passwords.MIN_LENGTH:
        raise InvalidInput(
            N_("The password must have at least %(n)s characters."),
            field="password",
            n=passwords.MIN_LENGTH,
        )


def create_user(
    db: Session,
    *,
    username: str,
    password: str,
    role: Role,
    full_name: str = "",
    email: str | None = None,
) -> User:
    """A new staff account with a hashed password."""
    username = username.strip().lower()
    if not username or len(username) > 64:
        raise InvalidInput(N_("A username is required (at most 64 characters)."), field="username")
    _check_password(password)
    if db.scalar(queries.user_by_username(username)) is not None:
        raise InvalidInput(N_("This username is taken."), field="username")
    user = User(
        username=username,
        password_hash=passwords.hash_password(password),
        role=role,
        full_name=full_name,
        email=email,
    )
    db.add(user)
    db.flush()
    return user


def set_password(db: Session, user: User, password: str) -> int:
    """Give the account a new password and sign it out everywhere; how many sessions ended."""
    _check_password(password)
    user.password_hash = passwords.hash_password(password)
    return sign_out_everywhere(db, user)


def sign_out_everywhere(db: Session, user: User) -> int:
    """End every browser session of the account and refuse its bearer tokens issued so far;
    returns how many sessions were ended."""
    ended = rows_changed(db, delete(UserSession).where(UserSession.user_id == user.id))
    user.tokens_revoked_at = utcnow()
    db.flush()
    return ended


ACCOUNT_KEY = "account:"
ADDRESS_KEY = "address:"
RETRY_LATER = N_("Too many attempts. Please try again in %(minutes)s minutes.")


def _normal(username: str) -> str:
    return username.strip().lower()[:64]


def _count_check(db: Session, key: str, now: datetime, window: timedelta) -> tuple[int, datetime]:
    """One more check under ``key`` in one atomic upsert: the row lock orders concurrent ones."""
    expired = LoginThrottle.window_start <= now - window
    insert = pg_insert(LoginThrottle).values(key=key, window_start=now, checks=1)
    statement = insert.on_conflict_do_update(
        index_elements=[LoginThrottle.key],
        set_={
            "checks": case((expired, 1), else_=LoginThrottle.checks + 1),
            "window_start": case((expired, now), else_=LoginThrottle.window_start),
        },
    ).returning(LoginThrottle.checks, LoginThrottle.window_start)
    checks, start = db.execute(statement).one()
    return checks, start


def admit_check(db: Session, settings: Settings, username: str, address: str) -> None:
    """Count a password check for the account and the address, or refuse it with RateLimited.

    The caller commits before verifying the password, so that every concurrent request sees the
    count: at most ``login_max_failures`` checks per account per window, from all addresses.
    """
    now = utcnow()
    window = timedelta(minutes=settings.login_window_minutes)
    limits = (
        (ACCOUNT_KEY + _normal(username), settings.login_max_failures),
        (ADDRESS_KEY + address[:64], settings.login_max_failures * ADDRESS_FAILURE_FACTOR),
    )
    for key, limit in limits:
        checks, start = _count_check(db, key, now, window)
        if checks > limit:  # the caller rolls back, so the refused request is not counted
            wait = max(60, int((start + window - now).total_seconds()))
            raise RateLimited(RETRY_LATER, retry_after=wait, minutes=-(-wait // 60))


def check_password(db: Session, username: str, password: str, address: str) -> User | None:
    """The user if the password is right (after ``admit_check``); every check is recorded."""
    user = db.scalar(queries.user_by_username(username))
    if user is None or not user.active:
        passwords.verify_password(passwords.dummy_hash(), password)
        ok = False
    else:
        ok = passwords.verify_password(user.password_hash, password)
    db.add(LoginAttempt(username=_normal(username), address=address[:64], success=ok))
    if not ok or user is None:
        return None
    # A right password gives its place back: the limits count failures and checks in flight.
    db.execute(delete(LoginThrottle).where(LoginThrottle.key == ACCOUNT_KEY + _normal(username)))
    db.execute(
        update(LoginThrottle)
        .where(LoginThrottle.key == ADDRESS_KEY + address[:64], LoginThrottle.checks > 0)
        .values(checks=LoginThrottle.checks - 1)
    )
    if passwords.needs_rehash(user.password_hash):
        user.password_hash = passwords.hash_password(password)
    user.last_login_at = utcnow()
    return user


def locked_accounts(db: Session, settings: Settings) -> dict[str, datetime]:
    """Usernames that have used up their checks, with the moment they may try again."""
    window = timedelta(minutes=settings.login_window_minutes)
    rows = db.execute(
        select(LoginThrottle.key, LoginThrottle.window_start).where(
            LoginThrottle.key.startswith(ACCOUNT_KEY),
            LoginThrottle.checks >= settings.login_max_failures,
            LoginThrottle.window_start > utcnow() - window,
        )
    ).all()
    return {key.removeprefix(ACCOUNT_KEY): start + window for key, start in rows}


def unlock(db: Session, username: str) -> bool:
    """Let an account try again at once; false if there is no such user."""
    user = db.scalar(queries.user_by_username(username))
    if user is None:
        return False
    db.execute(delete(LoginThrottle).where(LoginThrottle.key == ACCOUNT_KEY + user.username))
    return True


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


INVALID_TOKEN = N_("The access token is invalid or has expired.")


def issue_token(settings: Settings, user: User, now: datetime | None = None) -> str:
    """A signed bearer token for API clients; its ``jti`` lets it be revoked."""
    issued = now or utcnow()
    claims = {
        "sub": str(user.id),
        "role": user.role.value,
        "jti": secrets.token_urlsafe(16),
        "iat": issued.timestamp(),  # with its fraction: compared with the revocation time
        "exp": issued + timedelta(minutes=settings.token_ttl_minutes),
    }
    return jwt.encode(claims, settings.secret_key, algorithm=JWT_ALGORITHM)


def _token_claims(db: Session, settings: Settings, token: str) -> dict[str, Any]:
    """The claims of a valid, unexpired and unrevoked token; Unauthorized otherwise."""
    try:
        claims: dict[str, Any] = jwt.decode(
            token,
            settings.secret_key,
            algorithms=[JWT_ALGORITHM],
            options={"require": ["sub", "jti", "exp"]},
        )
        int(claims["sub"])
    except (jwt.PyJWTError, ValueError, TypeError) as exc:
        raise Unauthorized(INVALID_TOKEN) from exc
    jti = claims["jti"]
    if not isinstance(jti, str) or db.get(RevokedToken, jti) is not None:
        raise Unauthorized(INVALID_TOKEN)
    return claims


def _issued_before_revocation(claims: dict[str, Any], revoked_at: datetime | None) -> bool:
    """Whether the token was issued before the account was last signed out everywhere.

    Our tokens carry ``iat`` with its fraction of a second (RFC 7519 allows it), so a token
    issued just after a password reset is not mistaken for one issued before it.
    """
    if revoked_at is None:
        return False
    issued = claims.get("iat")
    if not isinstance(issued, int | float):
        return True
    return issued < revoked_at.timestamp()


def user_for_token(db: Session, settings: Settings, token: str) -> User:
    """The active user a bearer token names; Unauthorized if it is invalid, expired or revoked."""
    claims = _token_claims(db, settings, token)
    user = db.scalar(select(User).where(User.id == int(claims["sub"]), User.active))
    if user is None or _issued_before_revocation(claims, user.tokens_revoked_at):
        raise Unauthorized(INVALID_TOKEN)
    return user


def revoke_token(db: Session, settings: Settings, token: str) -> None:
    """Refuse this token from now on; revocations are kept only until the token would expire."""
    claims = _token_claims(db, settings, token)
    now = utcnow()
    db.execute(delete(RevokedToken).where(RevokedToken.expires_at < now))
    expires = datetime.fromtimestamp(int(claims["exp"]), tz=UTC)
    db.execute(
        pg_insert(RevokedToken)
        .values(jti=claims["jti"], expires_at=expires)
        .on_conflict_do_nothing(index_elements=[RevokedToken.jti])
    )
