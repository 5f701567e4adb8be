"""Vector tiles of the map: clusters from the grid, points, clusters on the fly, bad addresses."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import mapbox_vector_tile
import pytest
from sqlalchemy.orm import Session

from dashboard.operator import tiles
from dashboard.operator.filters import parse_filters, shape
from ioc.auth.models import Role
from reports.models import ReportState
from routing.sla import VN_TZ, Priority
from tests.conftest import MakeUser, sign_in
from tests.dashboard.operator.conftest import (
    MakeReport,
    bulk_reports,
    explain,
    tile_of,
)

# Out at sea off Khánh Hoà: no other test's reports (committed by browser tests) are near.
SEA = (12.1, 109.6)
NEAR = (12.1003, 109.6004)  # some 50 m away: the same cell up to zoom 16


def features(body: bytes) -> list[dict[str, Any]]:
    """The features of a tile's ``reports`` layer, each its properties plus its tile position."""
    decoded = mapbox_vector_tile.decode(body)
    assert set(decoded) == {"reports"}
    return [
        {**f["properties"], "xy": tuple(f["geometry"]["coordinates"])}
        for f in decoded["reports"]["features"]
    ]


def get_tile(client: Any, z: int, x: int, y: int, query: str = "") -> list[dict[str, Any]]:
    """The features of a tile, fetched as the map does."""
    answer = client.get(f"/dashboard/tiles/{z}/{x}/{y}.mvt?{query}")
    if answer.status_code == 204:
        return []
    assert answer.status_code == 200, answer.text
    assert answer.headers["content-type"] == "application/vnd.mapbox-vector-tile"
    assert answer.headers["cache-control"] == "private, max-age=5"
    return features(answer.content)


def test_low_zooms_draw_clusters_from_the_grid(
    operator_client: Any, make_report: MakeReport
) -> None:
    for _ in range(3):
        make_report(at=SEA, ward=None, suggested=None)
    make_report(at=NEAR, ward=None, suggested=None, overdue=True, due_in=timedelta(hours=-1))
    make_report(at=SEA, ward=None, suggested=None, state=ReportState.published, due_in=None)
    make_report(at=SEA, ward=None, suggested=None, category="chieu-sang")
    for z in (5, 8, 11, 14):
        found = get_tile(operator_client, *tile_of(*SEA, z))
        assert [(f["kind"], f["count"], f["overdue"]) for f in found] == [("cluster", 5, 1)], z
    everything = get_tile(operator_client, *tile_of(*SEA, 8), "state=all")
    assert [f["count"] for f in everything] == [6]
    lights = get_tile(operator_client, *tile_of(*SEA, 8), "category=chieu-sang")
    assert [(f["count"], f["overdue"]) for f in lights] == [(1, 0)]


def test_a_date_range_reads_the_daily_grid(operator_client: Any, make_report: MakeReport) -> None:
    march_1 = datetime(2026, 3, 1, 23, 30, tzinfo=VN_TZ)
    make_report(at=SEA, ward=None, suggested=None, created_at=march_1)
    make_report(at=SEA, ward=None, suggested=None, created_at=march_1 + timedelta(hours=1))
    address = tile_of(*SEA, 8)
    assert [f["count"] for f in get_tile(operator_client, *address, "from=2026-03-01")] == [2]
    one_day = get_tile(operator_client, *address, "from=2026-03-01&to=2026-03-01")
    assert [f["count"] for f in one_day] == [1]
    assert get_tile(operator_client, *address, "to=2026-02-28") == []


def test_zoomed_in_each_report_is_a_point(operator_client: Any, make_report: MakeReport) -> None:
    late = make_report(at=SEA, ward=None, suggested=None, overdue=True, due_in=timedelta(hours=-1))
    urgent = make_report(at=NEAR, ward=None, suggested=None, priority=Priority.urgent)
    found = get_tile(operator_client, *tile_of(*SEA, 15))
    by_code = {f["code"]: f for f in found}
    assert set(by_code) == {late.tracking_code, urgent.tracking_code}
    assert {k: v for k, v in by_code[late.tracking_code].items() if k != "xy"} == {
        "kind": "point",
        "code": late.tracking_code,
        "state": "submitted",
        "overdue": 1,
        "category": "giao-thong",
        "priority": "normal",
    }
    assert by_code[urgent.tracking_code]["priority"] == "urgent"
    assert by_code[urgent.tracking_code]["overdue"] == 0
    assert by_code[late.tracking_code]["xy"] != by_code[urgent.tracking_code]["xy"]


def test_other_filters_read_reports_even_at_low_zoom(
    operator_client: Any, make_report: MakeReport
) -> None:
    urgent = make_report(at=SEA, ward=None, suggested=None, priority=Priority.urgent)
    make_report(at=SEA, ward=None, suggested=None)
    found = get_tile(operator_client, *tile_of(*SEA, 5), "priority=urgent")
    assert [(f["kind"], f["code"]) for f in found] == [("point", urgent.tracking_code)]
    words = get_tile(operator_client, *tile_of(*SEA, 8), f"q={urgent.tracking_code}")
    assert [f["code"] for f in words] == [urgent.tracking_code]


def test_a_crowded_tile_is_grouped_on_the_fly(
    operator_client: Any, dbs: Session, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(tiles, "MAX_POINTS", 30)
    bulk_reports(dbs, 31, SEA, metres=20)
    found = get_tile(operator_client, *tile_of(*SEA, 17))
    assert sum(f["count"] for f in found) == 31 and {f["kind"] for f in found} == {"cluster"}
    assert len(found) <= 16  # 64 px cells of a 256 px tile
    filtered = get_tile(operator_client, *tile_of(*SEA, 17), "priority=urgent")
    assert filtered == []


def test_a_crowded_tile_at_zoom_16_is_drawn_from_the_grid(
    operator_client: Any, dbs: Session, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(tiles, "MAX_POINTS", 30)
    bulk_reports(dbs, 31, SEA, metres=20)
    bulk_reports(dbs, 5, SEA, metres=20, state="published")
    address = tile_of(*SEA, 16)
    f = parse_filters(dbs, {})
    assert tiles._choose(dbs, f, *address)[0] is tiles._grid_statement(shape(f))
    found = get_tile(operator_client, *address)
    assert [(f["kind"], f["count"]) for f in found] == [("cluster", 31)]
    assert sum(f["count"] for f in get_tile(operator_client, *address, "state=all")) == 36
    assert sum(f["count"] for f in get_tile(operator_client, *tile_of(*SEA, 15))) == 31


def test_a_full_tile_stays_under_100_kb(operator_client: Any, dbs: Session) -> None:
    bulk_reports(dbs, tiles.MAX_POINTS, SEA, metres=20)  # all points: the largest tile
    answer = operator_client.get("/dashboard/tiles/{}/{}/{}.mvt".format(*tile_of(*SEA, 18)))
    assert answer.status_code == 200
    assert len(features(answer.content)) == tiles.MAX_POINTS
    assert len(answer.content) < 100_000


def test_the_viewport_query_uses_the_spatial_index(dbs: Session) -> None:
    for params in ({"priority": "urgent"}, {}):
        f = parse_filters(dbs, params)
        for statement in (
            tiles.points_tile(f, *tile_of(*SEA, 16)),
            tiles.count_in_tile(f, *tile_of(*SEA, 16), up_to=10),
        ):
            plan = explain(dbs, *statement, seqscan=False)
            assert "ix_reports_web_point" in plan, plan


def test_the_grid_and_its_overdue_counts_read_indexes_only(dbs: Session) -> None:
    f = parse_filters(dbs, {})
    z, x, y = tile_of(*SEA, 8)
    plan = explain(dbs, *tiles.grid_tile(f, z, x, y, 10), seqscan=False)
    assert "pk_report_cells" in plan, plan
    assert "Index Only Scan using ix_reports_overdue_cells" in plan, plan


def test_an_empty_tile_is_204(operator_client: Any) -> None:
    answer = operator_client.get("/dashboard/tiles/3/0/0.mvt")
    assert answer.status_code == 204 and answer.content == b""


@pytest.mark.parametrize(
    "address", ["23/0/0", "-1/0/0", "0/1/0", "0/0/1", "3/8/0", "3/0/-1", "22/4194304/0"]
)
def test_a_tile_off_the_map_is_404(operator_client: Any, address: str) -> None:
    answer = operator_client.get(
        f"/dashboard/tiles/{address}.mvt", headers={"Accept": "application/json"}
    )
    assert answer.status_code == 404
    assert answer.json()["detail"] == "Không có ô bản đồ này."


@pytest.mark.parametrize("address", ["a/0/0", "1/0/0.5", "99999999999999999999/0/0"])
def test_a_tile_address_that_is_not_numbers_is_a_4xx(operator_client: Any, address: str) -> None:
    assert operator_client.get(f"/dashboard/tiles/{address}.mvt").status_code in (404, 422)


def test_bad_filters_on_a_tile_are_422(operator_client: Any) -> None:
    answer = operator_client.get(
        "/dashboard/tiles/5/25/14.mvt?q=" + "x" * 10_000, headers={"Accept": "application/json"}
    )
    assert answer.status_code == 422 and answer.json()["field"] == "q"


def test_tiles_are_for_the_ioc(client: Any, make_user: MakeUser) -> None:
    assert client.get("/dashboard/tiles/5/25/14.mvt").status_code == 401
    make_user("agency1", Role.agency_staff)
    sign_in(client, "agency1")
    assert client.get("/dashboard/tiles/5/25/14.mvt").status_code == 403
