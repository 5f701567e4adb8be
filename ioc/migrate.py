"""Run Alembic from code: the CLI, the test suite and the demo all migrate the same way."""

from __future__ import annotations

from alembic import command
from alembic.config import Config
from sqlalchemy.engine import Connection

from ioc.settings import PROJECT_ROOT


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
