"""Assignment: which agency answers for a report of a category at a place, and why.

Routing chooses by category first and by place second (DOMAIN.md). Geographic categories are
routed by the first rule (by position) that yields an agency at the point; non-geographic ones
(staff attitude, a late dossier, other) go to the office the resident names. Everything that
cannot be routed goes to the IOC queue (no agency), with a reason an operator can read.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from functools import lru_cache
from typing import Any

from sqlalchemy import Row, Select, select
from sqlalchemy.orm import Session

from ioc.db import utcnow
from ioc.errors import InvalidInput
from ioc.i18n import N_, get_locale, gettext
from routing import queries
from routing.models import Agency
from routing.sla import (
    VN_TZ,
    CategoryOverride,
    DueTimes,
    Priority,
    SlaPolicy,
    WorkCalendar,
    due_times,
)

__all__ = [
    "AgencyRef",
    "Assignment",
    "DueTimes",
    "JurisdictionRef",
    "Priority",
    "assign",
    "calendar",
    "ward_at",
]


@dataclass(frozen=True)
class AgencyRef:
    """An agency as a report refers to it."""

    id: int
    code: str
    name: str


@dataclass(frozen=True)
class JurisdictionRef:
    """A ward: ``code`` is the official ward code, ``name`` its full name (Phường Tam Thắng)."""

    id: int
    code: str
    name: str


@dataclass(frozen=True)
class Assignment:
    """Where a report goes, when it is due, and why; ``agency`` None means the IOC queue."""

    agency: AgencyRef | None
    jurisdiction: JurisdictionRef | None
    rule: int | None
    priority: Priority
    due: DueTimes | None
    reason: str
    outside_coverage: bool
    category_name: str = ""
    redirected_from: AgencyRef | None = None  # an inactive agency whose parent took over


R_ROUTED = N_("The place is in %(ward)s; category %(category)s → %(agency)s (rule %(rule)s)")
R_PARENT = N_(
    "The place is in %(ward)s; category %(category)s → %(agency)s (rule %(rule)s; "
    "%(inactive)s is inactive, so its parent agency)"
)
R_NO_PARENT = N_(
    "The place is in %(ward)s; category %(category)s → rule %(rule)s names %(inactive)s, "
    "which is inactive and has no active parent agency → the IOC queue"
)
R_NO_RULE = N_(
    "The place is in %(ward)s; no rule sends category %(category)s to an agency here "
    "→ the IOC queue"
)
R_OUTSIDE = N_(
    "The place is outside every ward the system serves; category %(category)s → the IOC queue"
)
R_OFFICE = N_(
    "Category %(category)s concerns an office, not a place → %(agency)s (named by the resident)"
)
R_OFFICE_PARENT = N_(
    "Category %(category)s concerns an office, not a place → %(agency)s "
    "(%(inactive)s, named by the resident, is inactive, so its parent agency)"
)
R_OFFICE_NONE = N_(
    "Category %(category)s concerns an office, not a place; %(inactive)s, named by the "
    "resident, is inactive and has no active parent agency → the IOC queue"
)


@lru_cache
def _default_policy() -> SlaPolicy:
    return SlaPolicy()


@lru_cache
def _statements() -> tuple[Select[Any], Select[int, str, str, int | None]]:
    """The assignment and ward statements, built once (they only take bound parameters)."""
    return queries.assignment(), queries.ward_at()


def _check_coordinates(lat: float | None, lon: float | None) -> tuple[float, float]:
    """Both coordinates present, finite and in range; otherwise InvalidInput naming the field."""
    for field, value, limit in (("lat", lat, 90.0), ("lon", lon, 180.0)):
        if value is None:
            raise InvalidInput(N_("This field is required."), field=field)
        if not math.isfinite(value) or not -limit <= value <= limit:
            raise InvalidInput(
                N_("Enter a number between %(low)s and %(high)s."),
                field=field,
                low=-limit,
                high=limit,
            )
    assert lat is not None and lon is not None
    return lat, lon


def calendar(days_off: list[date] | None, working_days: list[date] | None) -> WorkCalendar:
    """The working-time calendar with the administrator's days off and make-up days."""
    return WorkCalendar(
        extra_days_off=frozenset(days_off or ()), extra_working_days=frozenset(working_days or ())
    )


def _due(row: Row[Any], code: str, at: datetime) -> DueTimes:
    """Deadlines from ``at`` for the category's default priority."""
    policy = _default_policy()
    if row.sla:
        override = CategoryOverride.model_validate(row.sla)
        policy = policy.model_copy(update={"categories": {code: override}})
    work = calendar(row.days_off, row.working_days)
    return due_times(at, row.default_priority, work, policy, category=code)


def _ref(agency: Agency) -> AgencyRef:
    return AgencyRef(id=agency.id, code=agency.code, name=agency.name)


def active_agency(db: Session, agency_id: int) -> Agency | None:
    """The agency if active, else its nearest active ancestor, else None."""
    for agency in db.scalars(queries.agency_chain(agency_id)):
        if agency.active:
            return agency
    return None


def ward_at(db: Session, lat: float, lon: float) -> JurisdictionRef | None:
    """The ward at a point, or None outside coverage; deterministic on edges and overlaps."""
    lat, lon = _check_coordinates(lat, lon)
    row = db.execute(_statements()[1], {"lat": lat, "lon": lon}).first()
    return JurisdictionRef(id=row.id, code=row.code, name=row.full_name) if row else None


def _fetch(db: Session, category: str, point: tuple[float, float] | None, at: datetime) -> Row[Any]:
    """The one-round-trip row for a category and point; InvalidInput if the category is unknown."""
    since = at.astimezone(VN_TZ).date() - timedelta(days=1)
    lat, lon = point or (None, None)
    params = {"category": category, "lat": lat, "lon": lon, "since": since}
    # Through the session's connection: a Core row, without the ORM's per-call bookkeeping.
    row = db.connection().execute(_statements()[0], params).first()
    if row is None or not row.category_active:
        raise InvalidInput(N_("Unknown category."), field="category")
    return row


def _usable(lat: float | None, lon: float | None) -> tuple[float, float] | None:
    """The coordinates if they are valid, else None (checked again where they are required)."""
    try:
        return _check_coordinates(lat, lon)
    except InvalidInput:
        return None


def assign(
    db: Session,
    *,
    category: str,
    lat: float | None,
    lon: float | None,
    office: str | None = None,
    at: datetime | None = None,
) -> Assignment:
    """Route a report of ``category`` at a point (or to ``office``) and explain the choice."""
    at = at or utcnow()
    row = _fetch(db, category, _usable(lat, lon), at)
    name = row.name_en if get_locale() == "en" else row.name_vi
    base = {"priority": row.default_priority, "due": _due(row, category, at)}
    base["category_name"] = name
    if not row.geographic:
        return _assign_office(db, name, office, base)
    _check_coordinates(lat, lon)
    if row.ward_id is None:
        reason = gettext(R_OUTSIDE, category=name)
        return Assignment(None, None, None, reason=reason, outside_coverage=True, **base)
    ward = JurisdictionRef(id=row.ward_id, code=row.ward_code, name=row.ward_name)
    if row.agency_id is None:
        reason = gettext(R_NO_RULE, ward=ward.name, category=name)
        return Assignment(None, ward, None, reason=reason, outside_coverage=False, **base)
    return _routed(db, row, ward, name, base)


def _routed(
    db: Session, row: Row[Any], ward: JurisdictionRef, name: str, base: dict[str, Any]
) -> Assignment:
    """A rule found an agency: use it, or its nearest active parent, or the IOC queue."""
    found = AgencyRef(id=row.agency_id, code=row.agency_code, name=row.agency_name)
    params = {"ward": ward.name, "category": name, "rule": row.position}
    if row.agency_active:
        reason = gettext(R_ROUTED, agency=found.name, **params)
        return Assignment(found, ward, row.position, reason=reason, outside_coverage=False, **base)
    parent = active_agency(db, found.id)
    if parent is None:
        reason = gettext(R_NO_PARENT, inactive=found.name, **params)
    else:
        reason = gettext(R_PARENT, agency=parent.name, inactive=found.name, **params)
    return Assignment(
        _ref(parent) if parent else None,
        ward,
        row.position,
        reason=reason,
        outside_coverage=False,
        redirected_from=found,
        **base,
    )


def _assign_office(db: Session, name: str, office: str | None, base: dict[str, Any]) -> Assignment:
    """A non-geographic category: the office the resident names, wherever the point is."""
    code = (office or "").strip().lower()
    named = db.scalar(select(Agency).where(Agency.code == code)) if code else None
    if named is None:
        raise InvalidInput(N_("Choose the office this is about."), field="office")
    if named.active:
        reason = gettext(R_OFFICE, category=name, agency=named.name)
        return Assignment(_ref(named), None, None, reason=reason, outside_coverage=False, **base)
    parent = active_agency(db, named.id)
    if parent is None:
        reason = gettext(R_OFFICE_NONE, category=name, inactive=named.name)
    else:
        reason = gettext(R_OFFICE_PARENT, category=name, agency=parent.name, inactive=named.name)
    return Assignment(
        _ref(parent) if parent else None,
        None,
        None,
        reason=reason,
        outside_coverage=False,
        redirected_from=_ref(named),
        **base,
    )
