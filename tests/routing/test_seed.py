"""The demo seed: idempotent, realistic agencies with cross-boundary service areas, accounts."""

from __future__ import annotations

from sqlalchemy import func, select, text
from sqlalchemy.orm import Session

from ioc.auth import passwords
from ioc.auth.models import Role, User
from ioc.cli import DEMO_PASSWORD, seed_all
from ioc.settings import Settings
from routing import service as routing_service
from routing.models import Agency, Category, RoutingRule


def _counts(dbs: Session) -> tuple[int, int, int, int]:
    return (
        dbs.scalar(select(func.count()).select_from(Agency)) or 0,
        dbs.scalar(select(func.count()).select_from(Category)) or 0,
        dbs.scalar(select(func.count()).select_from(RoutingRule)) or 0,
        dbs.scalar(select(func.count()).select_from(User)) or 0,
    )


def test_seeding_again_adds_nothing(dbs: Session, settings: Settings) -> None:
    before = _counts(dbs)
    assert before[:3] == (159, 13, 20)
    message = seed_all(dbs, settings)
    assert "0 routing rules added" in message and "agency staff accounts created: 0" in message
    assert _counts(dbs) == before


def test_service_areas_do_not_follow_ward_boundaries(dbs: Session) -> None:
    # A ward that a service area covers only in part (between 5% and 95% of it).
    rows = dbs.execute(
        text(
            "SELECT a.code, count(*) FILTER (WHERE share BETWEEN 0.05 AND 0.95) "
            "FROM agencies a JOIN jurisdictions j ON j.level = 'ward' "
            "AND ST_Intersects(a.service_area, j.geom), "
            "LATERAL (SELECT ST_Area(ST_Intersection(a.service_area, j.geom)) / ST_Area(j.geom)) "
            "AS s(share) GROUP BY a.code ORDER BY a.code"
        )
    ).all()
    assert len(rows) == 13
    partial = {code for code, wards in rows if wards > 0}
    assert {"chieusang-vungtau", "cayxanh-hue", "dvdt-baria"} <= partial


def test_one_demo_account_per_agency(dbs: Session) -> None:
    agencies = dbs.scalars(select(Agency)).all()
    users = {u.username: u for u in dbs.scalars(select(User).where(User.role == Role.agency_staff))}
    assert len(users) == len(agencies)
    for agency in agencies:
        user = users[agency.code]
        assert routing_service.agency_of(dbs, user.id) == agency.id and len(user.username) <= 64
    assert passwords.verify_password(users["dl-vungtau"].password_hash, DEMO_PASSWORD)
