"""Serving the base map: tiles from the archive with gzip passed through, ETags and 304s, 204
for an empty tile, 404 for anything that is not a tile of the map, and its TileJSON."""

from __future__ import annotations

import gzip
import shutil
import sqlite3
from contextlib import closing
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from ioc.settings import Settings
from routing.basemap import archive
from routing.basemap.build import SHIPPED_BOUNDS, Built, new_build_id, stamp
from routing.basemap.views import accepts_gzip
from tests.routing.basemap.conftest import (
    LE_LOI,
    decoded,
    make_client,
    stored_tile,
    with_basemap_dir,
)

MVT = "application/vnd.mapbox-vector-tile"


def le_loi_tile(z: int = 15) -> str:
    x, y = archive.tile_of(LE_LOI[1], LE_LOI[0], z)
    return f"/basemap/{z}/{x}/{y}.mvt"


def empty_tile_inside(path: Path, z: int = 16) -> tuple[int, int, int]:
    """A tile within the bounds that the archive does not hold (nothing to draw there)."""
    west, south, east, north = SHIPPED_BOUNDS
    x0, y1 = archive.tile_of(west, south, z)
    x1, y0 = archive.tile_of(east, north, z)
    for x in range(x0, x1 + 1):
        for y in range(y0, y1 + 1):
            if stored_tile(path, z, x, y) is None:
                return z, x, y
    raise AssertionError("every tile in the bounds holds something")


def test_a_tile_is_sent_gzipped_as_stored(basemap_client: TestClient, built: Built) -> None:
    response = basemap_client.get(le_loi_tile(), headers={"Accept-Encoding": "gzip"})
    assert response.status_code == 200
    assert response.headers["content-type"] == MVT
    assert response.headers["content-encoding"] == "gzip"
    assert response.headers["vary"] == "Accept-Encoding"
    z, x, y = (int(p) for p in le_loi_tile().removesuffix(".mvt").split("/")[2:])
    stored = stored_tile(built.path, z, x, y)
    assert stored is not None and response.content == gzip.decompress(stored)  # httpx gunzips
    names = {f["properties"].get("name") for f in decoded(response.content)["roads"]["features"]}
    assert "Lê Lợi" in names


def test_a_client_without_gzip_gets_the_plain_tile(basemap_client: TestClient) -> None:
    response = basemap_client.get(le_loi_tile(), headers={"Accept-Encoding": "identity"})
    assert response.status_code == 200 and "content-encoding" not in response.headers
    assert not response.content.startswith(archive.GZIP_MAGIC)
    assert decoded(response.content)["roads"]["features"]


def test_etags_give_304s_and_the_versioned_url_is_cached_for_a_year(
    basemap_client: TestClient, built: Built
) -> None:
    plain = basemap_client.get(le_loi_tile())
    assert plain.headers["etag"] == f'"{built.build_id}-gz"'
    assert plain.headers["cache-control"] == "public, max-age=3600"
    versioned = basemap_client.get(f"{le_loi_tile()}?v={built.build_id}")
    assert versioned.headers["cache-control"] == "public, max-age=31536000, immutable"
    again = basemap_client.get(le_loi_tile(), headers={"If-None-Match": plain.headers["etag"]})
    assert again.status_code == 304 and again.content == b""
    assert again.headers["etag"] == plain.headers["etag"]
    other = basemap_client.get(le_loi_tile(), headers={"If-None-Match": '"an-old-build-gz"'})
    assert other.status_code == 200


def test_an_empty_tile_inside_the_bounds_is_204(basemap_client: TestClient, built: Built) -> None:
    z, x, y = empty_tile_inside(built.path)
    response = basemap_client.get(f"/basemap/{z}/{x}/{y}.mvt")
    assert response.status_code == 204 and response.content == b""
    assert response.headers["etag"].startswith(f'"{built.build_id}')


@pytest.mark.parametrize(
    ("path", "message"),
    [
        ("/basemap/7/104/56.mvt", "Bản đồ nền có các mức thu phóng từ 8 đến 16."),
        ("/basemap/17/104700/57600.mvt", "Bản đồ nền có các mức thu phóng từ 8 đến 16."),
        ("/basemap/99999999/1/1.mvt", "Không có ô bản đồ này"),
        ("/basemap/15/-1/14400.mvt", "Không có ô bản đồ này"),
        ("/basemap/15/abc/14400.mvt", "Không có ô bản đồ này"),
        ("/basemap/15/1e3/14400.mvt", "Không có ô bản đồ này"),
        ("/basemap/15/32768/14400.mvt", "nằm ngoài bản đồ nền"),
        ("/basemap/15/26130/15436.mvt", "nằm ngoài bản đồ nền"),  # Vũng Tàu
    ],
)
def test_anything_but_a_tile_of_the_map_is_404(
    basemap_client: TestClient, path: str, message: str
) -> None:
    response = basemap_client.get(path, headers={"Accept": "application/json"})
    assert response.status_code == 404
    assert response.headers["content-type"].startswith("application/problem+json")
    assert message in response.json()["detail"]


def test_without_an_archive_tiles_and_tilejson_are_404_with_a_clear_message(
    settings: Settings, engine: Engine, dbs: Session, tmp_path: Path
) -> None:
    with make_client(with_basemap_dir(settings, tmp_path), engine, dbs) as client:
        for path in (le_loi_tile(), "/basemap/tiles.json"):
            response = client.get(
                path, headers={"Accept": "application/json", "Accept-Language": "en"}
            )
            assert response.status_code == 404
            assert "No base map has been built" in response.json()["detail"]


def test_an_unreadable_archive_is_a_404_not_a_500(
    settings: Settings, engine: Engine, dbs: Session, tmp_path: Path
) -> None:
    (tmp_path / archive.ARCHIVE_NAME).write_bytes(b"SQLite format 3\x00" + b"\x00" * 100)
    with make_client(with_basemap_dir(settings, tmp_path), engine, dbs) as client:
        assert client.get(le_loi_tile()).status_code == 404
        assert client.get("/basemap/tiles.json").status_code == 404


def test_tilejson_describes_this_build(basemap_client: TestClient, built: Built) -> None:
    response = basemap_client.get("/basemap/tiles.json")
    assert response.status_code == 200
    body = response.json()
    assert body["tilejson"] == "3.0.0"
    assert body["tiles"] == [f"http://testserver/basemap/{{z}}/{{x}}/{{y}}.mvt?v={built.build_id}"]
    assert (body["minzoom"], body["maxzoom"]) == (8, 16)
    assert body["bounds"] == list(SHIPPED_BOUNDS)
    assert body["attribution"] == "© OpenStreetMap contributors"
    assert {layer["id"] for layer in body["vector_layers"]} >= {"roads", "buildings", "pois"}
    again = basemap_client.get(
        "/basemap/tiles.json", headers={"If-None-Match": f'"{body["build_id"]}"'}
    )
    assert again.status_code == 304


def _archive_copy(built: Built, tmp_path: Path) -> Path:
    """A base map directory of the test's own, holding a copy of the built archive."""
    directory = tmp_path / "basemap"
    directory.mkdir()
    shutil.copy(built.path, directory / archive.ARCHIVE_NAME)
    return directory


def test_a_rebuilt_archive_is_served_at_once_with_its_new_etag(
    settings: Settings, engine: Engine, dbs: Session, tmp_path: Path, built: Built
) -> None:
    directory = _archive_copy(built, tmp_path)
    with make_client(with_basemap_dir(settings, directory), engine, dbs) as client:
        first = client.get(le_loi_tile()).headers["etag"]
        copy = tmp_path / "next.mbtiles"
        shutil.copy(built.path, copy)
        rebuilt = new_build_id()
        stamp(copy, rebuilt, SHIPPED_BOUNDS, copy)
        copy.replace(directory / archive.ARCHIVE_NAME)
        second = client.get(le_loi_tile()).headers["etag"]
        assert first == f'"{built.build_id}-gz"' and second == f'"{rebuilt}-gz"'
        assert rebuilt in client.get("/basemap/tiles.json").json()["tiles"][0]


def test_accept_encoding_is_read_with_its_qualities() -> None:
    assert accepts_gzip("gzip, deflate, br")
    assert accepts_gzip("br;q=1.0, gzip;q=0.8")
    assert accepts_gzip("*")
    assert not accepts_gzip("gzip;q=0")
    assert not accepts_gzip("identity")
    assert not accepts_gzip("")


@pytest.mark.parametrize(
    "path",
    [
        "/basemap/17/104700/57600.mvt",  # a zoom the map does not have
        "/basemap/15/26130/15436.mvt",  # outside the map (Vũng Tàu)
        "/basemap/15/abc/14400.mvt",
        "/basemap/15/1/2.png",  # no such route
    ],
)
def test_a_browser_asking_for_a_bad_tile_gets_a_problem_not_a_page(
    basemap_client: TestClient, path: str
) -> None:
    response = basemap_client.get(path, headers={"Accept": "text/html,*/*"})
    assert response.status_code == 404
    assert response.headers["content-type"].startswith("application/problem+json")
    assert "<html" not in response.text.lower()


def test_without_an_archive_a_browser_gets_a_problem_not_a_page(
    settings: Settings, engine: Engine, dbs: Session, tmp_path: Path
) -> None:
    with make_client(with_basemap_dir(settings, tmp_path), engine, dbs) as client:
        response = client.get(le_loi_tile(), headers={"Accept": "text/html"})
        assert response.status_code == 404
        assert response.headers["content-type"].startswith("application/problem+json")


def test_an_archive_of_metadata_without_tiles_is_a_404_not_a_500(
    settings: Settings, engine: Engine, dbs: Session, tmp_path: Path, built: Built
) -> None:
    shutil.copy(built.path, tmp_path / archive.ARCHIVE_NAME)
    with closing(sqlite3.connect(tmp_path / archive.ARCHIVE_NAME)) as conn, conn:
        conn.execute("DROP TABLE tiles")
    with make_client(with_basemap_dir(settings, tmp_path), engine, dbs) as client:
        assert client.get("/basemap/tiles.json").status_code == 200  # its metadata reads
        response = client.get(le_loi_tile(), headers={"Accept": "application/json"})
        assert response.status_code == 404
        assert "No base map" in client.get(le_loi_tile(), headers={"Accept-Language": "en"}).text


def test_a_replaced_archive_s_tiles_are_read_from_the_new_file(
    settings: Settings, engine: Engine, dbs: Session, tmp_path: Path, built: Built
) -> None:
    directory = _archive_copy(built, tmp_path)
    with make_client(with_basemap_dir(settings, directory), engine, dbs) as client:
        assert client.get(le_loi_tile()).status_code == 200  # the thread's connection is open
        copy = tmp_path / "next.mbtiles"
        shutil.copy(built.path, copy)
        z, x, y = (int(p) for p in le_loi_tile().removesuffix(".mvt").split("/")[2:])
        with closing(sqlite3.connect(copy)) as conn, conn:
            conn.execute(
                "DELETE FROM tiles WHERE zoom_level = ? AND tile_column = ? AND tile_row = ?",
                (z, x, (1 << z) - 1 - y),
            )
        copy.replace(directory / archive.ARCHIVE_NAME)
        assert client.get(le_loi_tile()).status_code == 204
