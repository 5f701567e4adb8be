"""Database plumbing: the declarative base, engines and sessions (one transaction per request)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime

import psycopg
from psycopg import sql
from sqlalchemy import DateTime, MetaData, create_engine, text
from sqlalchemy.engine import Connection, CursorResult, Engine, make_url
from sqlalchemy.orm import DeclarativeBase, Mapped, Session, mapped_column, sessionmaker
from sqlalchemy.sql.expression import Executable

__all__ = ["Base", "Session", "TimestampMixin", "utcnow"]

from ioc.settings import Settings
from ioc.system.pgcluster import LocalCluster

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def utcnow() -> datetime:
    """The current time, timezone-aware."""
    return datetime.now(UTC)


class Base(DeclarativeBase):
    """Declarative base of every model; constraint names follow one convention."""

    metadata = MetaData(naming_convention=NAMING)
    type_annotation_map = {datetime: DateTime(timezone=True)}  # noqa: RUF012 - read by SQLAlchemy


class TimestampMixin:
    """Creation time of a row."""

    created_at: Mapped[datetime] = mapped_column(default=utcnow)


def database_url(settings: Settings) -> str:
    """The configured server, or the embedded cluster under ``var/`` when none is set."""
    if settings.database_url:
        return settings.database_url
    return LocalCluster(settings.var_dir).url()


def make_engine(url: str, **kwargs: object) -> Engine:
    """An engine with a pool sized for a small machine."""
    options: dict[str, object] = {"pool_size": 10, "max_overflow": 10, "pool_pre_ping": True}
    options.update(kwargs)
    return create_engine(url, **options)


def make_sessionmaker(engine: Engine) -> sessionmaker[Session]:
    """Sessions that keep loaded attributes after commit (templates read them)."""
    return sessionmaker(engine, expire_on_commit=False)


def create_database(conn: Connection, name: str | None) -> None:
    """``CREATE DATABASE`` with the name quoted by psycopg, whatever characters it holds."""
    if not name:
        raise ValueError("the database URL names no database")
    driver = conn.connection.driver_connection
    assert isinstance(driver, psycopg.Connection)  # the project's only driver
    driver.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))


def ensure_database(url: str, *, fresh: bool = False) -> bool:
    """Create the database named in ``url`` if it is missing (dropped first when ``fresh``);
    true if it was created."""
    target = make_url(url)
    name = target.database
    admin = create_engine(target.set(database="postgres"), isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            if fresh:
                driver = conn.connection.driver_connection
                assert isinstance(driver, psycopg.Connection)
                drop = sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)")
                driver.execute(drop.format(sql.Identifier(name or "")))
            exists = conn.execute(
                text("SELECT 1 FROM pg_database WHERE datname = :n"), {"n": name}
            ).scalar()
            if not exists:
                create_database(conn, name)
            return not exists
    finally:
        admin.dispose()


def rows_changed(session: Session, statement: Executable) -> int:
    """Run an UPDATE or DELETE and return how many rows it changed."""
    result = session.execute(statement)
    assert isinstance(result, CursorResult)
    return int(result.rowcount)


@contextmanager
def session_scope(factory: sessionmaker[Session]) -> Iterator[Session]:
    """A session that commits on success and rolls back on error (CLI and jobs)."""
    with factory() as session:
        try:
            yield session
            session.commit()
        except Exception:
            session.rollback()
            raise
