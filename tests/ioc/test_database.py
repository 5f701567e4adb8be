"""The embedded database, the migrations and the seed data."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from psycopg import sql
from sqlalchemy import create_engine, func, select, text
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session, selectinload

import ioc.auth.models  # noqa: F401 - registers the tables
import reports.geo.models  # noqa: F401
import routing.basemap.models
import routing.models  # noqa: F401
from ioc.auth.models import Role, User
from ioc.cli import seed_all
from ioc.db import Base, ensure_database
from ioc.db.migrate import include_object
from ioc.settings import Settings
from routing.models import Agency, AgencyKind, Jurisdiction, JurisdictionLevel


def test_database_is_postgis_on_a_unix_socket_only(dbs: Session, settings: Settings) -> None:
    assert dbs.execute(text("SELECT postgis_lib_version()")).scalar()
    if "host=/" in (settings.database_url or ""):
        assert dbs.execute(text("SHOW listen_addresses")).scalar() == ""


def test_migrations_match_the_models(dbs: Session) -> None:
    context = MigrationContext.configure(
        dbs.connection(),
        opts={"include_object": include_object, "compare_type": True},
    )
    assert compare_metadata(context, Base.metadata) == []


def test_jurisdiction_boundaries_have_a_gist_index(dbs: Session) -> None:
    indexdef = dbs.execute(
        text(
            "SELECT indexdef FROM pg_indexes WHERE tablename = 'jurisdictions' AND indexdef ILIKE "
            "'%gist%'"
        )
    ).scalar()
    assert indexdef is not None and "(geom)" in indexdef


def test_seed_loads_real_wards_with_their_committees(dbs: Session) -> None:
    wards = dbs.scalar(
        select(func.count())
        .select_from(Jurisdiction)
        .where(Jurisdiction.level == JurisdictionLevel.ward)
    )
    assert wards == 70  # 30 of the former Bà Rịa – Vũng Tàu, 40 of Huế
    tam_thang = dbs.scalar(
        select(Jurisdiction)
        .options(selectinload(Jurisdiction.parent))
        .where(Jurisdiction.full_name == "Phường Tam Thắng")
    )
    assert tam_thang is not None and tam_thang.vintage == "2025" and tam_thang.parent is not None
    assert tam_thang.parent.code == "79"
    committee = dbs.scalar(select(Agency).where(Agency.jurisdiction_id == tam_thang.id))
    assert committee is not None and committee.kind == AgencyKind.ward_committee
    assert committee.name == "UBND Phường Tam Thắng"
    # Vũng Tàu airport lies in Tam Thắng.
    inside = dbs.scalar(
        select(
            func.ST_Contains(
                Jurisdiction.geom, func.ST_SetSRID(func.ST_MakePoint(107.095, 10.3736), 4326)
            )
        ).where(Jurisdiction.id == tam_thang.id)
    )
    assert inside is True


def test_seeding_twice_changes_nothing(dbs: Session, settings: Settings) -> None:
    def snapshot() -> tuple[object, ...]:
        return (
            dbs.execute(
                select(
                    Jurisdiction.id,
                    Jurisdiction.code,
                    Jurisdiction.name,
                    func.ST_AsEWKB(Jurisdiction.geom),
                ).order_by(Jurisdiction.id)
            ).all(),
            dbs.execute(select(Agency.id, Agency.code, Agency.name).order_by(Agency.id)).all(),
            dbs.execute(select(User.id, User.username, User.password_hash).order_by(User.id)).all(),
        )

    before = snapshot()
    seed_all(dbs, settings)
    dbs.flush()
    assert snapshot() == before


def test_demo_staff_accounts_exist_with_hashed_passwords(dbs: Session) -> None:
    users = {u.username: u for u in dbs.scalars(select(User))}
    assert users["admin"].role == Role.admin
    assert users["supervisor"].role == Role.ioc_supervisor
    assert users["operator"].role == Role.ioc_operator
    assert users["admin"].password_hash.startswith("$argon2id$")
    assert "demo12345" not in users["admin"].password_hash


def test_a_database_name_with_quotes_and_semicolons_is_created_as_named(
    settings: Settings,
) -> None:
    # An f-string would end the identifier at the quote and run the rest as SQL.
    name = 'ioc_test "odd"; DROP DATABASE ioc_test; --'
    assert settings.database_url
    url = make_url(settings.database_url).set(database=name)
    admin = create_engine(url.set(database="postgres"), isolation_level="AUTOCOMMIT")
    try:
        assert ensure_database(url.render_as_string(hide_password=False)) is True
        assert ensure_database(url.render_as_string(hide_password=False)) is False
        with admin.connect() as conn:
            names = conn.execute(text("SELECT datname FROM pg_database")).scalars().all()
            assert name in names and make_url(settings.database_url).database in names
            driver = conn.connection.driver_connection
            assert driver is not None
            driver.execute(sql.SQL("DROP DATABASE {}").format(sql.Identifier(name)))
    finally:
        admin.dispose()
