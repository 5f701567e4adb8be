"""Fixtures: a real PostGIS database migrated and seeded once, each test in a rolled-back
transaction, an app bound to that transaction, and (for browser tests) a live server."""

from __future__ import annotations

import functools
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Protocol

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.orm import Session

from ioc import db
from ioc.app import create_app
from ioc.auth import passwords
from ioc.auth.models import Role, User
from ioc.cli import seed_all
from ioc.db import migrate
from ioc.settings import PROJECT_ROOT, Settings
from ioc.system.pgcluster import LocalCluster
from ioc.web import get_db
from routing import service as routing_service

TEST_SECRET = "test-secret-key-0123456789abcdef0123456789"
PASSWORD = "correct horse battery"


def _test_database_url() -> str:
    if url := os.environ.get("IOC_TEST_DATABASE_URL"):
        return url
    cluster = LocalCluster(Path(os.environ.get("IOC_VAR_DIR", PROJECT_ROOT / "var")))
    cluster.start()
    return cluster.url("ioc_test")


@pytest.fixture(scope="session")
def settings(tmp_path_factory: pytest.TempPathFactory) -> Settings:
    return Settings(
        database_url=_test_database_url(),
        secret_key=TEST_SECRET,
        demo=True,
        media_dir=tmp_path_factory.mktemp("media"),
        log_json=True,
    )


@pytest.fixture(scope="session")
def engine(settings: Settings) -> Iterator[Engine]:
    assert settings.database_url
    db.ensure_database(settings.database_url, fresh=True)  # the migrations run from nothing
    migrate.upgrade(settings.database_url)
    engine = db.make_engine(settings.database_url)
    with db.session_scope(db.make_sessionmaker(engine)) as session:
        seed_all(session, settings)
    yield engine
    engine.dispose()


@pytest.fixture
def connection(engine: Engine) -> Iterator[Connection]:
    with engine.connect() as conn:
        outer = conn.begin()
        yield conn
        outer.rollback()


@pytest.fixture
def dbs(connection: Connection) -> Iterator[Session]:
    """A session inside the test's transaction; its commits become savepoints."""
    with Session(
        bind=connection, join_transaction_mode="create_savepoint", expire_on_commit=False
    ) as session:
        yield session


@pytest.fixture
def app(settings: Settings, engine: Engine, dbs: Session) -> FastAPI:
    application = create_app(settings, engine=engine)

    def _db() -> Iterator[Session]:
        yield dbs

    application.dependency_overrides[get_db] = _db
    return application


@pytest.fixture
def client(app: FastAPI) -> Iterator[TestClient]:
    with TestClient(app, base_url="http://testserver") as test_client:
        yield test_client


class MakeUser(Protocol):
    """Creates a staff user with the test password."""

    def __call__(self, username: str, role: Role = ..., agency_id: int | None = None) -> User: ...


@functools.cache
def password_hash() -> str:
    """One argon2 hash of the test password for every test user (hashing takes ~50 ms)."""
    return passwords.hash_password(PASSWORD)


@pytest.fixture
def make_user(dbs: Session) -> MakeUser:
    """Create a staff user with the test password (create_user's checks are tested apart)."""

    def _make(username: str, role: Role = Role.ioc_operator, agency_id: int | None = None) -> User:
        user = User(username=username, password_hash=password_hash(), role=role)
        dbs.add(user)
        dbs.flush()
        routing_service.bind_member(dbs, user.id, agency_id)
        return user

    return _make


def csrf_from(client: TestClient, path: str = "/login") -> str:
    """Open a page and return the CSRF token its forms carry."""
    import re

    page = client.get(path)
    match = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
    assert match, "the page has no CSRF token"
    return match.group(1)


def sign_in(client: TestClient, username: str, password: str = PASSWORD) -> None:
    """Sign a test client in through the form."""
    token = csrf_from(client)
    response = client.post(
        "/login",
        data={"username": username, "password": password, "csrf_token": token},
        follow_redirects=False,
    )
    assert response.status_code == 303, response.text
