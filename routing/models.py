"""Jurisdictions, agencies, categories, routing rules, days off and the audit of routing data."""

from __future__ import annotations

import enum
from datetime import date, datetime
from typing import Any

from geoalchemy2 import Geometry, WKBElement
from sqlalchemy import (
    CheckConstraint,
    Column,
    Enum,
    ForeignKey,
    Index,
    String,
    Table,
    UniqueConstraint,
    text,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ioc.db import Base, TimestampMixin, utcnow
from routing.sla import Priority

CURRENT_VINTAGE = "2025"  # the boundary set that routing uses
# Every relationship is lazy="raise": a query loads what its caller reads (selectinload or
# joinedload), so that a forgotten load fails in tests instead of costing a query per row.


class JurisdictionLevel(enum.StrEnum):
    """Vietnam has two tiers of local government since 2025-07-01."""

    province = "province"
    ward = "ward"


class AgencyKind(enum.StrEnum):
    """Administrations with a territory, and sector bodies with a service area."""

    ward_committee = "ward_committee"  # UBND phường/xã
    ward_police = "ward_police"  # Công an phường/xã
    province_committee = "province_committee"  # UBND tỉnh/thành phố
    province_police = "province_police"  # Công an tỉnh/thành phố
    power = "power"
    water = "water"
    drainage = "drainage"
    urban_services = "urban_services"
    lighting = "lighting"
    telecom = "telecom"
    department = "department"  # a provincial department (Sở)
    other = "other"


class RuleTarget(enum.StrEnum):
    """How a rule finds its agency."""

    jurisdiction = "jurisdiction"  # the agency of a kind that answers for the point's ward/province
    service_area = "service_area"  # the agency of a kind whose service area covers the point
    agency = "agency"  # one named agency


class AuditAction(enum.StrEnum):
    """What happened to a routing record."""

    create = "create"
    update = "update"
    delete = "delete"


class Jurisdiction(TimestampMixin, Base):
    """An administrative unit of one boundary vintage (a 2025 code can reuse an old one)."""

    __tablename__ = "jurisdictions"
    __table_args__ = (UniqueConstraint("vintage", "code"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(16))
    vintage: Mapped[str] = mapped_column(String(16), default=CURRENT_VINTAGE)
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

    parent: Mapped[Jurisdiction | None] = relationship(remote_side=[id], lazy="raise")


class Agency(TimestampMixin, Base):
    """A body that handles reports: a ward's People's Committee, police, or a sector body."""

    __tablename__ = "agencies"
    __table_args__ = (
        Index("ix_agencies_kind_jurisdiction", "kind", "jurisdiction_id"),
        CheckConstraint("code = lower(code)", name="code_lowercase"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(300))
    kind: Mapped[AgencyKind] = mapped_column(Enum(AgencyKind, native_enum=False, length=32))
    jurisdiction_id: Mapped[int | None] = mapped_column(ForeignKey("jurisdictions.id"))
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("agencies.id"))
    active: Mapped[bool] = mapped_column(default=True)
    # {"email": ..., "phone": ..., "webhook": ...}: for delivery, never shown to the public.
    contacts: Mapped[dict[str, Any]] = mapped_column(
        JSONB, default=dict, server_default=text("'{}'::jsonb")
    )
    service_area: Mapped[WKBElement | None] = mapped_column(
        Geometry("MULTIPOLYGON", srid=4326, spatial_index=True)
    )

    jurisdiction: Mapped[Jurisdiction | None] = relationship(lazy="raise")
    parent: Mapped[Agency | None] = relationship(remote_side=[id], lazy="raise")


class AgencyMember(Base):
    """A staff account bound to the agency it works for (agency_staff have exactly one)."""

    __tablename__ = "agency_members"

    user_id: Mapped[int] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    agency_id: Mapped[int] = mapped_column(ForeignKey("agencies.id"), index=True)


class Category(Base):
    """A field (lĩnh vực) a resident picks; geographic ones are routed by place."""

    __tablename__ = "categories"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(64), unique=True)  # stable ASCII slug
    name_vi: Mapped[str] = mapped_column(String(200))
    name_en: Mapped[str] = mapped_column(String(200))
    group: Mapped[str] = mapped_column(String(64))  # a key of routing.schemas.GROUPS
    icon: Mapped[str] = mapped_column(String(16))  # an emoji
    default_priority: Mapped[Priority] = mapped_column(
        Enum(Priority, native_enum=False, length=16), default=Priority.normal
    )
    geographic: Mapped[bool] = mapped_column(default=True)
    active: Mapped[bool] = mapped_column(default=True)
    sort_order: Mapped[int] = mapped_column(default=0)
    # Deadlines that differ from the policy (routing.sla.CategoryOverride as JSON), if any.
    sla: Mapped[dict[str, Any] | None] = mapped_column(JSONB)

    def name(self, locale: str) -> str:
        """The name in a locale (Vietnamese unless English is asked for)."""
        return self.name_en if locale == "en" else self.name_vi


rule_jurisdictions = Table(
    "routing_rule_jurisdictions",
    Base.metadata,
    Column("rule_id", ForeignKey("routing_rules.id", ondelete="CASCADE"), primary_key=True),
    Column("jurisdiction_id", ForeignKey("jurisdictions.id"), primary_key=True),
)


class RoutingRule(TimestampMixin, Base):
    """Category → agency; the first rule by position that yields an agency wins."""

    __tablename__ = "routing_rules"
    __table_args__ = (
        Index("ix_routing_rules_category_position", "category_id", "position"),
        CheckConstraint(
            "(target = 'agency') = (agency_id IS NOT NULL)"
            " AND (target = 'agency' OR agency_kind IS NOT NULL)"
            " AND ((target = 'jurisdiction') = (level IS NOT NULL))",
            name="target_complete",
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    position: Mapped[int] = mapped_column(unique=True)  # "quy tắc 12": the number operators see
    category_id: Mapped[int] = mapped_column(ForeignKey("categories.id", ondelete="CASCADE"))
    target: Mapped[RuleTarget] = mapped_column(Enum(RuleTarget, native_enum=False, length=16))
    agency_kind: Mapped[AgencyKind | None] = mapped_column(
        Enum(AgencyKind, native_enum=False, length=32)
    )
    level: Mapped[JurisdictionLevel | None] = mapped_column(
        Enum(JurisdictionLevel, native_enum=False, length=16)
    )
    agency_id: Mapped[int | None] = mapped_column(ForeignKey("agencies.id"))
    # For a named agency: apply only where its service area covers the point.
    within_service_area: Mapped[bool] = mapped_column(default=False)
    active: Mapped[bool] = mapped_column(default=True)
    note: Mapped[str] = mapped_column(String(500), default="")

    category: Mapped[Category] = relationship(lazy="raise")
    agency: Mapped[Agency | None] = relationship(lazy="raise")
    # Limit: apply only to points in these wards (or wards of these provinces); empty = anywhere.
    jurisdictions: Mapped[list[Jurisdiction]] = relationship(
        secondary=rule_jurisdictions, lazy="raise"
    )


class DayOff(Base):
    """A day the administrator declares off (or, with working=True, a make-up working day)."""

    __tablename__ = "calendar_days"

    day: Mapped[date] = mapped_column(primary_key=True)
    working: Mapped[bool] = mapped_column(default=False)
    note: Mapped[str] = mapped_column(String(300), default="")


class RoutingAudit(Base):
    """One change of routing data: who, when, what, before and after."""

    __tablename__ = "routing_audit"
    __table_args__ = (Index("ix_routing_audit_entity", "entity", "entity_key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    actor: Mapped[str] = mapped_column(String(64))  # username, or "cli"/"import"
    entity: Mapped[str] = mapped_column(String(32))  # category, agency, rule, day_off
    entity_key: Mapped[str] = mapped_column(String(64))
    action: Mapped[AuditAction] = mapped_column(Enum(AuditAction, native_enum=False, length=16))
    before: Mapped[dict[str, Any] | None] = mapped_column(JSONB)
    after: Mapped[dict[str, Any] | None] = mapped_column(JSONB)
