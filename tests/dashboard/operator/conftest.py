"""Fixtures of the operator dashboard's tests: reports inserted as rows, quickly and by the
dozen (intake and lifecycle are tested elsewhere; here only where the rows stand matters)."""

from __future__ import annotations

import itertools
import math
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import func, select, text
from sqlalchemy.orm import Session

from ioc.auth.models import Role
from ioc.db import utcnow
from reports.models import LocationSource, Report, ReportState
from routing.models import Agency, Category, Jurisdiction
from routing.sla import Priority
from tests.conftest import MakeUser, sign_in

TAM_THANG = (10.3736, 107.095)  # lat, lon: Vũng Tàu airport, Phường Tam Thắng (26526)
HUE = (16.4637, 107.5909)  # Phường Thuận Hoá (19789)
_numbers = itertools.count(1)

MakeReport = Callable[..., Report]


def ids(db: Session, model: Any, code: str) -> int:
    """The id of a category, agency or ward by code."""
    found = db.scalar(select(model.id).where(model.code == code))
    assert found is not None, code
    return int(found)


def explain(
    db: Session,
    statement: Any,
    values: dict[str, Any] | None = None,
    *,
    seqscan: bool = True,
    sort: bool = True,
) -> str:
    """The plan of a statement, with its parameters bound as the app binds them."""
    compiled = statement.compile(dialect=db.get_bind().dialect)
    expanded = compiled.construct_expanded_state(values)
    connection = db.connection()
    if not seqscan:  # on a near-empty table a scan is cheapest; ask what the index would do
        connection.exec_driver_sql("SET LOCAL enable_seqscan = off")
    if not sort:  # likewise: ask whether an index gives the order
        connection.exec_driver_sql("SET LOCAL enable_sort = off")
    rows = connection.exec_driver_sql("EXPLAIN " + expanded.statement, expanded.parameters)
    return "\n".join(row[0] for row in rows)


@pytest.fixture
def make_report(dbs: Session) -> MakeReport:
    """Insert a report: ``make_report(state=..., category="giao-thong", at=(lat, lon), ...)``."""

    def _make(
        *,
        state: ReportState = ReportState.submitted,
        category: str = "giao-thong",
        at: tuple[float, float] = TAM_THANG,
        ward: str | None = "26526",
        agency: str | None = None,
        suggested: str | None = "ubnd-26526",
        priority: Priority = Priority.normal,
        description: str = "Ổ gà trên đường",
        created_at: datetime | None = None,
        due_in: timedelta | None = timedelta(hours=2),
        overdue: bool = False,
    ) -> Report:
        now = utcnow()
        report = Report(
            tracking_code=f"PA-2099-{next(_numbers):06d}",
            state=state,
            category_id=ids(dbs, Category, category),
            description=description,
            location=func.ST_SetSRID(func.ST_MakePoint(at[1], at[0]), 4326),
            location_source=LocationSource.given,
            ward_id=ids(dbs, Jurisdiction, ward) if ward else None,
            agency_id=ids(dbs, Agency, agency) if agency else None,
            suggested_agency_id=ids(dbs, Agency, suggested) if suggested else None,
            priority=priority,
            created_at=created_at or now,
            due_at=now + due_in if due_in is not None else None,
            overdue=overdue,
            status_token_hash="0" * 64,
            submitter_key="test",
        )
        dbs.add(report)
        dbs.flush()
        return report

    return _make


@pytest.fixture
def operator_client(client: Any, make_user: MakeUser) -> Any:
    """A test client signed in as an IOC operator."""
    make_user("operator1", Role.ioc_operator)
    sign_in(client, "operator1")
    return client


def tile_of(lat: float, lon: float, z: int) -> tuple[int, int, int]:
    """The XYZ tile (y from the north) that holds a place."""
    n = 1 << z
    x = int((lon + 180) / 360 * n)
    y = int((1 - math.asinh(math.tan(math.radians(lat))) / math.pi) / 2 * n)
    return z, x, y


def bulk_reports(
    db: Session, n: int, at: tuple[float, float], *, metres: float = 50, state: str = "submitted"
) -> None:
    """Insert n reports over a square of about ``metres`` around a place, in one statement."""
    degrees = metres / 111_320
    category = ids(db, Category, "giao-thong")
    db.execute(
        text(
            "INSERT INTO reports (tracking_code, state, category_id, description, location,"
            " location_source, priority, routing_reason, outside_coverage, overdue, version,"
            " locale, keep_identity_private, status_token_hash, submitter_key, created_at)"
            " SELECT 'PA-2098-' || lpad((:first + i)::text, 8, '0'), :state, :category, '',"
            " ST_SetSRID(ST_MakePoint(:lon + random() * :d, :lat + random() * :d), 4326),"
            " 'given', 'normal', '', false, false, 1, 'vi', true, repeat('0', 64), 'bulk', now()"
            " FROM generate_series(1, :n) AS i"
        ),
        {
            "first": next(_numbers) * 10_000,
            "n": n,
            "state": state,
            "category": category,
            "lat": at[0],
            "lon": at[1],
            "d": degrees,
        },
    )
