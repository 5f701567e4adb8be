"""``ioc basemap build``: the shipped extract becomes tiles with named roads; bad input replaces
nothing and says why."""

from __future__ import annotations

import re
import shutil
import sqlite3
from collections.abc import Iterator
from contextlib import closing
from pathlib import Path

import osmium
import pytest
from click.testing import CliRunner, Result
from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session, sessionmaker

from ioc.cli import main
from ioc.cli_context import CliContext
from ioc.settings import Settings
from routing.basemap import archive, extract, service
from routing.basemap.build import PROFILE_DIR, SHIPPED_BOUNDS, Built
from routing.basemap.models import Street
from routing.basemap.roads import ROAD_KINDS
from tests.routing.basemap.conftest import LE_LOI, decoded, stored_tile, with_basemap_dir

HANOI = (105.8542, 21.0285)  # lon, lat: no ward of the system


def write_pbf(path: Path, lon: float, lat: float, tags: dict[str, str]) -> Path:
    """A small extract: one way of three nodes near a place, with these tags."""
    with osmium.SimpleWriter(str(path)) as writer:
        for i in range(3):
            location = osmium.osm.Location(lon + i * 0.001, lat + i * 0.0005)
            writer.add_node(osmium.osm.mutable.Node(id=i + 1, location=location))
        writer.add_way(osmium.osm.mutable.Way(id=1, nodes=[1, 2, 3], tags=tags))
    return path


@pytest.fixture
def good_archive(tmp_path: Path, built: Built) -> Path:
    """A directory holding a copy of a good archive, to see that failures leave it alone."""
    directory = tmp_path / "basemap"
    directory.mkdir()
    shutil.copy(built.path, directory / archive.ARCHIVE_NAME)
    return directory


@pytest.fixture
def cli(settings: Settings, dbs: Session, good_archive: Path) -> Iterator[CliContext]:
    """The CLI on the test's transaction, building into ``good_archive``."""
    factory = sessionmaker(bind=dbs.connection(), join_transaction_mode="create_savepoint")
    yield CliContext(settings=with_basemap_dir(settings, good_archive), sessions=factory)


def run(cli: CliContext, *args: str) -> Result:
    return CliRunner().invoke(main, ["basemap", "build", *args], obj=cli)


def test_the_shipped_extract_becomes_tiles_of_zooms_8_to_16(built: Built) -> None:
    assert sorted(built.tiles) == list(range(8, 17))
    with archive.connect(built.path) as conn:
        meta = archive.read_metadata(conn)
    assert meta.build_id == built.build_id
    assert meta.bounds == SHIPPED_BOUNDS and (meta.minzoom, meta.maxzoom) == (8, 16)
    assert meta.attribution == "© OpenStreetMap contributors"
    layers = {layer["id"] for layer in meta.vector_layers}
    assert layers == {"roads", "buildings", "water", "landuse", "places", "pois"}
    assert built.streets > 1000 and "Phường Phú Xuân" in built.wards
    assert built.features["lines"] > 10000 and built.size == built.path.stat().st_size


@pytest.mark.parametrize("z", [12, 13, 14, 15, 16])
def test_tiles_around_central_hue_hold_named_roads_in_vietnamese(built: Built, z: int) -> None:
    x, y = archive.tile_of(LE_LOI[1], LE_LOI[0], z)
    data = stored_tile(built.path, z, x, y)
    assert data is not None and data.startswith(archive.GZIP_MAGIC)
    layers = decoded(data)
    names = {f["properties"].get("name") for f in layers["roads"]["features"]}
    assert "Lê Lợi" in names
    if z >= 14:
        assert layers["buildings"]["features"]
    assert "water" in layers  # the Perfume River


def test_the_city_s_pois_are_kept_with_their_names(built: Built) -> None:
    kinds: set[str] = set()
    with archive.connect(built.path) as conn:
        for (data,) in conn.execute("SELECT tile_data FROM tiles WHERE zoom_level = 16"):
            for feature in decoded(bytes(data)).get("pois", {}).get("features", []):
                assert feature["properties"]["name"]
                kinds.add(feature["properties"]["kind"])
    assert {"school", "hospital", "marketplace", "townhall", "government"} <= kinds


def test_the_profile_and_the_streets_keep_the_same_road_classes() -> None:
    lua = (PROFILE_DIR / "process.lua").read_text(encoding="utf-8")
    table = lua.split("ROAD_KINDS = {", 1)[1].split("\n}", 1)[0]
    assert set(re.findall(r"(\w+) = \{", table)) == ROAD_KINDS


def test_the_streets_of_the_extract_s_box_are_replaced(
    dbs: Session, hue_extract: extract.Extract
) -> None:
    far = Street(
        id=-1,
        name="Thùy Vân",
        highway="primary",
        geom="SRID=4326;LINESTRING(107.09 10.34, 107.10 10.35)",
    )
    stale = Street(
        id=-2,
        name="Gone",
        highway="primary",
        geom="SRID=4326;LINESTRING(107.58 16.46, 107.59 16.47)",
    )
    dbs.add_all([far, stale])
    dbs.flush()
    first = service.replace_streets(dbs, hue_extract, SHIPPED_BOUNDS)
    again = service.replace_streets(dbs, hue_extract, SHIPPED_BOUNDS)
    count = dbs.scalar(select(func.count()).select_from(Street))
    assert first == again and count == first + 1  # the far street stays, the stale one went
    names = set(dbs.scalars(select(Street.name)))
    assert "Thùy Vân" in names and "Gone" not in names and "Lê Lợi" in names


def test_the_cli_prints_its_progress_and_a_summary(
    cli: CliContext, good_archive: Path, dbs: Session
) -> None:
    before = (good_archive / archive.ARCHIVE_NAME).stat().st_ino
    result = run(cli)
    assert result.exit_code == 0, result.output
    assert "Reading the extract" in result.output and "Writing tiles" in result.output
    assert re.search(r"tiles: +[\d,]+ \(z8–16\), [\d.]+ MB", result.output)
    assert re.search(r"streets: +1,\d{3} named roads", result.output)
    assert (good_archive / archive.ARCHIVE_NAME).stat().st_ino != before  # replaced whole
    assert (dbs.scalar(select(func.count()).select_from(Street)) or 0) > 1000
    assert [p.name for p in good_archive.iterdir()] == [archive.ARCHIVE_NAME]


def _bad_inputs(tmp_path: Path) -> list[tuple[Path, str]]:
    empty = tmp_path / "empty.osm.pbf"
    empty.write_bytes(b"")
    shipped = (Path(__file__).parents[3] / "routing/data/hue_osm_2026-04.osm.pbf").read_bytes()
    cut = tmp_path / "cut.osm.pbf"
    cut.write_bytes(shipped[: len(shipped) // 2])
    text = tmp_path / "notes.osm.pbf"
    text.write_text("not OpenStreetMap data\n" * 100)
    road = {"highway": "residential", "name": "Phố Huế"}
    return [
        (tmp_path / "missing.osm.pbf", "no such file"),
        (empty, "the file is empty"),
        (cut, "not a readable OpenStreetMap .osm.pbf file"),
        (text, "not a readable OpenStreetMap .osm.pbf file"),
        (write_pbf(tmp_path / "hanoi.osm.pbf", *HANOI, road), "covers none of the system's wards"),
        (write_pbf(tmp_path / "nr.osm.pbf", 107.58, 16.46, {"building": "yes"}), "holds no roads"),
    ]


def test_bad_extracts_are_refused_and_replace_nothing(
    cli: CliContext, good_archive: Path, tmp_path: Path, dbs: Session
) -> None:
    archive_file = good_archive / archive.ARCHIVE_NAME
    before = archive_file.read_bytes()
    for path, message in _bad_inputs(tmp_path):
        result = run(cli, str(path))
        assert result.exit_code == 1, (path, result.output)
        assert message in result.output and "Nothing was replaced." in result.output
        assert archive_file.read_bytes() == before
        assert [p.name for p in good_archive.iterdir()] == [archive.ARCHIVE_NAME]
    assert dbs.scalar(select(func.count()).select_from(Street)) == 0


def test_without_tilemaker_the_fix_is_named_and_nothing_is_replaced(
    cli: CliContext, good_archive: Path, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    before = (good_archive / archive.ARCHIVE_NAME).read_bytes()
    monkeypatch.setenv("PATH", str(tmp_path))  # a machine without tilemaker
    result = run(cli)
    assert result.exit_code == 1
    assert "tilemaker is not installed: run `make setup`" in result.output
    assert (good_archive / archive.ARCHIVE_NAME).read_bytes() == before


@pytest.mark.parametrize("bbox", ["1,2,3", "107.7,16.4,107.5,16.5", "a,b,c,d"])
def test_a_bad_bbox_is_a_usage_error(cli: CliContext, bbox: str) -> None:
    result = run(cli, "--bbox", bbox)
    assert result.exit_code == 2 and "--bbox" in result.output


def test_ensure_builds_once_then_leaves_the_base_map_alone(
    settings: Settings, dbs: Session, tmp_path: Path
) -> None:
    factory = sessionmaker(bind=dbs.connection(), join_transaction_mode="create_savepoint")
    cli = CliContext(settings=with_basemap_dir(settings, tmp_path), sessions=factory)
    first = CliRunner().invoke(main, ["basemap", "ensure"], obj=cli)
    assert first.exit_code == 0, first.output
    assert "Base map built" in first.output
    built_inode = (tmp_path / archive.ARCHIVE_NAME).stat().st_ino
    second = CliRunner().invoke(main, ["basemap", "ensure"], obj=cli)
    assert second.exit_code == 0 and "is there" in second.output
    assert (tmp_path / archive.ARCHIVE_NAME).stat().st_ino == built_inode


def test_ensure_without_tilemaker_lets_the_demo_run_on(
    settings: Settings, dbs: Session, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))
    factory = sessionmaker(bind=dbs.connection(), join_transaction_mode="create_savepoint")
    cli = CliContext(settings=with_basemap_dir(settings, tmp_path / "map"), sessions=factory)
    result = CliRunner().invoke(main, ["basemap", "ensure"], obj=cli)
    assert result.exit_code == 0
    assert "Base map not built: tilemaker is not installed" in result.output
    assert not (tmp_path / "map" / archive.ARCHIVE_NAME).exists()


def test_ensure_puts_back_the_streets_of_a_fresh_database_but_never_replaces_a_city_s_map(
    settings: Settings, dbs: Session, tmp_path: Path
) -> None:
    factory = sessionmaker(bind=dbs.connection(), join_transaction_mode="create_savepoint")
    cli = CliContext(settings=with_basemap_dir(settings, tmp_path), sessions=factory)
    assert CliRunner().invoke(main, ["basemap", "ensure"], obj=cli).exit_code == 0
    dbs.execute(delete(Street))  # a database made afresh beside the old archive
    again = CliRunner().invoke(main, ["basemap", "ensure"], obj=cli)
    assert again.exit_code == 0 and "Base map built" in again.output
    assert (dbs.scalar(select(func.count()).select_from(Street)) or 0) > 1000
    path = tmp_path / archive.ARCHIVE_NAME
    with closing(sqlite3.connect(path)) as conn, conn:
        conn.execute("UPDATE metadata SET value = 'city.osm.pbf' WHERE name = 'source'")
    dbs.execute(delete(Street))
    inode = path.stat().st_ino
    third = CliRunner().invoke(main, ["basemap", "ensure"], obj=cli)
    assert third.exit_code == 0 and "is there" in third.output
    assert path.stat().st_ino == inode
