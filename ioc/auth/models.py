"""Staff users, their browser sessions, sign-in attempts and limits, revoked API tokens."""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import Enum, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from ioc.db import Base, TimestampMixin, utcnow
from ioc.i18n import N_


class Role(enum.StrEnum):
    """What a staff member may do."""

    admin = "admin"
    ioc_supervisor = "ioc_supervisor"
    ioc_operator = "ioc_operator"
    agency_staff = "agency_staff"


# What the pages call each role (message ids: Quản trị viên, Lãnh đạo IOC, …).
ROLE_NAMES: dict[Role, str] = {
    Role.admin: N_("Administrator"),
    Role.ioc_supervisor: N_("IOC supervisor"),
    Role.ioc_operator: N_("IOC operator"),
    Role.agency_staff: N_("Agency staff"),
}


class User(TimestampMixin, Base):
    """A staff account; agency staff are bound to one agency by routing's agency_members."""

    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(64), unique=True)
    password_hash: Mapped[str] = mapped_column(String(255))
    full_name: Mapped[str] = mapped_column(String(200), default="")
    role: Mapped[Role] = mapped_column(Enum(Role, native_enum=False, length=32))
    email: Mapped[str | None] = mapped_column(String(254))
    active: Mapped[bool] = mapped_column(default=True)
    last_login_at: Mapped[datetime | None]
    # Bearer tokens issued up to this moment are refused (set when an account is disabled or its
    # password is reset), so that re-enabling an account does not revive its old tokens.
    tokens_revoked_at: Mapped[datetime | None]


class UserSession(Base):
    """A signed-in browser; only a hash of the cookie's token is stored."""

    __tablename__ = "user_sessions"

    token_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime]


class LoginAttempt(Base):
    """One sign-in attempt, kept to rate-limit failures per account and per address."""

    __tablename__ = "login_attempts"
    __table_args__ = (
        Index("ix_login_attempts_username_at", "username", "at"),
        Index("ix_login_attempts_address_at", "address", "at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(64))
    address: Mapped[str] = mapped_column(String(64))
    at: Mapped[datetime] = mapped_column(default=utcnow)
    success: Mapped[bool]


class LoginThrottle(Base):
    """Password checks counted in a fixed window, per account or per address.

    A check is counted (and committed) before the password is verified, so concurrent requests
    cannot all slip under the limit; a successful check gives its place back.
    """

    __tablename__ = "login_throttle"

    key: Mapped[str] = mapped_column(String(100), primary_key=True)  # "account:…" / "address:…"
    window_start: Mapped[datetime]
    checks: Mapped[int]


class RevokedToken(Base):
    """A bearer token signed out before it expires; kept until it would have expired."""

    __tablename__ = "revoked_tokens"

    jti: Mapped[str] = mapped_column(String(64), primary_key=True)
    expires_at: Mapped[datetime] = mapped_column(index=True)
