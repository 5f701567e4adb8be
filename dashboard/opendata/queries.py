"""The open data's statements: public reports as GeoJSON features and CSV cells, built in SQL.

Everything starts from ``reports.publication.public_reports()``, the one definition of a public
report and its public fields: nothing else is read, so no reporter identity, token or original
file can appear. Each row comes out already formatted (times in Vietnam time, coordinates to six
decimals, the feature as JSON text), so that streaming a million rows is writing strings.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any, Final

from sqlalchemy import (
    ColumnElement,
    Numeric,
    Select,
    String,
    Text,
    bindparam,
    case,
    cast,
    func,
    literal,
    literal_column,
    select,
    union_all,
)
from sqlalchemy.dialects.postgresql import aggregate_order_by
from sqlalchemy.sql.selectable import Subquery

from dashboard.opendata.fields import NAMES
from reports.models import Report, ReportEvent, ReportState
from reports.publication import public_reports
from routing.models import Agency, Category, Jurisdiction
from routing.sla import VN_TZ

BATCH: Final = 2000  # rows fetched from the server-side cursor at a time
# Vietnam keeps UTC+7 all year, so the offset can be written as a constant.
_ISO: Final = 'YYYY-MM-DD"T"HH24:MI:SS"+07:00"'
FORMULA_STARTS: Final = ("=", "+", "-", "@", "\t", "\r")


@dataclass(frozen=True)
class Filters:
    """What a download is restricted to; None means no restriction."""

    first: date | None = None  # received on or after this Vietnam day
    last: date | None = None  # received on or before this Vietnam day
    category: str | None = None
    ward: str | None = None
    state: ReportState | None = None

    def params(self) -> dict[str, Any]:
        """The bind parameters of the conditions that apply."""
        found: dict[str, Any] = {}
        if self.first is not None:
            found["first_at"] = datetime.combine(self.first, time(), VN_TZ)
        if self.last is not None:
            found["last_at"] = datetime.combine(self.last + timedelta(days=1), time(), VN_TZ)
        for name in ("category", "ward", "state"):
            if getattr(self, name) is not None:
                found[name] = getattr(self, name)
        return found

    def key(self) -> str:
        """A stable text naming these filters (part of the ETag)."""
        return "|".join(str(getattr(self, name) or "") for name in self.__dataclass_fields__)


def _when(column: ColumnElement[Any]) -> ColumnElement[str]:
    return func.to_char(func.timezone("Asia/Ho_Chi_Minh", column), _ISO)


def _no_formula(column: ColumnElement[Any]) -> ColumnElement[Any]:
    """A resident's text that a spreadsheet would run as a formula (``=HYPERLINK(…)``), with a
    leading apostrophe so that it shows as text (OWASP's advice on CSV injection)."""
    risky = func.left(column, 1).in_(FORMULA_STARTS)
    return case((risky, literal("'", String) + column), else_=column)


def _degrees(column: ColumnElement[Any]) -> ColumnElement[Any]:
    return func.round(cast(column, Numeric), 6)


def _cells(p: Subquery) -> list[ColumnElement[Any]]:
    """The CSV's cells in ``fields.FIELDS`` order, as text (None: an empty cell)."""
    c = p.c
    return [
        c.code,
        cast(c.state, String),
        c.category_code,
        c.category_vi,
        c.category_en,
        c.ward_code,
        c.ward_name,
        c.agency_code,
        c.agency_name,
        _when(c.created_at),
        _when(c.forwarded_at),
        _when(c.resolve_by),
        _when(c.published_at),
        cast(c.on_time, Text),
        cast(_degrees(c.lat), Text),
        cast(_degrees(c.lon), Text),
        _no_formula(c.description),
        _no_formula(c.result_text),
        bindparam("base", type_=String) + "/public/reports/" + c.code,
    ]


def _feature(p: Subquery) -> ColumnElement[str]:
    """A GeoJSON Feature (RFC 7946: a Point, longitude first) as JSON text."""
    cells = _cells(p)
    typed = dict(zip(NAMES, cells, strict=True))
    typed |= {"on_time": p.c.on_time, "lat": _degrees(p.c.lat), "lon": _degrees(p.c.lon)}
    typed |= {"description": p.c.description, "result": p.c.result_text}  # as written
    properties = func.json_build_object(*(x for name in NAMES for x in (_key(name), typed[name])))
    point = func.json_build_object(
        _key("type"),
        _key("Point"),
        _key("coordinates"),
        func.json_build_array(typed["lon"], typed["lat"]),
    )
    feature = func.json_build_object(
        *(_key("type"), _key("Feature"), _key("id"), p.c.code),
        *(_key("geometry"), point, _key("properties"), properties),
    )
    return cast(feature, Text)


def _key(name: str) -> ColumnElement[str]:
    """A constant of ours as typed text (json_build_object cannot type a bare parameter)."""
    assert name.isidentifier(), name  # our own names only: nothing from a request
    return literal_column(f"'{name}'", Text)


_CONDITIONS: Final[dict[str, Callable[[Subquery], ColumnElement[bool]]]] = {
    "first_at": lambda p: p.c.created_at >= bindparam("first_at"),
    "last_at": lambda p: p.c.created_at < bindparam("last_at"),
    "category": lambda p: p.c.category_code == bindparam("category"),
    "ward": lambda p: p.c.ward_code == bindparam("ward"),
    "state": lambda p: p.c.state == bindparam("state", type_=p.c.state.type),
}


@functools.cache
def _statement(kind: str, present: frozenset[str]) -> Select[*tuple[Any, ...]]:
    """Built once per kind and set of filters; values are bound when it runs.

    Oldest first, which is the order of the public reports' partial index on (created_at, id)
    (migration 0011_public): read backwards it serves the order and the ``from``/``to`` range,
    so the server-side cursor starts sending at once instead of sorting a million rows first.
    """
    p = public_reports().subquery("p")
    columns = {"geojson": [_feature(p)], "csv": _cells(p), "both": [_feature(p), *_cells(p)]}
    stmt = select(*columns[kind]).order_by(p.c.created_at, p.c.id)
    for name in sorted(present):
        stmt = stmt.where(_CONDITIONS[name](p))
    return stmt.execution_options(yield_per=BATCH)


def rows(kind: str, filters: Filters, base: str) -> tuple[Select[*tuple[Any, ...]], dict[str, Any]]:
    """The statement of ``kind`` ("geojson", "csv" or "both") and its parameters."""
    params = filters.params()
    return _statement(kind, frozenset(params)), params | {"base": base}


@functools.cache
def version() -> Select[*tuple[Any, ...]]:
    """What changes whenever a public fact may have: the latest event and report, and the
    names of categories, wards and agencies (every change of a report is an event)."""
    names = union_all(
        select(Category.code + "\x1f" + Category.name_vi + "\x1f" + Category.name_en),
        select(Agency.code + "\x1f" + Agency.name),
        select(Jurisdiction.code + "\x1f" + Jurisdiction.full_name),
    ).subquery("names")
    (text,) = names.c
    return select(
        select(func.max(ReportEvent.id)).scalar_subquery(),
        select(func.max(Report.id)).scalar_subquery(),
        select(
            func.md5(func.string_agg(text, aggregate_order_by(literal("\n"), text)))
        ).scalar_subquery(),
    )


def category_exists(code: str) -> Select[*tuple[Any, ...]]:
    """Whether a category has this code."""
    return select(Category.id).where(Category.code == code)


def ward_exists(code: str) -> Select[*tuple[Any, ...]]:
    """Whether a ward (or commune) has this code."""
    return select(Jurisdiction.id).where(Jurisdiction.code == code).limit(1)
