"""Statements about users, sessions and sign-in attempts."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Select, func, select

from ioc.auth.models import LoginAttempt, User, UserSession


def user_by_username(username: str) -> Select[User]:
    """The user with this username (case-insensitive)."""
    return select(User).where(func.lower(User.username) == username.strip().lower())


def user_by_session(token_hash: str, now: datetime) -> Select[User]:
    """The active user behind an unexpired session."""
    return (
        select(User)
        .join(UserSession, UserSession.user_id == User.id)
        .where(UserSession.token_hash == token_hash, UserSession.expires_at > now, User.active)
    )


def failures_since(
    since: datetime, *, username: str | None = None, address: str | None = None
) -> Select[int]:
    """How many failed attempts for an account or from an address since a moment."""
    query = (
        select(func.count())
        .select_from(LoginAttempt)
        .where(LoginAttempt.at >= since, LoginAttempt.success.is_(False))
    )
    if username is not None:
        query = query.where(LoginAttempt.username == username.strip().lower())
    if address is not None:
        query = query.where(LoginAttempt.address == address)
    return query
