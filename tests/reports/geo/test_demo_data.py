"""``ioc demo-data``: a small load whose rows are consistent as the real system would leave them."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import pytest
from sqlalchemy import ColumnElement, func, select, text
from sqlalchemy.orm import Session, aliased

from ioc.auth.models import Role
from ioc.settings import Settings
from reports.geo import demo_data, demo_write
from reports.lifecycle.service import ActionInput, Actor, apply_action
from reports.models import ActorKind, Report, ReportEvent, TrackingCounter
from reports.tracking.codes import CODE_PATTERN
from routing.basemap import extract, service
from routing.basemap.build import SHIPPED_BOUNDS, SHIPPED_EXTRACT
from routing.basemap.models import Street
from routing.models import Jurisdiction, JurisdictionLevel
from tests.conftest import MakeUser
from tests.reports.conftest import TAM_THANG, Post, photo
from tests.reports.geo.conftest import assert_cells_exact

N = 300
CLOSED = {"rejected", "duplicate", "published"}


@pytest.fixture
def before(dbs: Session) -> int:
    """The last report id before the load (earlier tests may have committed reports)."""
    return dbs.scalar(select(func.coalesce(func.max(Report.id), 0))) or 0


@pytest.fixture
def loaded(dbs: Session, before: int) -> demo_data.Loaded:
    return demo_data.load(dbs, N, seed=7, chunk=120)


@pytest.fixture
def demo(before: int, loaded: demo_data.Loaded) -> ColumnElement[bool]:
    """The loaded reports."""
    return Report.id > before


def _reports(dbs: Session, demo: ColumnElement[bool]) -> list[Report]:
    return list(dbs.scalars(select(Report).where(demo)))


def _timelines(dbs: Session, demo: ColumnElement[bool]) -> dict[int, list[ReportEvent]]:
    found: dict[int, list[ReportEvent]] = defaultdict(list)
    query = select(ReportEvent).join(Report).where(demo)
    for event in dbs.scalars(query.order_by(ReportEvent.report_id, ReportEvent.at)):
        found[event.report_id].append(event)
    return found


def test_places_lie_in_wards_and_routing_agrees(
    dbs: Session, loaded: demo_data.Loaded, demo: ColumnElement[bool]
) -> None:
    assert loaded.reports == N and sum(loaded.states.values()) == N
    ward = Jurisdiction
    containing = (
        select(func.min(ward.code))
        .where(ward.level == JurisdictionLevel.ward, func.ST_Intersects(ward.geom, Report.location))
        .scalar_subquery()
    )
    rows = dbs.execute(select(Report.ward_id, Report.office_id, containing).where(demo)).all()
    assert len(rows) == N
    codes = dict(dbs.execute(select(ward.id, ward.code)).all())
    for ward_id, office_id, inside in rows:
        assert inside is not None  # every place lies in a shipped ward
        assert (ward_id is not None and codes[ward_id] == inside) or office_id is not None


def test_codes_are_unique_and_the_counter_follows(dbs: Session, demo: ColumnElement[bool]) -> None:
    assert dbs.scalar(select(func.count()).where(demo)) == N
    codes = list(dbs.scalars(select(Report.tracking_code)))  # with any committed before
    assert len(set(codes)) == len(codes)
    last: dict[int, int] = defaultdict(int)
    for code in codes:
        match = CODE_PATTERN.fullmatch(code)
        assert match is not None
        last[int(match[1])] = max(last[int(match[1])], int(match[2]))
    for year, number in last.items():
        assert dbs.get_one(TrackingCounter, year).last == number  # gapless, from 1


def _check_timeline(report: Report, events: list[ReportEvent], now: datetime) -> None:
    assert events[0].action == "submit" and events[0].at == report.created_at
    state = None
    for event in events:
        assert event.from_state == state and event.at <= now
        state = event.to_state
    assert state == report.state
    actions = {e.action for e in events}
    assert (report.forwarded_at is not None) == ("verify_forward" in actions)
    assert (report.published_at is not None) == ("approve_result" in actions)
    if report.state in CLOSED or report.state == "resolved":
        assert report.due_at is None and not report.overdue
    else:
        assert report.due_at is not None
    if report.overdue:
        assert report.due_at is not None and report.due_at < now
        assert report.overdue_since == report.due_at and events[-1].action == "overdue"
    if report.state == "published":
        assert report.resolved_at is not None and report.published_at is not None
        assert report.forwarded_at <= report.resolved_at <= report.published_at  # type: ignore[operator]
    if report.state in ("rejected", "duplicate"):
        assert report.closed_at is not None
    if report.state == "duplicate":
        assert report.duplicate_of_id is not None and report.duplicate_of_id != report.id


def test_states_events_and_deadlines_are_consistent(
    dbs: Session, loaded: demo_data.Loaded, demo: ColumnElement[bool]
) -> None:
    now = datetime.now(UTC)
    timelines = _timelines(dbs, demo)
    reports = _reports(dbs, demo)
    assert len(reports) == N
    for report in reports:
        _check_timeline(report, timelines[report.id], now)
    states = {str(r.state) for r in reports}
    assert "published" in states and states & {"submitted", "assigned", "in_progress"}
    assert loaded.events == sum(len(t) for t in timelines.values())


def test_cells_match_and_stay_exact_after_real_intake_and_actions(
    dbs: Session, loaded: demo_data.Loaded, post: Post, settings: Settings, make_user: MakeUser
) -> None:
    assert_cells_exact(dbs)
    demo_codes = set(dbs.scalars(select(Report.tracking_code)))
    created = post(category="giao-thong", description="Ổ gà", photos=[photo()]).json()
    assert created["tracking_code"] not in demo_codes
    operator = make_user("op-demo", Role.ioc_operator)
    actor = Actor(ActorKind.staff, user_id=operator.id, role=Role.ioc_operator.value)
    apply_action(dbs, settings, created["id"], "verify_forward", actor, ActionInput())
    place: dict[str, Any] = {"lat": TAM_THANG[0] + 0.01, "lon": TAM_THANG[1]}
    apply_action(dbs, settings, created["id"], "relocate", actor, ActionInput(**place))
    dbs.flush()
    assert_cells_exact(dbs)


def test_a_duplicate_names_its_original_by_code(
    dbs: Session, before: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(demo_data, "REPEATS", 0.5)  # many repeats, of earlier chunks too
    demo_data.load(dbs, 200, seed=3, chunk=40)
    original = aliased(Report)
    rows = dbs.execute(
        select(ReportEvent.payload, original.tracking_code, Report.id, original.id)
        .join(Report, Report.id == ReportEvent.report_id)
        .join(original, original.id == Report.duplicate_of_id)
        .where(Report.id > before, ReportEvent.action == "mark_duplicate")
    ).all()
    # Ids come from the sequence, which rolled-back tests also moved: chunks by rank, not by id.
    made = dbs.scalars(select(Report.id).where(Report.id > before).order_by(Report.id)).all()
    rank = {id_: n // 40 for n, id_ in enumerate(made)}
    chunks = {(rank[copy], rank[first]) for *_, copy, first in rows}
    assert any(mine != its for mine, its in chunks)  # some originals were written before
    for payload, code, *_ in rows:
        assert payload == {"of": code}


def test_the_quiet_triggers_are_enabled_again(dbs: Session, loaded: demo_data.Loaded) -> None:
    enabled = dbs.execute(
        text("SELECT tgname, tgenabled FROM pg_trigger WHERE tgname = ANY(:names)"),
        {"names": [trigger for _, trigger in demo_write.QUIET]},
    ).all()
    assert sorted(enabled) == [("report_cells_insert", "O"), ("report_events_live", "O")]


def _chunk(start: int) -> demo_write.Chunk:
    return demo_write.Chunk(start, [], [], [], [])


def test_the_pipeline_writes_every_chunk_in_order() -> None:
    written: list[int] = []
    demo_write.pipeline((_chunk(i) for i in range(5)), lambda c: written.append(c.start))
    assert written == [0, 1, 2, 3, 4]


def test_an_error_in_the_maker_stops_the_load() -> None:
    def chunks() -> Iterator[demo_write.Chunk]:
        yield _chunk(0)
        raise ValueError("no more places")

    written: list[int] = []
    with pytest.raises(ValueError, match="no more places"):
        demo_write.pipeline(chunks(), lambda c: written.append(c.start))
    assert written == [0]


def test_an_error_in_the_writer_stops_the_maker() -> None:
    made: list[int] = []

    def chunks() -> Iterator[demo_write.Chunk]:
        for i in range(100):
            made.append(i)
            yield _chunk(i)

    def write(chunk: demo_write.Chunk) -> None:
        raise RuntimeError("disk full")

    with pytest.raises(RuntimeError, match="disk full"):
        demo_write.pipeline(chunks(), write)
    assert len(made) <= 3  # the one written, the one waiting, the one being made


def test_on_time_and_updated_at_agree_with_the_migrations_backfill(
    dbs: Session, loaded: demo_data.Loaded, before: int
) -> None:
    """The generator's flags are those that migration 0011_public would compute from events."""
    checked = dbs.execute(
        text(
            """
SELECT count(*) FILTER (WHERE r.published_at IS NOT NULL) AS published,
    count(*) FILTER (WHERE r.on_time IS DISTINCT FROM (CASE WHEN r.published_at IS NOT NULL
        THEN NOT EXISTS (SELECT 1 FROM report_events o WHERE o.report_id = r.id
            AND o.action = 'overdue' AND o.payload->>'stage' IN ('accept', 'resolve')
            AND o.at >= coalesce(r.forwarded_at, r.created_at) AND o.at <= r.published_at)
        END)) AS wrong_on_time,
    count(*) FILTER (WHERE r.updated_at <> coalesce((SELECT max(e.at) FROM report_events e
        WHERE e.report_id = r.id AND e.action <> 'overdue'), r.created_at)) AS wrong_updated,
    count(*) FILTER (WHERE r.on_time IS false) AS late
FROM reports r WHERE r.id > :before
"""
        ),
        {"before": before},
    ).one()
    assert checked.published > 0 and checked.late > 0
    assert checked.wrong_on_time == 0 and checked.wrong_updated == 0


def test_where_the_base_map_has_streets_demo_places_sit_on_them(dbs: Session) -> None:
    streets = service.replace_streets(dbs, extract.read(SHIPPED_EXTRACT), SHIPPED_BOUNDS)
    assert streets > 1000
    before = dbs.scalar(select(func.max(Report.id))) or 0
    demo_data.load(dbs, 400, seed=5, chunk=200)
    box = func.ST_MakeEnvelope(*SHIPPED_BOUNDS, 4326)
    new = (Report.id > before) & func.ST_Intersects(Report.location, box)
    on_street = select(Street.id).where(func.ST_DWithin(Street.geom, Report.location, 1e-7))
    inside = dbs.scalar(select(func.count()).select_from(Report).where(new)) or 0
    on = dbs.scalar(select(func.count()).select_from(Report).where(new, on_street.exists())) or 0
    # Without streets hardly any place lies exactly on one; far from a named street, none moves.
    assert inside >= 40 and on >= 0.5 * inside, (on, inside)
    # Routing still agrees: each report lies in the ward it was routed to.
    strays = dbs.scalar(
        select(func.count())
        .select_from(Report)
        .join(Jurisdiction, Jurisdiction.id == Report.ward_id)
        .where(new, ~func.ST_Intersects(Jurisdiction.geom, Report.location))
    )
    assert strays == 0
