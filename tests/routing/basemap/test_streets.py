"""The nearest named street: the place lookup says "Near <street>, <ward>" from the base map's
streets, by a KNN scan of their GiST index."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from routing.basemap import extract, queries, service
from routing.basemap.build import SHIPPED_BOUNDS
from routing.basemap.models import Street
from tests.routing.basemap.conftest import LE_LOI

TAM_THANG = (10.3736, 107.095)  # Vũng Tàu airport: no extract of Vũng Tàu is shipped
SONG_HUONG = (16.4720, 107.5920)  # on the Perfume River, 290 m from the nearest named road


@pytest.fixture
def streets(dbs: Session, hue_extract: extract.Extract) -> int:
    """The shipped extract's streets, in the test's transaction."""
    count = service.replace_streets(dbs, hue_extract, SHIPPED_BOUNDS)
    dbs.flush()
    return count


def test_a_point_on_le_loi_is_near_le_loi(dbs: Session, streets: int) -> None:
    assert service.street_near(dbs, *LE_LOI) == "Lê Lợi"


def test_the_nearest_in_metres_wins_and_far_from_every_road_there_is_none(
    dbs: Session, streets: int
) -> None:
    # Two made-up streets, away from the extract's: 0.00060° east is 64.1 m, 0.00059° north is
    # 65.3 m. In degrees the northern one is nearer, in metres the eastern one.
    lat, lon = 16.3000, 107.3000
    east = f"SRID=4326;LINESTRING({lon + 0.0006} {lat - 0.001}, {lon + 0.0006} {lat + 0.001})"
    north = f"SRID=4326;LINESTRING({lon - 0.001} {lat + 0.00059}, {lon + 0.001} {lat + 0.00059})"
    dbs.add_all(
        [
            Street(id=-10, name="Đông", highway="residential", geom=east),
            Street(id=-11, name="Bắc", highway="residential", geom=north),
        ]
    )
    dbs.flush()
    assert service.street_near(dbs, lat, lon) == "Đông"
    assert service.street_near(dbs, lat, lon, metres=50) is None
    assert service.street_near(dbs, *TAM_THANG) is None


def test_the_lookup_uses_the_gist_index(dbs: Session, streets: int) -> None:
    params = {"lat": LE_LOI[0], "lon": LE_LOI[1], "near": 150.0}
    compiled = queries.nearest_street().compile(dialect=dbs.get_bind().dialect)
    expanded = compiled.construct_expanded_state(params)
    connection = dbs.connection()
    connection.exec_driver_sql("SET LOCAL enable_seqscan = off")  # as on a large table
    rows = connection.exec_driver_sql("EXPLAIN " + expanded.statement, expanded.parameters)
    found = "\n".join(row[0] for row in rows)
    assert "idx_streets_geom" in found and "Order By" in found  # a KNN scan, not a sort


def test_the_place_lookup_names_the_street_and_the_ward(client: TestClient, streets: int) -> None:
    url = f"/api/v1/reports/place?lat={LE_LOI[0]}&lon={LE_LOI[1]}"
    place = client.get(url).json()
    assert place["street"] == "Lê Lợi"
    assert place["address"] == f"Gần Lê Lợi, {place['ward']['name']}"
    english = client.get(url, headers={"Accept-Language": "en"}).json()
    assert english["address"] == f"Near Lê Lợi, {place['ward']['name']}"


def test_without_a_street_nearby_only_the_ward_is_named(client: TestClient, streets: int) -> None:
    for lat, lon in (TAM_THANG, SONG_HUONG):
        place = client.get(f"/api/v1/reports/place?lat={lat}&lon={lon}").json()
        assert place["ward"] is not None
        assert place["street"] is None and place["address"] is None
