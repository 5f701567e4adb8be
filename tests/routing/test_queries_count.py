"""Admin pages and the YAML export read their rows in a fixed number of statements.

Relationships raise when not loaded (``lazy="raise"``), so each query names what it needs; these
tests count the statements a page sends and check that more rows do not mean more statements.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import event, select
from sqlalchemy.engine import Connection
from sqlalchemy.orm import Session

from routing.models import Agency, AgencyKind, Category, Jurisdiction, RoutingRule, RuleTarget
from tests.routing.conftest import ward_codes

# Sign-in, CSRF and the page's own reads; a per-row query would pass this with 20 rows.
MAX_STATEMENTS = 12
MORE = 20


@contextmanager
def statements(connection: Connection) -> Iterator[list[str]]:
    """The SQL statements sent on the test's connection while the block runs."""
    sent: list[str] = []

    def _count(*args: Any) -> None:
        sent.append(args[2])  # (conn, cursor, statement, parameters, context, executemany)

    event.listen(connection, "before_cursor_execute", _count)
    try:
        yield sent
    finally:
        event.remove(connection, "before_cursor_execute", _count)


def _add_rows(dbs: Session, count: int) -> None:
    """More agencies (with a parent and a ward) and rules (with an agency and ward limits)."""
    parent = dbs.scalars(select(Agency).order_by(Agency.code)).first()
    category = dbs.scalars(select(Category).order_by(Category.code)).first()
    codes = ward_codes(dbs)[: count + 1]
    wards = list(dbs.scalars(select(Jurisdiction).where(Jurisdiction.code.in_(codes))))
    top = dbs.scalar(select(RoutingRule.position).order_by(RoutingRule.position.desc()).limit(1))
    assert parent and category and len(wards) > 2 and top is not None
    for i in range(count):
        agency = Agency(code=f"count-{i:02d}", name=f"Đội {i}", kind=AgencyKind.other, active=True)
        agency.parent, agency.jurisdiction = parent, wards[i % len(wards)]
        rule = RoutingRule(position=top + 1 + i, target=RuleTarget.agency, note="")
        rule.category, rule.agency = category, agency
        rule.jurisdictions = [wards[i % len(wards)], wards[(i + 1) % len(wards)]]
        dbs.add_all([agency, rule])
    dbs.commit()
    dbs.expunge_all()  # the next request loads everything itself


def _count(client: TestClient, connection: Connection, path: str) -> tuple[int, str]:
    with statements(connection) as sent:
        response = client.get(path)
    assert response.status_code == 200, response.text
    return len(sent), response.text


@pytest.mark.parametrize(
    ("path", "shown"),
    [
        ("/admin/routing/rules", f"Đội {MORE - 1}"),
        ("/admin/routing/agencies", f"count-{MORE - 1:02d}"),
        ("/admin/routing/export.yaml", f"count-{MORE - 1:02d}"),
    ],
)
def test_a_page_sends_as_many_statements_for_many_rows_as_for_few(
    admin_client: TestClient, dbs: Session, connection: Connection, path: str, shown: str
) -> None:
    before, _ = _count(admin_client, connection, path)
    _add_rows(dbs, MORE)
    after, text = _count(admin_client, connection, path)
    assert shown in text  # the new rows are on the page, with what they refer to
    assert after == before, f"{before} statements before {MORE} more rows, {after} after"
    assert after <= MAX_STATEMENTS
