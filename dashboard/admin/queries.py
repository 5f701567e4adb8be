"""Statements behind the account pages: the filtered list, agencies to choose, the audit trail."""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import Select, func, or_, select

from dashboard.admin.models import AccountAudit
from ioc.auth.models import Role, User, UserSession
from routing.models import Agency, AgencyMember

LIST_LIMIT = 500  # accounts on one page; the filters narrow a longer list
AUDIT_PAGE = 100


class Status(enum.StrEnum):
    """The list's status filter."""

    active = "active"
    disabled = "disabled"


def accounts(
    *,
    role: Role | None = None,
    agency_id: int | None = None,
    status: Status | None = None,
    text: str = "",
) -> Select[User, Agency]:
    """Accounts with their agency (None for IOC staff), filtered; one round trip."""
    statement = (
        select(User, Agency)
        .outerjoin(AgencyMember, AgencyMember.user_id == User.id)
        .outerjoin(Agency, Agency.id == AgencyMember.agency_id)
        .order_by(User.role, User.username)
        .limit(LIST_LIMIT + 1)
    )
    if role is not None:
        statement = statement.where(User.role == role)
    if agency_id is not None:
        statement = statement.where(AgencyMember.agency_id == agency_id)
    if status is not None:
        statement = statement.where(User.active.is_(status == Status.active))
    if text := text.strip():
        statement = statement.where(
            or_(
                User.username.icontains(text, autoescape=True),
                User.full_name.icontains(text, autoescape=True),
            )
        )
    return statement


def member_agencies() -> Select[int, str, str]:
    """Agencies that have staff accounts, for the list's filter."""
    return (
        select(Agency.id, Agency.code, Agency.name)
        .where(Agency.id.in_(select(AgencyMember.agency_id)))
        .order_by(Agency.name)
    )


def choosable_agencies(current: int | None = None) -> Select[int, str, str, bool]:
    """Active agencies to bind an account to, and the one it works for if that is inactive."""
    return (
        select(Agency.id, Agency.code, Agency.name, Agency.active)
        .where(or_(Agency.active, Agency.id == current))
        .order_by(Agency.name)
    )


def open_sessions(user_id: int, now: datetime) -> Select[int]:
    """How many unexpired browser sessions an account has."""
    return (
        select(func.count())
        .select_from(UserSession)
        .where(UserSession.user_id == user_id, UserSession.expires_at > now)
    )


def audit(*, user_id: int | None = None, before_id: int | None = None) -> Select[AccountAudit]:
    """Audit rows, newest first, a page at a time (``before_id``: the last row shown before)."""
    statement = select(AccountAudit).order_by(AccountAudit.id.desc()).limit(AUDIT_PAGE + 1)
    if user_id is not None:
        statement = statement.where(AccountAudit.user_id == user_id)
    if before_id is not None:
        statement = statement.where(AccountAudit.id < before_id)
    return statement
