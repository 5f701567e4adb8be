"""The map grid: tiles, and counts kept exact by the triggers whatever changes the reports."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import delete, func, insert, select, text, update
from sqlalchemy.orm import Session

from reports.geo import cells
from reports.geo.models import ReportCell
from reports.models import LocationSource, Report, ReportState
from routing.models import Category
from routing.sla import Priority
from tests.reports.geo.conftest import assert_cells_exact, stored

START = datetime(2026, 1, 1, tzinfo=UTC)
STATES = [state.value for state in ReportState]

# Vietnam, and a few points on tile edges at the counted levels (x = 0 is a tile edge at all).
lons = st.one_of(st.floats(102.0, 110.0), st.sampled_from([0.0, 106.875, 107.578125]))
lats = st.one_of(st.floats(8.0, 23.5), st.sampled_from([0.0, 10.35, 16.46]))
hours = st.integers(0, 24 * 60)  # creation: hours after START (also around Vietnam's midnight)
row = st.tuples(lons, lats, st.sampled_from(STATES), st.integers(0, 2), hours)
subset = st.tuples(st.integers(2, 4), st.integers(0, 3))  # rows whose id % m == r
operation = st.one_of(
    st.tuples(st.just("insert"), st.lists(row, min_size=1, max_size=12)),
    st.tuples(st.just("state"), subset, st.sampled_from(STATES)),
    st.tuples(st.just("category"), subset, st.integers(0, 2)),
    st.tuples(st.just("move"), subset, lons, lats),
    st.tuples(st.just("created"), subset, hours),
    st.tuples(st.just("delete"), subset),
    st.tuples(st.just("noop"), subset),
)


def _values(lon: float, lat: float, state: str, category: int, hour: int, n: int) -> dict[str, Any]:
    return {
        "tracking_code": f"PA-TEST-{n:06d}",
        "state": ReportState(state),
        "category_id": category,
        "location": f"SRID=4326;POINT({lon} {lat})",
        "location_source": LocationSource.given,
        "priority": Priority.normal,
        "status_token_hash": "x" * 64,
        "submitter_key": "y" * 64,
        "created_at": START + timedelta(hours=hour),
    }


class Runner:
    """Applies operations to the reports, each as one statement over many rows."""

    def __init__(self, dbs: Session) -> None:
        self.dbs = dbs
        self.categories = list(dbs.scalars(select(Category.id).order_by(Category.id).limit(3)))
        self.serial = 0

    def run(self, op: tuple[Any, ...]) -> None:
        """One INSERT, UPDATE or DELETE statement."""
        kind = op[0]
        if kind == "insert":
            rows = []
            for lon, lat, state, category, hour in op[1]:
                self.serial += 1
                rows.append(_values(lon, lat, state, self.categories[category], hour, self.serial))
            self.dbs.execute(insert(Report).values(rows))
            return
        modulus, rest = op[1]
        # Only the test's own reports: others (committed by earlier tests) may have events.
        chosen = (Report.id % modulus == rest) & Report.tracking_code.like("PA-TEST-%")
        if kind == "delete":
            self.dbs.execute(delete(Report).where(chosen))
            return
        values = self.changes(op)
        self.dbs.execute(update(Report).where(chosen).values(**values))

    def changes(self, op: tuple[Any, ...]) -> dict[str, Any]:
        """The columns an UPDATE operation sets."""
        kind = op[0]
        if kind == "state":
            return {"state": ReportState(op[2])}
        if kind == "category":
            return {"category_id": self.categories[op[2]]}
        if kind == "move":
            return {"location": func.ST_SetSRID(func.ST_MakePoint(op[2], op[3]), 4326)}
        if kind == "created":
            return {"created_at": START + timedelta(hours=op[2])}
        return {"version": Report.version + 1}


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(operations=st.lists(operation, min_size=1, max_size=8))
def test_counts_equal_a_group_by_after_any_changes(dbs: Session, operations: list[Any]) -> None:
    savepoint = dbs.begin_nested()
    try:
        runner = Runner(dbs)
        for op in operations:
            runner.run(op)
        assert_cells_exact(dbs)
    finally:
        savepoint.rollback()


def test_rebuild_repairs_counts_and_equals_the_triggers(dbs: Session) -> None:
    runner = Runner(dbs)
    runner.run(("insert", [(107.08, 10.34, "submitted", 0, 5), (107.58, 16.46, "assigned", 1, 30)]))
    before = stored(dbs)
    dbs.execute(update(ReportCell).values(n=ReportCell.n + 5))
    dbs.execute(text("INSERT INTO report_cells VALUES (7, 1, 1, 'submitted', 1, 3)"))
    cells.rebuild(dbs)
    assert stored(dbs) == before
    assert_cells_exact(dbs)


def test_a_cell_is_the_tile_whose_envelope_holds_the_point(dbs: Session) -> None:
    points = [(107.0843, 10.3460), (107.5786, 16.4668), (106.875, 10.35), (0.0, 0.0)]
    for lon, lat in points:
        web = func.ST_Transform(func.ST_SetSRID(func.ST_MakePoint(lon, lat), 4326), 3857)
        for level in cells.LEVELS:
            x, y = cells.tile_of(lon, lat, level)
            found = dbs.execute(
                select(
                    cells.tile_x(web, level),
                    cells.tile_y(web, level),
                    func.ST_Intersects(func.ST_TileEnvelope(level, x, y), web),
                )
            ).one()
            assert found == (x, y, True)


def test_the_levels_are_the_databases() -> None:
    assert cells.LEVELS == (7, 10, 13, 16)


def test_the_sql_levels_match_python(dbs: Session) -> None:
    assert tuple(dbs.scalar(text("SELECT report_cell_levels()"))) == cells.LEVELS


def test_the_day_is_vietnams(dbs: Session) -> None:
    late = datetime(2026, 3, 1, 17, 30, tzinfo=UTC)  # 00:30 on 2 March in Vietnam
    assert str(dbs.scalar(select(cells.report_day(late)))) == "2026-03-02"
