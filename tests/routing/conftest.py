"""Fixtures and helpers for routing tests: points generated from the real ward polygons."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select, text, update
from sqlalchemy.orm import Session

from ioc.auth.models import Role
from ioc.i18n import set_locale
from routing.models import Agency, Jurisdiction, JurisdictionLevel
from tests.conftest import sign_in

# Points at sea, well away from any coast, off each seeded city; and places in other provinces.
SEA = [(10.20, 107.10), (10.28, 106.98), (16.78, 107.75), (16.30, 108.10), (8.40, 106.40)]
ELSEWHERE = [(21.0285, 105.8542), (10.7769, 106.7009), (16.0544, 108.2022)]  # Hà Nội, HCM, ĐN
TAM_THANG = (10.3736, 107.095)  # Sân bay Vũng Tàu, in Phường Tam Thắng
PHU_XUAN = (16.4668, 107.5786)  # Ngọ Môn, Đại Nội Huế, in Phường Phú Xuân


@pytest.fixture(autouse=True)
def _vietnamese() -> Iterator[None]:
    """Service calls outside a request run in Vietnamese, as the app's default."""
    set_locale("vi")
    yield
    set_locale("vi")


def point_in(db: Session, ward_code: str) -> tuple[float, float]:
    """A point well inside a ward (lat, lon)."""
    geom = func.ST_PointOnSurface(func.ST_Buffer(Jurisdiction.geom, -0.001))
    row = db.execute(
        select(func.ST_Y(geom), func.ST_X(geom)).where(Jurisdiction.code == ward_code)
    ).one()
    return float(row[0]), float(row[1])


def set_active(db: Session, code: str, active: bool) -> None:
    """Switch an agency on or off inside the test's transaction."""
    db.execute(update(Agency).where(Agency.code == code).values(active=active))
    db.flush()
    db.expire_all()


def ward_codes(db: Session) -> list[str]:
    """Every seeded ward's code."""
    query = select(Jurisdiction.code).where(Jurisdiction.level == JurisdictionLevel.ward)
    return list(db.scalars(query.order_by(Jurisdiction.code)))


def generated_points(db: Session, per_ward: int = 4) -> list[tuple[str, float, float]]:
    """Random but repeatable points in every ward, at least ~100 m from its edges."""
    rows = db.execute(
        text(
            "SELECT code, ST_Y(p.geom), ST_X(p.geom) FROM jurisdictions j, "
            "LATERAL ST_Dump(ST_GeneratePoints(ST_Buffer(j.geom, -0.001), :n, 42)) p "
            "WHERE j.level = 'ward' ORDER BY code"
        ),
        {"n": per_ward},
    )
    return [(r[0], float(r[1]), float(r[2])) for r in rows]


@pytest.fixture
def admin_client(client: TestClient, make_user) -> TestClient:  # type: ignore[no-untyped-def]
    """A test client signed in as an administrator."""
    make_user("routing-admin", Role.admin)
    sign_in(client, "routing-admin")
    return client
