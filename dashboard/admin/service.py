"""Changes to staff accounts, each checked and written to the audit trail.

The admin pages and the ``ioc user`` commands both come through here, so that they share one set
of checks (agency staff belong to an active agency, an administrator cannot disable or demote
themselves, the last administrator stays) and every change leaves an audit row.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from dashboard.admin.forms import AccountIn, NewAccountIn
from dashboard.admin.models import AccountAction, AccountAudit
from ioc.auth import passwords
from ioc.auth import service as auth_service
from ioc.auth.models import Role, User
from ioc.errors import Conflict, InvalidInput
from ioc.i18n import N_
from routing import service as routing_service
from routing.models import Agency, AgencyMember

STAFF_NEED_AGENCY = N_("Agency staff work for an agency: choose it.")
ONLY_STAFF_AGENCY = N_("Only agency staff belong to an agency: leave it empty for this role.")
CHOOSE_ACTIVE_AGENCY = N_("Choose an active agency from the list.")
OWN_ROLE = N_("You cannot change your own role: ask another administrator.")
OWN_DISABLE = N_("You cannot disable your own account.")
LAST_ADMIN = N_("This is the last active administrator: make another one first.")


@dataclass(frozen=True)
class Actor:
    """Who makes a change: a signed-in administrator, or the command line."""

    name: str
    user_id: int | None = None

    @classmethod
    def of(cls, user: User) -> Actor:
        """The actor for a signed-in user."""
        return cls(name=user.username, user_id=user.id)


CLI = Actor("cli")


def agency_of(db: Session, user: User) -> Agency | None:
    """The agency an account works for, if any."""
    statement = (
        select(Agency)
        .join(AgencyMember, AgencyMember.agency_id == Agency.id)
        .where(AgencyMember.user_id == user.id)
    )
    return db.scalar(statement)


def snapshot(db: Session, user: User) -> dict[str, Any]:
    """The account's public fields as the audit keeps them (never a password or its hash)."""
    agency = agency_of(db, user)
    return {
        "username": user.username,
        "full_name": user.full_name,
        "role": user.role.value,
        "agency": {"id": agency.id, "code": agency.code, "name": agency.name} if agency else None,
        "email": user.email,
        "active": user.active,
    }


def record(
    db: Session,
    actor: Actor,
    user: User,
    action: AccountAction,
    before: dict[str, Any] | None,
    after: dict[str, Any] | None,
) -> AccountAudit:
    """Write one audit row."""
    row = AccountAudit(
        actor_id=actor.user_id,
        actor=actor.name[:64],
        user_id=user.id,
        username=user.username,
        action=action,
        before=before,
        after=after,
    )
    db.add(row)
    db.flush()
    return row


def _agency_for(db: Session, role: Role, agency_id: int | None, current: int | None) -> int | None:
    """The agency the account will work for: required for agency staff, and only for them;
    an active one (or the one it already works for)."""
    if role != Role.agency_staff:
        if agency_id is not None:
            raise InvalidInput(ONLY_STAFF_AGENCY, field="agency")
        return None
    if agency_id is None:
        raise InvalidInput(STAFF_NEED_AGENCY, field="agency")
    agency = db.get(Agency, agency_id)
    if agency is None or (not agency.active and agency_id != current):
        raise InvalidInput(CHOOSE_ACTIVE_AGENCY, field="agency")
    return agency.id


def _keep_an_admin(db: Session, user: User) -> None:
    """Conflict if the account is the last active administrator.

    Every active administrator's row is locked, so that two administrators disabling each
    other at the same moment cannot both succeed: the second sees the first's change.
    """
    statement = select(User.id).where(User.role == Role.admin, User.active).with_for_update()
    if not set(db.scalars(statement)) - {user.id}:
        raise Conflict(LAST_ADMIN)


def create_account(
    db: Session, actor: Actor, data: NewAccountIn, password: str | None = None
) -> tuple[User, str]:
    """A new staff account bound to its agency; its password (a random one unless given)."""
    agency_id = _agency_for(db, data.role, data.agency_id, None)
    password = password or passwords.generate()
    user = auth_service.create_user(
        db,
        username=data.username,
        password=password,
        role=data.role,
        full_name=data.full_name,
        email=data.email,
    )
    routing_service.bind_member(db, user.id, agency_id)
    record(db, actor, user, AccountAction.create, None, snapshot(db, user))
    return user, password


def update_account(db: Session, actor: Actor, user: User, data: AccountIn) -> bool:
    """Change an account's name, role, agency and email; true if anything changed."""
    if actor.user_id == user.id and data.role != user.role:
        raise InvalidInput(OWN_ROLE, field="role")
    agency_id = _agency_for(db, data.role, data.agency_id, routing_service.agency_of(db, user.id))
    if user.role == Role.admin and data.role != Role.admin and user.active:
        _keep_an_admin(db, user)
    before = snapshot(db, user)
    user.full_name, user.role, user.email = data.full_name, data.role, data.email
    routing_service.bind_member(db, user.id, agency_id)
    db.flush()
    after = snapshot(db, user)
    if before == after:
        return False
    record(db, actor, user, AccountAction.edit, before, after)
    return True


def disable(db: Session, actor: Actor, user: User) -> bool:
    """Refuse the account's sign-in, end its sessions, refuse its tokens; false if already so."""
    if actor.user_id == user.id:
        raise Conflict(OWN_DISABLE)
    if not user.active:
        return False
    if user.role == Role.admin:
        _keep_an_admin(db, user)
    before = snapshot(db, user)
    user.active = False
    ended = auth_service.sign_out_everywhere(db, user)
    record(
        db, actor, user, AccountAction.disable, before, {**snapshot(db, user), "sessions": ended}
    )
    return True


def enable(db: Session, actor: Actor, user: User) -> bool:
    """Let a disabled account sign in again (its old tokens stay refused); false if active."""
    if user.active:
        return False
    before = snapshot(db, user)
    user.active = True
    db.flush()
    record(db, actor, user, AccountAction.enable, before, snapshot(db, user))
    return True


def reset_password(db: Session, actor: Actor, user: User) -> str:
    """A new random password for the account (returned once, stored only as a hash); its
    sessions end, its tokens are refused and its sign-in limit is lifted."""
    password = passwords.generate()
    before = snapshot(db, user)
    ended = auth_service.set_password(db, user, password)
    auth_service.unlock(db, user.username)
    record(db, actor, user, AccountAction.reset_password, before, {**before, "sessions": ended})
    return password


def unlock(db: Session, actor: Actor, user: User) -> None:
    """Let an account locked by the sign-in limit try again at once."""
    auth_service.unlock(db, user.username)
    state = snapshot(db, user)
    record(db, actor, user, AccountAction.unlock, state, state)
