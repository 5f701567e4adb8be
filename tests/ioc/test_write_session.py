"""Routes that write commit when they return and roll back when they raise, before answering."""

from __future__ import annotations

from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import select, text
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from ioc.app import create_app
from ioc.errors import InvalidInput
from ioc.settings import Settings
from ioc.web import WriteSessionDep

TABLE = "write_session_probe"


def _app(settings: Settings, engine: Engine) -> FastAPI:
    app = create_app(settings, engine=engine)

    @app.post("/probe/{value}")
    def probe(value: str, db: WriteSessionDep) -> dict[str, str]:
        db.execute(text(f"INSERT INTO {TABLE} VALUES (:v)"), {"v": value})
        if value == "bad":
            raise InvalidInput("refused", field="value")
        return {"stored": value}

    return app


def test_commit_on_return_and_rollback_on_error(settings: Settings, engine: Engine) -> None:
    with engine.begin() as conn:
        conn.execute(text(f"CREATE TABLE IF NOT EXISTS {TABLE} (value text)"))
    try:
        with TestClient(_app(settings, engine)) as client:
            assert client.post("/probe/good").status_code == 200
            assert client.post("/probe/bad").status_code == 422
        with Session(engine) as session:
            stored = session.scalars(select(text("value")).select_from(text(TABLE))).all()
        assert stored == ["good"]  # committed before the 200; nothing of the 422
    finally:
        with engine.begin() as conn:
            conn.execute(text(f"DROP TABLE {TABLE}"))
