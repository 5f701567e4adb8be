"""The public site's filters, from the URL: the operators' parser, narrowed to public fields.

``state`` (public states only; default: all of them), ``category``, ``ward``, ``agency`` (codes),
``from`` and ``to`` (days in Vietnam) and ``q`` (words, tone marks ignored). Priority and overdue
are the staff's: they are not read here.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import Depends, Request
from sqlalchemy import ColumnElement
from sqlalchemy.orm import Session

from dashboard.operator import filters as staff
from ioc.errors import InvalidInput
from ioc.i18n import N_
from ioc.web import SessionDep
from reports import publication
from reports.models import PUBLIC_STATES, ReportState

# Public states in lifecycle order.
STATES: tuple[ReportState, ...] = tuple(s for s in ReportState if s in PUBLIC_STATES)
NOT_PUBLIC_STATE = N_("Not a state the public site shows: %(values)s.")
SHARED = ("category", "ward", "agency", "from", "to")


@dataclass(frozen=True)
class PublicFilters:
    """What a visitor asked to see."""

    base: staff.Filters  # states, categories, wards, agencies, dates (text kept apart)
    text: str = ""

    @property
    def states(self) -> tuple[ReportState, ...]:
        """The states shown."""
        return self.base.states

    def conditions(self) -> list[ColumnElement[bool]]:
        """The filters as conditions on Report (with ``publication.public_reports()``)."""
        where = staff.conditions(self.base)
        if self.text:
            where.append(publication.search_condition(self.text))
        return where

    def query_string(self, **extra: str) -> str:
        """The URL query of these filters (and ``extra``), as the form sends it."""
        pairs: list[tuple[str, str]] = []
        if self.states != STATES:
            pairs.append(("state", ",".join(self.states)))
        for name, refs in (
            ("category", self.base.categories),
            ("ward", self.base.wards),
            ("agency", self.base.agencies),
        ):
            if refs:
                pairs.append((name, ",".join(ref.code for ref in refs)))
        if self.base.since:
            pairs.append(("from", self.base.since.isoformat()))
        if self.base.until:
            pairs.append(("to", self.base.until.isoformat()))
        if self.text:
            pairs.append(("q", self.text))
        pairs += [(key, value) for key, value in extra.items() if value]
        return urlencode(pairs, safe=",")


def _states(given: list[str]) -> tuple[ReportState, ...]:
    """The public states named (default: all); any other value is a 422."""
    wrong = [value for value in given if value not in {s.value for s in STATES}]
    if wrong:
        raise InvalidInput(NOT_PUBLIC_STATE, field="state", values=", ".join(wrong[:5])[:200])
    return tuple(s for s in STATES if s.value in given) or STATES


def parse(db: Session, params: dict[str, Any]) -> PublicFilters:
    """Filters from URL parameters (lists of values); 422 names the first wrong field."""
    states = _states(staff.values(params, "state"))
    base = staff.parse_filters(db, {key: params[key] for key in SHARED if key in params})
    text = " ".join(staff.single(params, "q").split())
    if len(text) > staff.MAX_TEXT:
        raise InvalidInput(staff.TEXT_TOO_LONG, field="q", limit=staff.MAX_TEXT)
    return PublicFilters(base=staff.Filters(**{**base.__dict__, "states": states}), text=text)


def from_request(request: Request, db: SessionDep) -> PublicFilters:
    """The filters of the request's URL."""
    params = request.query_params
    return parse(db, {key: params.getlist(key) for key in params})


PublicFiltersDep = Annotated[PublicFilters, Depends(from_request)]
