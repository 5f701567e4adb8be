"""Run Alembic from code: the CLI, the test suite and the demo all migrate the same way."""

from __future__ import annotations

from typing import Any

from alembic import command
from alembic.config import Config
from geoalchemy2 import alembic_helpers
from sqlalchemy.engine import Connection

from ioc import jobs
from ioc.settings import PROJECT_ROOT


def include_object(*args: Any) -> bool:
    """What autogenerate compares: the models, not PostGIS's tables nor the job queue's."""
    spatial = alembic_helpers.include_object(*args)  # type: ignore[no-untyped-call]
    return bool(spatial) and jobs.include_object(*args)


def alembic_config(url: str | None = None, connection: Connection | None = None) -> Config:
    """An Alembic config pointing at ``migrations/``, without an ini file."""
    config = Config()
    config.set_main_option("script_location", str(PROJECT_ROOT / "migrations"))
    if url:
        config.attributes["url"] = url
    if connection is not None:
        config.attributes["connection"] = connection
    return config


def upgrade(url: str | None = None, connection: Connection | None = None) -> None:
    """Bring the schema to the newest revision."""
    command.upgrade(alembic_config(url, connection), "head")


def revision(message: str, url: str | None = None) -> None:
    """Autogenerate a new revision from the models."""
    command.revision(alembic_config(url), message=message, autogenerate=True)
