"""Jurisdictions (wards with real boundaries) and the agencies that answer for them."""

from __future__ import annotations

import enum

from geoalchemy2 import Geometry, WKBElement
from sqlalchemy import Enum, ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ioc.db import Base, TimestampMixin


class JurisdictionLevel(enum.StrEnum):
    """Vietnam has two tiers of local government since 2025-07-01."""

    province = "province"
    ward = "ward"


class AgencyKind(enum.StrEnum):
    """Administrations with a territory, and sector bodies with a service area."""

    ward_committee = "ward_committee"  # UBND phường/xã
    ward_police = "ward_police"  # Công an phường/xã
    power = "power"
    water = "water"
    drainage = "drainage"
    urban_services = "urban_services"
    lighting = "lighting"
    department = "department"  # a provincial department (Sở)
    other = "other"


class Jurisdiction(TimestampMixin, Base):
    """An administrative unit of one boundary vintage (a 2025 code can reuse an old one)."""

    __tablename__ = "jurisdictions"
    __table_args__ = (UniqueConstraint("vintage", "code"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(16))
    vintage: Mapped[str] = mapped_column(String(16), default="2025")
    name: Mapped[str] = mapped_column(String(200))
    full_name: Mapped[str] = mapped_column(String(200))
    name_en: Mapped[str | None] = mapped_column(String(200))
    type: Mapped[str] = mapped_column(String(32))  # Phường, Xã, Đặc khu, Thành phố, Tỉnh
    level: Mapped[JurisdictionLevel] = mapped_column(
        Enum(JurisdictionLevel, native_enum=False, length=16)
    )
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("jurisdictions.id"))
    province_code: Mapped[str | None] = mapped_column(String(8))
    geom: Mapped[WKBElement | None] = mapped_column(
        Geometry("MULTIPOLYGON", srid=4326, spatial_index=True)
    )

    parent: Mapped[Jurisdiction | None] = relationship(remote_side=[id])


class Agency(TimestampMixin, Base):
    """A body that handles reports: a ward's People's Committee, police, or a sector body."""

    __tablename__ = "agencies"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(300))
    kind: Mapped[AgencyKind] = mapped_column(Enum(AgencyKind, native_enum=False, length=32))
    jurisdiction_id: Mapped[int | None] = mapped_column(ForeignKey("jurisdictions.id"))
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("agencies.id"))
    active: Mapped[bool] = mapped_column(default=True)

    jurisdiction: Mapped[Jurisdiction | None] = relationship()
    parent: Mapped[Agency | None] = relationship(remote_side=[id])
