"""Alembic environment: the project's metadata, with GeoAlchemy2's helpers for geometry columns."""

from __future__ import annotations

from typing import Any

from alembic import context
from geoalchemy2 import alembic_helpers
from sqlalchemy import create_engine, pool

import dashboard.admin.models
import dashboard.kpi.models
import dashboard.open311.models
import dashboard.opendata.models
import dashboard.operator.reject_templates  # noqa: F401
import ioc.auth.models
import ioc.db.seeding  # noqa: F401
import reports.feedback.models
import reports.geo.models
import reports.models
import reports.notify.models  # noqa: F401
import routing.basemap.models
import routing.models  # noqa: F401 - registers the tables on the metadata
from ioc.db import Base, database_url, migrate
from ioc.settings import get_settings

config = context.config
target_metadata = Base.metadata


def _url() -> str:
    return config.attributes.get("url") or database_url(get_settings())


def _configure(**kwargs: Any) -> None:
    context.configure(
        target_metadata=target_metadata,
        include_object=migrate.include_object,
        process_revision_directives=alembic_helpers.writer,
        render_item=alembic_helpers.render_item,
        compare_type=True,
        **kwargs,
    )


def run_offline() -> None:
    """Emit SQL without a connection."""
    _configure(url=_url(), literal_binds=True)
    with context.begin_transaction():
        context.run_migrations()


def run_online() -> None:
    """Run against the database, reusing a connection handed in by the caller if any."""
    connection = config.attributes.get("connection")
    if connection is not None:
        _configure(connection=connection)
        with context.begin_transaction():
            context.run_migrations()
        return
    engine = create_engine(_url(), poolclass=pool.NullPool)
    with engine.connect() as conn:
        _configure(connection=conn)
        with context.begin_transaction():
            context.run_migrations()
    engine.dispose()


if context.is_offline_mode():
    run_offline()
else:
    run_online()
