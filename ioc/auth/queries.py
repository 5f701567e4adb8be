"""Statements about users and sessions."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Select, func, select

from ioc.auth.models import User, UserSession


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
