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

from sqlalchemy import CompoundSelect, Row, Select, select
from sqlalchemy.orm import Session

from ioc.db import utcnow
from ioc.errors import InvalidInput
from ioc.i18n import N_, get_locale, gettext
from routing import queries
from routing.models import Agency, AgencyMember
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
    "NEAREST_WARD_METRES",
    "AgencyRef",
    "Assignment",
    "Candidate",
    "DueTimes",
    "JurisdictionRef",
    "Priority",
    "Reason",
    "assign",
    "calendar",
    "candidates",
    "reason_text",
    "ward_at",
]

NEAREST_WARD_METRES = 300.0  # the default of settings.routing.nearest_ward_metres
Param = str | int | float | dict[str, str]  # a dict: a name in each language ({"vi": …, "en": …})


def reason_text(msgid: str, params: dict[str, Param] | None) -> str:
    """A stored routing reason in the reader's language; without parameters, stored text as is.

    Reasons stored before message ids were kept (migration 0006) are plain Vietnamese text.
    """
    if params is None:
        return msgid
    locale = get_locale()
    values = {
        name: (value.get(locale) or value.get("vi", "")) if isinstance(value, dict) else value
        for name, value in params.items()
    }
    return gettext(msgid, **values)


@dataclass(frozen=True)
class Reason:
    """Why a report goes where it goes: a message id and its parameters, translated when read."""

    msgid: str
    params: dict[str, Param]

    def text(self) -> str:
        """The reason in the reader's language."""
        return reason_text(self.msgid, self.params)


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
    why: Reason
    outside_coverage: bool
    category_name: str = ""
    redirected_from: AgencyRef | None = None  # an inactive agency whose parent took over
    ward_distance_m: int | None = None  # set when the point is in no ward but near this one

    @property
    def reason(self) -> str:
        """The reason in the reader's language."""
        return self.why.text()


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
R_NEAR_ROUTED = N_(
    "The place is in no ward, %(distance)s m from %(ward)s, the nearest; "
    "category %(category)s → %(agency)s (rule %(rule)s)"
)
R_NEAR_PARENT = N_(
    "The place is in no ward, %(distance)s m from %(ward)s, the nearest; "
    "category %(category)s → %(agency)s (rule %(rule)s; %(inactive)s is inactive, so its parent "
    "agency)"
)
R_NEAR_NO_PARENT = N_(
    "The place is in no ward, %(distance)s m from %(ward)s, the nearest; "
    "category %(category)s → rule %(rule)s names %(inactive)s, which is inactive and has no "
    "active parent agency → the IOC queue"
)
R_NEAR_NO_RULE = N_(
    "The place is in no ward, %(distance)s m from %(ward)s, the nearest; "
    "no rule sends category %(category)s to an agency here → the IOC queue"
)
# A point inside a ward, and one in no ward but near enough to the nearest (issue 8, item 11).
WARD_REASONS = {
    R_ROUTED: R_NEAR_ROUTED,
    R_PARENT: R_NEAR_PARENT,
    R_NO_PARENT: R_NEAR_NO_PARENT,
    R_NO_RULE: R_NEAR_NO_RULE,
}
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
def _statements() -> tuple[Select[Any], CompoundSelect[int, str, str, int | None, float | None]]:
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
    # 7 decimals is about 1 cm; rounding also turns subnormal numbers (5e-324), which PostgreSQL's
    # trigonometry refuses as an underflow, into zero.
    return round(lat, 7) + 0.0, round(lon, 7) + 0.0


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


def agency_of(db: Session, user_id: int) -> int | None:
    """The agency a staff account works for, if any."""
    return db.scalar(select(AgencyMember.agency_id).where(AgencyMember.user_id == user_id))


def bind_member(db: Session, user_id: int, agency_id: int | None) -> None:
    """Bind a staff account to an agency (None: to none); InvalidInput for an unknown agency."""
    member = db.get(AgencyMember, user_id)
    if agency_id is None:
        if member is not None:
            db.delete(member)
        return
    if db.get(Agency, agency_id) is None:
        raise InvalidInput(N_("Unknown agency."), field="agency")
    if member is None:
        db.add(AgencyMember(user_id=user_id, agency_id=agency_id))
    else:
        member.agency_id = agency_id
    db.flush()


@dataclass(frozen=True)
class Clock:
    """A category's deadline policy and the working-time calendar, for moving deadlines."""

    policy: SlaPolicy
    calendar: WorkCalendar
    category: str

    def due(self, start: datetime, priority: Priority) -> DueTimes:
        """The three deadlines counted from ``start``."""
        return due_times(start, priority, self.calendar, self.policy, category=self.category)

    def verify_by(self, start: datetime, priority: Priority) -> datetime:
        """The IOC's verification deadline counted from ``start`` (a return, a reopening)."""
        on_calendar = priority in self.policy.calendar_clock
        span = self.policy.for_category(self.category).verify
        return span.after(start, self.calendar, calendar_clock=on_calendar)

    def latest_extension(self, resolve_by: datetime, priority: Priority) -> datetime:
        """The latest date an extension may move ``resolve_by`` to (DOMAIN.md: 5 working days)."""
        on_calendar = priority in self.policy.calendar_clock
        extension = self.policy.max_extension
        return extension.after(resolve_by, self.calendar, calendar_clock=on_calendar)


def clock(db: Session, category_id: int, at: datetime | None = None) -> Clock:
    """The deadline clock of a category, with the administrator's days off from ``at`` on."""
    since = (at or utcnow()).astimezone(VN_TZ).date() - timedelta(days=1)
    row = db.execute(queries.sla_inputs(), {"category_id": category_id, "since": since}).one()
    policy = _default_policy()
    if row.sla:
        override = CategoryOverride.model_validate(row.sla)
        policy = policy.model_copy(update={"categories": {row.code: override}})
    return Clock(policy, calendar(row.days_off, row.working_days), row.code)


def _ref(agency: Agency) -> AgencyRef:
    return AgencyRef(id=agency.id, code=agency.code, name=agency.name)


def active_agency(db: Session, agency_id: int) -> Agency | None:
    """The agency if active, else its nearest active ancestor, else None."""
    for agency in db.scalars(queries.agency_chain(agency_id)):
        if agency.active:
            return agency
    return None


def ward_at(
    db: Session, lat: float, lon: float, near_metres: float = NEAREST_WARD_METRES
) -> JurisdictionRef | None:
    """The ward at a point (or the nearest within ``near_metres``), or None outside coverage."""
    lat, lon = _check_coordinates(lat, lon)
    params = {"lat": lat, "lon": lon, "near": near_metres}
    row = db.execute(_statements()[1], params).first()
    return JurisdictionRef(id=row.id, code=row.code, name=row.full_name) if row else None


def _fetch(
    db: Session, category: str, point: tuple[float, float] | None, at: datetime, near: float
) -> Row[Any]:
    """The one-round-trip row for a category and point; InvalidInput if the category is unknown."""
    since = at.astimezone(VN_TZ).date() - timedelta(days=1)
    lat, lon = point or (None, None)
    params = {"category": category, "lat": lat, "lon": lon, "since": since, "near": near}
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
    near_metres: float = NEAREST_WARD_METRES,
) -> Assignment:
    """Route a report of ``category`` at a point (or to ``office``) and explain the choice.

    A point in no ward but within ``near_metres`` of one (a beach, a pier) counts as in the
    nearest ward, and the reason says so.
    """
    at = at or utcnow()
    row = _fetch(db, category, _usable(lat, lon), at, near_metres)
    name = row.name_en if get_locale() == "en" else row.name_vi
    names = {"vi": row.name_vi, "en": row.name_en}
    base = {"priority": row.default_priority, "due": _due(row, category, at)}
    base["category_name"] = name
    if not row.geographic:
        return _assign_office(db, names, office, base)
    _check_coordinates(lat, lon)
    if row.ward_id is None:
        why = Reason(R_OUTSIDE, {"category": names})
        return Assignment(None, None, None, why=why, outside_coverage=True, **base)
    ward = JurisdictionRef(id=row.ward_id, code=row.ward_code, name=row.ward_name)
    place: dict[str, Param] = {"ward": ward.name, "category": names}
    if row.ward_distance is not None:
        base["ward_distance_m"] = place["distance"] = round(row.ward_distance)
    if row.agency_id is None:
        why = _ward_reason(R_NO_RULE, place)
        return Assignment(None, ward, None, why=why, outside_coverage=False, **base)
    return _routed(db, row, ward, place, base)


def _ward_reason(msgid: str, params: dict[str, Param]) -> Reason:
    """A reason about a ward: its near-ward form when the point is only near the ward."""
    return Reason(WARD_REASONS[msgid] if "distance" in params else msgid, params)


def _routed(
    db: Session, row: Row[Any], ward: JurisdictionRef, place: dict[str, Param], base: dict[str, Any]
) -> Assignment:
    """A rule found an agency: use it, or its nearest active parent, or the IOC queue."""
    found = AgencyRef(id=row.agency_id, code=row.agency_code, name=row.agency_name)
    params: dict[str, Param] = {**place, "rule": row.position}
    if row.agency_active:
        why = _ward_reason(R_ROUTED, {**params, "agency": found.name})
        return Assignment(found, ward, row.position, why=why, outside_coverage=False, **base)
    parent = active_agency(db, found.id)
    params["inactive"] = found.name
    if parent is None:
        why = _ward_reason(R_NO_PARENT, params)
    else:
        why = _ward_reason(R_PARENT, {**params, "agency": parent.name})
    return Assignment(
        _ref(parent) if parent else None,
        ward,
        row.position,
        why=why,
        outside_coverage=False,
        redirected_from=found,
        **base,
    )


def _assign_office(
    db: Session, names: dict[str, str], office: str | None, base: dict[str, Any]
) -> Assignment:
    """A non-geographic category: the office the resident names, wherever the point is."""
    code = (office or "").strip().lower()
    named = db.scalar(select(Agency).where(Agency.code == code)) if code else None
    if named is None:
        raise InvalidInput(N_("Choose the office this is about."), field="office")
    if named.active:
        why = Reason(R_OFFICE, {"category": names, "agency": named.name})
        return Assignment(_ref(named), None, None, why=why, outside_coverage=False, **base)
    parent = active_agency(db, named.id)
    params: dict[str, Param] = {"category": names, "inactive": named.name}
    if parent is None:
        why = Reason(R_OFFICE_NONE, params)
    else:
        why = Reason(R_OFFICE_PARENT, {**params, "agency": parent.name})
    return Assignment(
        _ref(parent) if parent else None,
        None,
        None,
        why=why,
        outside_coverage=False,
        redirected_from=_ref(named),
        **base,
    )


# --- Candidates: every agency a rule of the category would send a report at a point to ---

C_NAMED = N_("Rule %(rule)s: category %(category)s → %(agency)s, the agency the rule names")
C_WARD = N_("Rule %(rule)s: category %(category)s → %(agency)s, which answers for %(ward)s")
C_AREA = N_(
    "Rule %(rule)s: category %(category)s → %(agency)s, whose service area covers the place"
)
C_PARENT = N_("Rule %(rule)s names %(inactive)s, which is inactive, so its parent %(agency)s")
CANDIDATE_REASONS = {"agency": C_NAMED, "jurisdiction": C_WARD, "service_area": C_AREA}


@dataclass(frozen=True)
class Candidate:
    """An agency that a rule of the category yields at the point, and why; ``first`` is the
    routing's choice (the first rule by position)."""

    agency: AgencyRef
    rule: int
    why: Reason
    first: bool

    @property
    def reason(self) -> str:
        """The reason in the reader's language."""
        return self.why.text()


def _candidate(db: Session, row: Row[Any], first: bool) -> Candidate | None:
    """One rule's agency (its active parent if it is inactive; None if there is none)."""
    names = {"vi": row.name_vi, "en": row.name_en}
    params: dict[str, Param] = {"rule": row.position, "category": names}
    if row.agency_active:
        agency = AgencyRef(id=row.agency_id, code=row.agency_code, name=row.agency_name)
        msgid = CANDIDATE_REASONS[str(row.target)]
        params |= {"agency": agency.name, "ward": row.ward_name or ""}
        return Candidate(agency, row.position, Reason(msgid, params), first)
    parent = active_agency(db, row.agency_id)
    if parent is None:
        return None
    params |= {"agency": parent.name, "inactive": row.agency_name}
    return Candidate(_ref(parent), row.position, Reason(C_PARENT, params), first)


def candidates(
    db: Session,
    *,
    category: str,
    lat: float,
    lon: float,
    near_metres: float = NEAREST_WARD_METRES,
) -> list[Candidate]:
    """Each agency a rule of a geographic category yields at the point, once, by rule position.

    Empty for a non-geographic category (its office is the resident's choice) and outside
    every ward. The first is where ``assign`` sends the report.
    """
    lat, lon = _check_coordinates(lat, lon)
    params = {"category": category, "lat": lat, "lon": lon, "near": near_metres}
    found: dict[int, Candidate] = {}
    for index, row in enumerate(db.execute(queries.candidates(), params)):
        candidate = _candidate(db, row, first=index == 0)
        if candidate is not None and candidate.agency.id not in found:
            found[candidate.agency.id] = candidate
    return list(found.values())
