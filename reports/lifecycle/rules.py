"""The lifecycle of DOMAIN.md as one table: (action, from states, to state, who, required fields).

A city may give an action to other roles (settings ``lifecycle.roles``); the states and the
required fields are the law of the lifecycle and are not configurable.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass

from ioc.auth.models import Role
from reports.models import OPEN_STATES, ReportState

S = ReportState


class Action(enum.StrEnum):
    """What someone does to a report."""

    verify_forward = "verify_forward"
    reject = "reject"
    mark_duplicate = "mark_duplicate"
    recategorise = "recategorise"
    relocate = "relocate"
    set_priority = "set_priority"
    accept = "accept"
    return_ = "return"
    request_extension = "request_extension"
    approve_extension = "approve_extension"
    deny_extension = "deny_extension"
    resolve = "resolve"
    approve_result = "approve_result"
    send_back = "send_back"
    reopen = "reopen"


class Party(enum.StrEnum):
    """Who may act, besides staff roles: the assigned agency's staff, the resident with a token."""

    agency = "agency"  # agency_staff of the agency the report is assigned to
    resident = "resident"  # whoever holds the report's private status token


IOC = frozenset({Role.ioc_operator.value, Role.ioc_supervisor.value})
SUPERVISOR = frozenset({Role.ioc_supervisor.value})
AGENCY = frozenset({Party.agency.value})


@dataclass(frozen=True)
class Rule:
    """One row of the table: ``to`` None keeps the state."""

    action: Action
    sources: frozenset[ReportState]
    to: ReportState | None
    who: frozenset[str]  # Role values and Party values
    required: tuple[str, ...] = ()


def _rule(
    action: Action,
    sources: set[ReportState] | frozenset[ReportState],
    to: ReportState | None,
    who: frozenset[str],
    *required: str,
) -> Rule:
    return Rule(action, frozenset(sources), to, who, tuple(required))


RULES: dict[Action, Rule] = {
    rule.action: rule
    for rule in (
        _rule(Action.verify_forward, {S.submitted, S.returned, S.reopened}, S.assigned, IOC),
        _rule(Action.reject, {S.submitted, S.returned}, S.rejected, IOC, "reason"),
        _rule(Action.mark_duplicate, {S.submitted}, S.duplicate, IOC, "of"),
        _rule(Action.recategorise, OPEN_STATES, None, IOC, "category"),
        _rule(Action.relocate, OPEN_STATES, None, IOC, "lat", "lon"),
        _rule(Action.set_priority, OPEN_STATES, None, IOC, "priority"),
        _rule(Action.accept, {S.assigned}, S.in_progress, AGENCY),
        _rule(Action.return_, {S.assigned}, S.returned, AGENCY, "reason"),
        _rule(Action.request_extension, {S.in_progress}, None, AGENCY, "until", "reason"),
        _rule(Action.approve_extension, {S.in_progress}, None, SUPERVISOR),
        _rule(Action.deny_extension, {S.in_progress}, None, SUPERVISOR),
        _rule(Action.resolve, {S.in_progress}, S.resolved, AGENCY, "note", "photos"),
        _rule(Action.approve_result, {S.resolved}, S.published, IOC),
        _rule(Action.send_back, {S.resolved}, S.in_progress, IOC, "reason"),
        _rule(Action.reopen, {S.published}, S.reopened, frozenset({Party.resident.value}), "note"),
    )
}

# Steps the resident and the public see on a report's timeline (others are the staff's own).
PUBLIC_ACTIONS = frozenset(
    {
        "submit",
        Action.verify_forward.value,
        Action.accept.value,
        Action.approve_result.value,
        Action.reject.value,
        Action.mark_duplicate.value,
        Action.reopen.value,
    }
)


def who_may(rule: Rule, overrides: dict[str, list[str]]) -> frozenset[str]:
    """The roles and parties allowed to take ``rule``'s action, after a city's overrides."""
    configured = overrides.get(rule.action.value)
    return rule.who if configured is None else frozenset(configured)


def parties_of(role: str | None, *, of_agency: bool, resident: bool) -> frozenset[str]:
    """The names an actor answers to in the table: its role, "agency" and/or "resident"."""
    names = {role} if role else set()
    if of_agency:
        names.add(Party.agency.value)
    if resident:
        names.add(Party.resident.value)
    return frozenset(names)


def allowed(
    state: ReportState, parties: frozenset[str], overrides: dict[str, list[str]]
) -> list[str]:
    """The actions these parties may take on a report in ``state``, in table order."""
    return [
        action.value
        for action, rule in RULES.items()
        if state in rule.sources and parties & who_may(rule, overrides)
    ]
