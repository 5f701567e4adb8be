"""Load real ward boundaries shipped with the project and create each ward's People's Committee.

Seeding is idempotent: a second run updates names and boundaries in place and adds nothing.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.orm import Session

from routing.models import Agency, AgencyKind, Jurisdiction, JurisdictionLevel

DATA_DIR = Path(__file__).resolve().parent / "data"
WARD_FILES = ("brvt_wards_2025.geojson", "hue_wards_2025.geojson")
VINTAGE = "2025"
PROVINCE_TYPE = "Thành phố"  # both seeded provinces are centrally-run cities


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


def _upsert_agency(db: Session, values: dict[str, Any]) -> None:
    statement = insert(Agency).values(**values)
    statement = statement.on_conflict_do_update(
        index_elements=["code"], set_={"name": statement.excluded.name}
    )
    db.execute(statement)


def ward_committee_code(ward_code: str) -> str:
    """The agency code of a ward's People's Committee (UBND)."""
    return f"ubnd-{ward_code}"


def _province(db: Session, code: str, name: str) -> int:
    return _upsert_jurisdiction(
        db,
        {
            "code": code,
            "vintage": VINTAGE,
            "name": name.removeprefix(f"{PROVINCE_TYPE} "),
            "full_name": name,
            "type": PROVINCE_TYPE,
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
    _upsert_agency(
        db,
        {
            "code": ward_committee_code(props["ward_code"]),
            "name": f"UBND {props['full_name']}",
            "kind": AgencyKind.ward_committee,
            "jurisdiction_id": ward_id,
        },
    )


def load_wards(db: Session, files: tuple[str, ...] = WARD_FILES) -> SeedCounts:
    """Load the ward files (and their provinces) and each ward's People's Committee."""
    provinces: dict[str, int] = {}
    wards = 0
    for name in files:
        collection = json.loads((DATA_DIR / name).read_text(encoding="utf-8"))
        for feature in collection["features"]:
            props = feature["properties"]
            code = props["province_code"]
            if code not in provinces:
                provinces[code] = _province(db, code, props["province_name"])
            _ward(db, feature, provinces[code])
            wards += 1
    agencies = db.scalar(select(func.count()).select_from(Agency)) or 0
    return SeedCounts(provinces=len(provinces), wards=wards, agencies=agencies)
