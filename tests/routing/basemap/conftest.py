"""The shipped extract built once per test session, and an app that serves it."""

from __future__ import annotations

import gzip
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import mapbox_vector_tile
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from ioc.app import create_app
from ioc.settings import Settings
from ioc.web import get_db
from routing.basemap import archive, extract
from routing.basemap.build import SHIPPED_EXTRACT, Built, build

# Central Huế: on Lê Lợi, between the Trường Tiền bridge and the railway station.
LE_LOI = (16.4629, 107.5854)


@pytest.fixture(scope="session")
def built(tmp_path_factory: pytest.TempPathFactory, engine: Engine) -> Built:
    """The shipped extract's base map, in the session's tmp dir (its streets are rolled back)."""
    with Session(engine) as session:
        made = build(session, tmp_path_factory.mktemp("basemap"))
        session.rollback()
    return made


@pytest.fixture(scope="session")
def hue_extract() -> extract.Extract:
    """The shipped extract, read once."""
    return extract.read(SHIPPED_EXTRACT)


def with_basemap_dir(settings: Settings, directory: Path) -> Settings:
    """The test settings with another base map directory."""
    return settings.model_copy(
        update={"map": settings.map.model_copy(update={"basemap_dir": directory})}
    )


def make_client(settings: Settings, engine: Engine, dbs: Session) -> TestClient:
    """A client of an app with these settings, on the test's transaction."""
    application: FastAPI = create_app(settings, engine=engine)

    def _db() -> Iterator[Session]:
        yield dbs

    application.dependency_overrides[get_db] = _db
    return TestClient(application, base_url="http://testserver")


@pytest.fixture
def basemap_client(
    built: Built, settings: Settings, engine: Engine, dbs: Session
) -> Iterator[TestClient]:
    with make_client(with_basemap_dir(settings, built.path.parent), engine, dbs) as client:
        yield client


def stored_tile(path: Path, z: int, x: int, y: int) -> bytes | None:
    """A tile's bytes as the archive holds them."""
    with archive.connect(path) as conn:
        return archive.read_tile(conn, z, x, y)


def decoded(data: bytes) -> dict[str, Any]:
    """A tile's layers (gunzipped first if it is gzipped)."""
    if data.startswith(archive.GZIP_MAGIC):
        data = gzip.decompress(data)
    layers: dict[str, Any] = mapbox_vector_tile.decode(data)
    return layers
