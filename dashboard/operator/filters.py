"""The dashboard's one set of filters: parsed from the URL, turned into conditions on reports.

The map, the queue, the KPIs and the exports read the same parameters (each repeatable or
comma-separated): ``state`` (state values, or the groups ``open`` — the default — and ``all``),
``category``, ``agency`` and ``ward`` (codes), ``priority``, ``from`` and ``to`` (ISO dates, days in
Vietnam, inclusive), ``overdue=1`` and ``q`` (a tracking code, or words of the description).
Other parameters (``report``, ``after``…) are left to the routes that read them.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Annotated, Any, Literal, NamedTuple
from urllib.parse import urlencode

from fastapi import Depends, Request
from sqlalchemy import (
    ColumnElement,
    DateTime,
    String,
    and_,
    bindparam,
    func,
    literal_column,
    or_,
    select,
    true,
)
from sqlalchemy.orm import Session

from ioc.errors import InvalidInput
from ioc.i18n import N_
from ioc.web import SessionDep
from reports.models import OPEN_STATES, Report, ReportState
from reports.tracking.codes import CODE_PATTERN
from routing.models import CURRENT_VINTAGE, Agency, Category, Jurisdiction, JurisdictionLevel
from routing.sla import VN_TZ, Priority

# A constant, not a parameter: a generic plan must still see the index's expression.
SIMPLE: ColumnElement[Any] = literal_column("'simple'::regconfig")
MAX_TEXT = 200
MAX_VALUES = 100  # codes per parameter: more is not a view anyone builds by hand
MAX_CODE = 64
# Lifecycle order: how states are listed, and the canonical order of ``state=`` in a URL.
ALL_STATES: tuple[ReportState, ...] = tuple(ReportState)
DEFAULT_STATES: tuple[ReportState, ...] = tuple(s for s in ALL_STATES if s in OPEN_STATES)
FIRST_DAY, LAST_DAY = date(2000, 1, 1), date(2099, 12, 31)
PRIORITIES: tuple[Priority, ...] = tuple(Priority)

UNKNOWN_STATE = N_("Unknown state: %(values)s.")
UNKNOWN_CATEGORY = N_("Unknown category: %(values)s.")
UNKNOWN_AGENCY = N_("Unknown agency: %(values)s.")
UNKNOWN_WARD = N_("Unknown ward: %(values)s.")
UNKNOWN_PRIORITY = N_("Unknown priority: %(values)s.")
BAD_DATE = N_("Not a date (YYYY-MM-DD): %(value)s.")
DATE_OUT_OF_RANGE = N_("Choose a date between %(first)s and %(last)s.")
REVERSED_DATES = N_("The end date is before the start date.")
TEXT_TOO_LONG = N_("The search text is longer than %(limit)s characters.")
TOO_MANY_VALUES = N_("Too many values (at most %(limit)s).")
BAD_FLAG = N_("Use 1 or 0.")


class Ref(NamedTuple):
    """A category, agency or ward picked by code, with its row id (conditions use the id)."""

    id: int
    code: str


@dataclass(frozen=True)
class Filters:
    """What the operator asked to see; the default is every open report."""

    states: tuple[ReportState, ...] = DEFAULT_STATES
    categories: tuple[Ref, ...] = ()
    agencies: tuple[Ref, ...] = ()
    wards: tuple[Ref, ...] = ()
    priorities: tuple[Priority, ...] = ()
    since: date | None = None
    until: date | None = None
    overdue: bool = False
    text: str = ""

    @property
    def all_states(self) -> bool:
        """Whether every state is shown (no condition on the state)."""
        return set(self.states) == set(ALL_STATES)

    @property
    def category_ids(self) -> tuple[int, ...]:
        """The ids of the chosen categories."""
        return tuple(ref.id for ref in self.categories)

    def query_string(self) -> str:
        """The URL query of these filters (without ``?``); parse_filters reads it back."""
        pairs: list[tuple[str, str]] = []
        if self.all_states:
            pairs.append(("state", "all"))
        elif self.states != DEFAULT_STATES:
            pairs.append(("state", ",".join(self.states)))
        for name, refs in (
            ("category", self.categories),
            ("agency", self.agencies),
            ("ward", self.wards),
        ):
            if refs:
                pairs.append((name, ",".join(ref.code for ref in refs)))
        if self.priorities:
            pairs.append(("priority", ",".join(self.priorities)))
        if self.since:
            pairs.append(("from", self.since.isoformat()))
        if self.until:
            pairs.append(("to", self.until.isoformat()))
        if self.overdue:
            pairs.append(("overdue", "1"))
        if self.text:
            pairs.append(("q", self.text))
        return urlencode(pairs, safe=",")


def values(params: Mapping[str, str | Sequence[str]], name: str) -> list[str]:
    """A parameter's values: repeated, comma-separated, or both; blanks dropped, order kept."""
    raw = params.get(name)
    items = [raw] if isinstance(raw, str) else list(raw or ())
    found: list[str] = []
    for item in items:
        for part in item.split(","):
            if (part := part.strip()) and part not in found:
                found.append(part)
    if len(found) > MAX_VALUES:
        raise InvalidInput(TOO_MANY_VALUES, field=name, limit=MAX_VALUES)
    return found


def single(params: Mapping[str, str | Sequence[str]], name: str) -> str:
    """The last value of a single-valued parameter ("" when absent)."""
    raw = params.get(name)
    if isinstance(raw, str):
        return raw.strip()
    return raw[-1].strip() if raw else ""


def _states(given: list[str]) -> tuple[ReportState, ...]:
    """The states named, with the groups ``open`` and ``all``, in lifecycle order."""
    chosen: set[ReportState] = set()
    unknown = []
    for value in given or ["open"]:
        if value == "all":
            chosen.update(ALL_STATES)
        elif value == "open":
            chosen.update(DEFAULT_STATES)
        elif value in ReportState.__members__:
            chosen.add(ReportState(value))
        else:
            unknown.append(value)
    if unknown:
        raise InvalidInput(UNKNOWN_STATE, field="state", values=", ".join(unknown))
    return tuple(s for s in ALL_STATES if s in chosen)


def _priorities(given: list[str]) -> tuple[Priority, ...]:
    """The priorities named, in their usual order."""
    unknown = [value for value in given if value not in Priority.__members__]
    if unknown:
        raise InvalidInput(UNKNOWN_PRIORITY, field="priority", values=", ".join(unknown))
    return tuple(p for p in PRIORITIES if p in given)


def _refs(found: Iterable[Any], given: list[str], name: str, message: str) -> tuple[Ref, ...]:
    """The rows found for the codes given, sorted by code; an unknown code is a 422."""
    refs = {code: Ref(id_, code) for id_, code in found}
    unknown = [code for code in given if code not in refs]
    if unknown:
        raise InvalidInput(message, field=name, values=", ".join(unknown[:10]))
    return tuple(sorted(refs.values(), key=lambda ref: ref.code))


def _codes(params: Mapping[str, str | Sequence[str]], name: str) -> list[str]:
    """A code parameter's values; a code longer than any stored is unknown without a query."""
    given = values(params, name)
    too_long = [code[:MAX_CODE] + "…" for code in given if len(code) > MAX_CODE]
    if too_long:
        message = {"category": UNKNOWN_CATEGORY, "agency": UNKNOWN_AGENCY}.get(name, UNKNOWN_WARD)
        raise InvalidInput(message, field=name, values=", ".join(too_long[:3]))
    return given


def _lookups(
    db: Session, params: Mapping[str, str | Sequence[str]]
) -> tuple[tuple[Ref, ...], tuple[Ref, ...], tuple[Ref, ...]]:
    """Categories, agencies and wards by code (one query each, only when asked for)."""
    ward = and_(
        Jurisdiction.vintage == CURRENT_VINTAGE, Jurisdiction.level == JurisdictionLevel.ward
    )
    found = []
    for name, message, id_, code, scope in (
        ("category", UNKNOWN_CATEGORY, Category.id, Category.code, true()),
        ("agency", UNKNOWN_AGENCY, Agency.id, Agency.code, true()),
        ("ward", UNKNOWN_WARD, Jurisdiction.id, Jurisdiction.code, ward),
    ):
        given = _codes(params, name)
        rows = db.execute(select(id_, code).where(code.in_(given), scope)).all() if given else []
        found.append(_refs(rows, given, name, message))
    return found[0], found[1], found[2]


def _date(params: Mapping[str, str | Sequence[str]], name: str) -> date | None:
    """An ISO date parameter, or None when absent."""
    value = single(params, name)
    if not value:
        return None
    try:
        day = date.fromisoformat(value) if len(value) == 10 else None
    except ValueError:
        day = None
    if day is None:
        raise InvalidInput(BAD_DATE, field=name, value=value[:20])
    if not FIRST_DAY <= day <= LAST_DAY:
        raise InvalidInput(DATE_OUT_OF_RANGE, field=name, first=FIRST_DAY, last=LAST_DAY)
    return day


def _flag(params: Mapping[str, str | Sequence[str]], name: str) -> bool:
    """A 0/1 parameter (``true``/``false``, ``on`` accepted from checkboxes)."""
    value = single(params, name).lower()
    if value in ("", "0", "false", "off"):
        return False
    if value in ("1", "true", "on"):
        return True
    raise InvalidInput(BAD_FLAG, field=name)


def _text(params: Mapping[str, str | Sequence[str]]) -> str:
    """The search text, spaces collapsed."""
    value = " ".join(single(params, "q").split())
    if len(value) > MAX_TEXT:
        raise InvalidInput(TEXT_TOO_LONG, field="q", limit=MAX_TEXT)
    return value


def parse_filters(db: Session, params: Mapping[str, str | Sequence[str]]) -> Filters:
    """Filters from URL parameters; InvalidInput (422) names the first field that is wrong."""
    states = _states(values(params, "state"))
    priorities = _priorities(values(params, "priority"))
    since, until = _date(params, "from"), _date(params, "to")
    if since and until and until < since:
        raise InvalidInput(REVERSED_DATES, field="to")
    overdue, text = _flag(params, "overdue"), _text(params)
    categories, agencies, wards = _lookups(db, params)
    return Filters(
        states=states,
        categories=categories,
        agencies=agencies,
        wards=wards,
        priorities=priorities,
        since=since,
        until=until,
        overdue=overdue,
        text=text,
    )


def day_start(day: date) -> datetime:
    """Midnight of a day in Vietnam."""
    return datetime.combine(day, time(), VN_TZ)


def is_overdue() -> ColumnElement[bool]:
    """Past the current deadline: flagged by the minutely sweep, or passed since its last run."""
    return or_(Report.overdue, Report.due_at < func.now())


class Shape(NamedTuple):
    """Which filters are set, and how the text matches: the structure of their conditions."""

    states: bool
    categories: bool
    agencies: bool
    wards: bool
    priorities: bool
    since: bool
    until: bool
    overdue: bool
    text: Literal["", "code", "words"]


def shape(f: Filters) -> Shape:
    """The structure of the filters' conditions (their values aside)."""
    text: Literal["", "code", "words"] = ""
    if f.text:
        text = "code" if CODE_PATTERN.match(f.text.upper()) else "words"
    return Shape(
        not f.all_states,
        bool(f.categories),
        bool(f.agencies),
        bool(f.wards),
        bool(f.priorities),
        f.since is not None,
        f.until is not None,
        f.overdue,
        text,
    )


class _Binder:
    """Makes the filters' bind parameters: with their values, or empty to be bound later."""

    def __init__(self, values: dict[str, Any] | None) -> None:
        self.values = values

    def __call__(self, name: str, **kwargs: Any) -> Any:
        """The parameter ``name`` (with its value when known)."""
        if self.values is None:
            return bindparam(name, **kwargs)
        return bindparam(name, self.values[name], **kwargs)

    def within(self, column: Any, name: str) -> ColumnElement[bool]:
        """``column IN (:name)``."""
        condition: ColumnElement[bool] = column.in_(self(name, expanding=True))
        return condition


def _build(s: Shape, bind: _Binder) -> tuple[ColumnElement[bool], ...]:
    """The conditions of filters of this shape on Report."""
    where: list[ColumnElement[bool]] = []
    if s.states:
        where.append(bind.within(Report.state, "f_states"))
    if s.categories:
        where.append(bind.within(Report.category_id, "f_categories"))
    if s.agencies:  # forwarded to one of them, or (not yet forwarded) suggested to one of them
        suggested = bind.within(Report.suggested_agency_id, "f_agencies")
        where.append(
            or_(bind.within(Report.agency_id, "f_agencies"), Report.agency_id.is_(None) & suggested)
        )
    if s.wards:
        where.append(bind.within(Report.ward_id, "f_wards"))
    if s.priorities:
        where.append(bind.within(Report.priority, "f_priorities"))
    moment = DateTime(timezone=True)
    if s.since:
        where.append(Report.created_at >= bind("f_since", type_=moment))
    if s.until:
        where.append(Report.created_at < bind("f_until", type_=moment))
    if s.overdue:
        where.append(is_overdue())
    if s.text:
        where.append(_matching(s.text, bind("f_text", type_=String)))
    return tuple(where)


def _matching(kind: str, value: Any) -> ColumnElement[bool]:
    """A tracking code matches exactly (its unique index); other text matches description words
    (the GIN index ``ix_reports_description_words``, whose very expression this is)."""
    if kind == "code":
        same: ColumnElement[bool] = Report.tracking_code == value
        return same
    words = func.to_tsvector(SIMPLE, Report.description)
    return words.bool_op("@@")(func.plainto_tsquery(SIMPLE, value))


@functools.cache
def bound_conditions(s: Shape) -> tuple[ColumnElement[bool], ...]:
    """The conditions of filters of this shape, their values left to ``bound_values`` (built
    once per shape, so that statements built from them can be cached too)."""
    return _build(s, _Binder(None))


def bound_values(f: Filters) -> dict[str, Any]:
    """The values of the parameters of ``bound_conditions(shape(f))``."""
    return {
        "f_states": [state.value for state in f.states],
        "f_categories": list(f.category_ids),
        "f_agencies": [ref.id for ref in f.agencies],
        "f_wards": [ref.id for ref in f.wards],
        "f_priorities": [priority.value for priority in f.priorities],
        "f_since": day_start(f.since) if f.since else None,
        "f_until": day_start(f.until + timedelta(days=1)) if f.until else None,
        "f_text": f.text.upper() if shape(f).text == "code" else f.text,
    }


def conditions(f: Filters) -> list[ColumnElement[bool]]:
    """The filters as conditions on Report (joined by AND), with their values."""
    return list(_build(shape(f), _Binder(bound_values(f))))


def filters_from_request(request: Request, db: SessionDep) -> Filters:
    """The filters of the request's URL."""
    params = request.query_params
    return parse_filters(db, {key: params.getlist(key) for key in params})


FiltersDep = Annotated[Filters, Depends(filters_from_request)]
