"""The audit trail of staff accounts: every change an administrator (or the CLI) makes."""

from __future__ import annotations

import enum
from datetime import datetime
from typing import Any

from sqlalchemy import Enum, ForeignKey, Index, String
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from ioc.db import Base, utcnow
from ioc.i18n import N_


class AccountAction(enum.StrEnum):
    """What was done to an account."""

    create = "create"
    edit = "edit"
    disable = "disable"
    enable = "enable"
    reset_password = "reset_password"  # noqa: S105 - an action's name, not a secret
    unlock = "unlock"


ACTION_NAMES: dict[AccountAction, str] = {
    AccountAction.create: N_("Account created"),
    AccountAction.edit: N_("Account edited"),
    AccountAction.disable: N_("Account disabled"),
    AccountAction.enable: N_("Account re-enabled"),
    AccountAction.reset_password: N_("Password reset"),
    AccountAction.unlock: N_("Sign-in limit lifted"),
}


class AccountAudit(Base):
    """One change of a staff account: who, when, which account, before and after.

    ``before`` and ``after`` are the account's public fields (never a password or its hash);
    the usernames are copied so that the row still reads right if an account is ever deleted.
    """

    __tablename__ = "account_audit"
    __table_args__ = (Index("ix_account_audit_user_id_id", "user_id", "id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(default=utcnow)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    actor: Mapped[str] = mapped_column(String(64))  # the admin's username, or "cli"
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    username: Mapped[str] = mapped_column(String(64))
    action: Mapped[AccountAction] = mapped_column(Enum(AccountAction, native_enum=False, length=16))
    before: Mapped[dict[str, Any] | None] = mapped_column(JSONB)
    after: Mapped[dict[str, Any] | None] = mapped_column(JSONB)
