"""Load real ward boundaries shipped with the project, each ward's People's Committee and police,
the provincial bodies, the demo sector bodies with their service areas, categories and rules.

Seeding is idempotent: a second run updates names and boundaries in place and adds nothing.
Categories and rules are only added when missing: an administrator's edits are never undone.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from geoalchemy2 import Geography, Geometry
from sqlalchemy import ColumnElement, ScalarSelect, cast, func, select, text
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.orm import Session

from ioc.auth import passwords
from ioc.auth.models import Role, User
from routing.models import (
    Agency,
    AgencyKind,
    AgencyMember,
    Category,
    Jurisdiction,
    JurisdictionLevel,
    RoutingRule,
)
from routing.seed_data import (
    CATEGORIES,
    RULES,
    SECTOR_AGENCIES,
    AgencySeed,
    AreaSeed,
    CategorySeed,
    RuleSeed,
)

DATA_DIR = Path(__file__).resolve().parent / "data"
WARD_FILES = ("brvt_wards_2025.geojson", "hue_wards_2025.geojson")
VINTAGE = "2025"
PROVINCE_TYPE = "Thành phố"  # a centrally-run city (both demo provinces); otherwise "Tỉnh"


@dataclass(frozen=True)
class SeedCounts:
    """What a seed run found in its files."""

    provinces: int
    wards: int
    agencies: int


def _upsert_jurisdiction(db: Session, values: dict[str, Any]) -> int:
    statement = insert(Jurisdiction).values(**values)
    updated = {k: statement.excluded[k] for k in values if k not in ("code", "vintage")}
    upsert = statement.on_conflict_do_update(
        index_elements=["vintage", "code"], set_=updated
    ).returning(Jurisdiction.id)
    jurisdiction_id: int = db.execute(upsert).scalar_one()
    return jurisdiction_id


def _upsert_agency(db: Session, values: dict[str, Any]) -> int:
    """Insert or update an agency by code (active flag and contacts stay as an admin left them)."""
    values.setdefault("contacts", _contacts(values["code"]))
    statement = insert(Agency).values(**values)
    kept = ("code", "contacts", "active")
    upsert = statement.on_conflict_do_update(
        index_elements=["code"], set_={k: statement.excluded[k] for k in values if k not in kept}
    ).returning(Agency.id)
    agency_id: int = db.execute(upsert).scalar_one()
    return agency_id


def _contacts(code: str, phone: str = "") -> dict[str, Any]:
    """Made-up contact channels of a demo agency."""
    return {"email": f"{code}@demo.invalid", "phone": phone, "webhook": None}


def ward_committee_code(ward_code: str) -> str:
    """The agency code of a ward's People's Committee (UBND)."""
    return f"ubnd-{ward_code}"


def police_code(ward_code: str) -> str:
    """The agency code of a ward's (or a province's) police."""
    return f"ca-{ward_code}"


def _province(db: Session, code: str, name: str) -> int:
    province_id = _province_jurisdiction(db, code, name)
    for agency_code, agency_name, kind in (
        (ward_committee_code(code), f"UBND {name}", AgencyKind.province_committee),
        (police_code(code), f"Công an {name}", AgencyKind.province_police),
        (f"sxd-{code}", f"Sở Xây dựng {name}", AgencyKind.department),
    ):
        _upsert_agency(
            db,
            {
                "code": agency_code,
                "name": agency_name,
                "kind": kind,
                "jurisdiction_id": province_id,
            },
        )
    return province_id


def _province_jurisdiction(db: Session, code: str, name: str) -> int:
    kind = PROVINCE_TYPE if name.startswith(PROVINCE_TYPE) else "Tỉnh"
    return _upsert_jurisdiction(
        db,
        {
            "code": code,
            "vintage": VINTAGE,
            "name": name.removeprefix(f"{kind} "),
            "full_name": name,
            "type": kind,
            "level": JurisdictionLevel.province,
            "province_code": code,
        },
    )


def _ward(db: Session, feature: dict[str, Any], province_id: int) -> None:
    props = feature["properties"]
    geom = func.ST_Multi(
        func.ST_SetSRID(func.ST_GeomFromGeoJSON(json.dumps(feature["geometry"])), 4326)
    )
    ward_id = _upsert_jurisdiction(
        db,
        {
            "code": props["ward_code"],
            "vintage": VINTAGE,
            "name": props["name"],
            "full_name": props["full_name"],
            "name_en": props.get("full_name_en"),
            "type": props["type"],
            "level": JurisdictionLevel.ward,
            "parent_id": province_id,
            "province_code": props["province_code"],
            "geom": geom,
        },
    )
    province = props["province_code"]
    for code, name, kind, parent in (
        (ward_committee_code, "UBND", AgencyKind.ward_committee, ward_committee_code(province)),
        (police_code, "Công an", AgencyKind.ward_police, police_code(province)),
    ):
        _upsert_agency(
            db,
            {
                "code": code(props["ward_code"]),
                "name": f"{name} {props['full_name']}",
                "kind": kind,
                "jurisdiction_id": ward_id,
                "parent_id": select(Agency.id).where(Agency.code == parent).scalar_subquery(),
            },
        )


def load_collection(db: Session, collection: dict[str, Any], provinces: dict[str, int]) -> int:
    """Load one GeoJSON collection of 2025 wards (and their provinces); returns the ward count."""
    wards = 0
    for feature in collection["features"]:
        props = feature["properties"]
        code = props["province_code"]
        if code not in provinces:
            provinces[code] = _province(db, code, props["province_name"])
        _ward(db, feature, provinces[code])
        wards += 1
    return wards


def load_wards(db: Session, files: tuple[str, ...] = WARD_FILES) -> SeedCounts:
    """Load the ward files (and their provinces), each ward's People's Committee and police."""
    provinces: dict[str, int] = {}
    wards = 0
    for name in files:
        collection = json.loads((DATA_DIR / name).read_text(encoding="utf-8"))
        wards += load_collection(db, collection, provinces)
    agencies = db.scalar(select(func.count()).select_from(Agency)) or 0
    return SeedCounts(provinces=len(provinces), wards=wards, agencies=agencies)


def _area(area: AreaSeed) -> ScalarSelect[Any]:
    """A service area built in SQL from real wards: union, buffer in metres, circle cut."""
    geom: ColumnElement[Any] = func.ST_Union(Jurisdiction.geom)
    if area.buffer_m:
        geom = cast(func.ST_Buffer(cast(geom, Geography), area.buffer_m), Geometry)
    if area.circle:
        lon, lat, radius = area.circle
        centre = cast(func.ST_SetSRID(func.ST_MakePoint(lon, lat), 4326), Geography)
        geom = func.ST_Intersection(geom, cast(func.ST_Buffer(centre, radius), Geometry))
    valid = func.ST_Multi(func.ST_CollectionExtract(func.ST_MakeValid(geom), 3))
    return (
        select(func.ST_SetSRID(valid, 4326))
        .where(
            Jurisdiction.code.in_(area.wards),
            Jurisdiction.vintage == VINTAGE,
            Jurisdiction.level == JurisdictionLevel.ward,
        )
        .scalar_subquery()
    )


def _agency_id(code: str) -> ScalarSelect[int]:
    return select(Agency.id).where(Agency.code == code).scalar_subquery()


def _province_id(code: str) -> ScalarSelect[int]:
    return (
        select(Jurisdiction.id)
        .where(
            Jurisdiction.code == code,
            Jurisdiction.vintage == VINTAGE,
            Jurisdiction.level == JurisdictionLevel.province,
        )
        .scalar_subquery()
    )


def load_sector_agencies(db: Session, seeds: tuple[AgencySeed, ...] = SECTOR_AGENCIES) -> int:
    """Sector bodies with service areas built from the loaded wards (parents listed first)."""
    for seed in seeds:
        values: dict[str, Any] = {
            "code": seed.code,
            "name": seed.name,
            "kind": seed.kind,
            "parent_id": _agency_id(seed.parent) if seed.parent else None,
            "jurisdiction_id": _province_id(seed.province) if seed.province else None,
            "service_area": _area(seed.area) if seed.area else None,
            "contacts": _contacts(seed.code, seed.phone),
        }
        _upsert_agency(db, values)
    return len(seeds)


def load_categories(db: Session, seeds: tuple[CategorySeed, ...] = CATEGORIES) -> int:
    """The categories of DOMAIN.md; existing ones (perhaps edited by an admin) are kept."""
    rows = [
        {
            "code": seed.code,
            "name_vi": seed.name_vi,
            "name_en": seed.name_en,
            "group": seed.group,
            "icon": seed.icon,
            "default_priority": seed.priority,
            "geographic": seed.geographic,
            "active": True,
            "sort_order": (index + 1) * 10,
        }
        for index, seed in enumerate(seeds)
    ]
    db.execute(insert(Category).values(rows).on_conflict_do_nothing(index_elements=["code"]))
    return len(rows)


def _jurisdictions(db: Session, codes: tuple[str, ...]) -> list[Jurisdiction]:
    if not codes:
        return []
    query = select(Jurisdiction).where(
        Jurisdiction.code.in_(codes), Jurisdiction.vintage == VINTAGE
    )
    return list(db.scalars(query))


def load_rules(db: Session, seeds: tuple[RuleSeed, ...] = RULES) -> int:
    """The demo rules, only into an empty rule table (an admin's rule set is never touched)."""
    if db.scalar(select(func.count()).select_from(RoutingRule)):
        return 0
    categories = {c.code: c.id for c in db.scalars(select(Category))}
    for seed in seeds:
        agency_id = db.scalar(select(Agency.id).where(Agency.code == seed.agency))
        db.add(
            RoutingRule(
                position=seed.position,
                category_id=categories[seed.category],
                target=seed.target,
                agency_kind=seed.kind,
                level=seed.level,
                agency_id=agency_id if seed.agency else None,
                within_service_area=seed.within_service_area,
                note=seed.note,
                jurisdictions=_jurisdictions(db, seed.jurisdictions),
            )
        )
    db.flush()
    return len(seeds)


def load_routing(db: Session) -> int:
    """Categories, sector bodies and rules (after the wards); returns the number of rules."""
    load_categories(db)
    load_sector_agencies(db)
    rules = load_rules(db)
    db.execute(text("ANALYZE agencies"))  # fresh statistics for the routing statement
    return rules


def seed_agency_staff(db: Session, password: str) -> list[str]:
    """One demo account per agency, named by the agency's code (demo mode only)."""
    taken = set(db.scalars(select(User.username)))
    missing = [a for a in db.scalars(select(Agency).order_by(Agency.code)) if a.code not in taken]
    if not missing:
        return []
    # One hash for every demo account: argon2 takes ~50 ms, and these share one known password.
    password_hash = passwords.hash_password(password)
    users = {
        agency.id: User(
            username=agency.code,
            password_hash=password_hash,
            role=Role.agency_staff,
            full_name=f"Cán bộ {agency.name}"[:200],
        )
        for agency in missing
    }
    db.add_all(users.values())
    db.flush()
    db.add_all(AgencyMember(user_id=user.id, agency_id=aid) for aid, user in users.items())
    db.flush()
    return [a.code for a in missing]
