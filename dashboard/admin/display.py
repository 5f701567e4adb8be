"""How the account pages show things: Vietnam's time, role names, what an audit row changed."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from dashboard.admin.models import ACTION_NAMES, AccountAction, AccountAudit
from ioc.auth.models import ROLE_NAMES, Role
from ioc.i18n import N_, gettext
from routing.sla import VN_TZ

FIELD_LABELS = {
    "username": N_("Username"),
    "full_name": N_("Name"),
    "role": N_("Role"),
    "agency": N_("Agency"),
    "email": N_("Email"),
    "active": N_("Active"),
    "sessions": N_("Sessions ended"),
}


def local_time(moment: datetime | None) -> str:
    """A moment in Vietnam's time zone (dd/mm/yyyy hh:mm), or a dash."""
    if moment is None:
        return "—"
    return moment.astimezone(VN_TZ).strftime("%d/%m/%Y %H:%M")


def role_name(role: Role | str) -> str:
    """A role's name in the reader's language."""
    try:
        return gettext(ROLE_NAMES[Role(role)])
    except ValueError:
        return str(role)


def action_name(action: AccountAction) -> str:
    """An audit action's name in the reader's language."""
    return gettext(ACTION_NAMES[action])


def _value(field: str, value: Any) -> str:
    """A stored field value as a reader sees it."""
    if value is None or value == "":
        return "—"
    if field == "role":
        return role_name(str(value))
    if field == "agency" and isinstance(value, dict):
        return f"{value.get('name', '')} ({value.get('code', '')})"
    if isinstance(value, bool):
        return gettext("yes") if value else gettext("no")
    return str(value)


def changes(row: AccountAudit) -> list[str]:
    """The fields a row changed as ``Field: old → new`` (all of them, for a new account)."""
    before, after = row.before or {}, row.after or {}
    lines = []
    for field, label in FIELD_LABELS.items():
        if field not in before and field not in after:
            continue
        old, new = before.get(field), after.get(field)
        if field not in before:  # a new account, or a count only the change has (sessions)
            lines.append(f"{gettext(label)}: {_value(field, new)}")
        elif old != new:
            lines.append(f"{gettext(label)}: {_value(field, old)} → {_value(field, new)}")
    return lines
