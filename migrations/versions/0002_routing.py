# mypy: disable-error-code="attr-defined"
# (geoalchemy2 registers op.create_geospatial_table and friends at run time)
"""Routing: categories, agency contacts and service areas, rules, days off, audit.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-22
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from geoalchemy2 import Geometry
from sqlalchemy.dialects import postgresql

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

AGENCY_KIND = sa.Enum(
    "ward_committee",
    "ward_police",
    "province_committee",
    "province_police",
    "power",
    "water",
    "drainage",
    "urban_services",
    "lighting",
    "telecom",
    "department",
    "other",
    name="agencykind",
    native_enum=False,
    length=32,
)
LEVEL = sa.Enum("province", "ward", name="jurisdictionlevel", native_enum=False, length=16)


def _categories() -> None:
    op.create_table(
        "categories",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=64), nullable=False),
        sa.Column("name_vi", sa.String(length=200), nullable=False),
        sa.Column("name_en", sa.String(length=200), nullable=False),
        sa.Column("group", sa.String(length=64), nullable=False),
        sa.Column("icon", sa.String(length=16), nullable=False),
        sa.Column(
            "default_priority",
            sa.Enum("urgent", "normal", "complex", name="priority", native_enum=False, length=16),
            nullable=False,
        ),
        sa.Column("geographic", sa.Boolean(), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("sort_order", sa.Integer(), nullable=False),
        sa.Column("sla", postgresql.JSONB(astext_type=sa.Text()), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_categories")),
        sa.UniqueConstraint("code", name=op.f("uq_categories_code")),
    )


def _agencies() -> None:
    op.add_column(
        "agencies",
        sa.Column(
            "contacts",
            postgresql.JSONB(astext_type=sa.Text()),
            nullable=False,
            server_default=sa.text("'{}'::jsonb"),
        ),
    )
    op.add_column(
        "agencies",
        sa.Column(
            "service_area",
            Geometry(
                geometry_type="MULTIPOLYGON",
                srid=4326,
                dimension=2,
                spatial_index=False,
                from_text="ST_GeomFromEWKT",
                name="geometry",
            ),
            nullable=True,
        ),
    )
    op.create_geospatial_index(
        "idx_agencies_service_area",
        "agencies",
        ["service_area"],
        unique=False,
        postgresql_using="gist",
        postgresql_ops={},
    )
    op.create_index("ix_agencies_kind_jurisdiction", "agencies", ["kind", "jurisdiction_id"])
    op.create_check_constraint(op.f("ck_agencies_code_lowercase"), "agencies", "code = lower(code)")


def _rules() -> None:
    op.create_table(
        "routing_rules",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("category_id", sa.Integer(), nullable=False),
        sa.Column(
            "target",
            sa.Enum(
                "jurisdiction",
                "service_area",
                "agency",
                name="ruletarget",
                native_enum=False,
                length=16,
            ),
            nullable=False,
        ),
        sa.Column("agency_kind", AGENCY_KIND, nullable=True),
        sa.Column("level", LEVEL, nullable=True),
        sa.Column("agency_id", sa.Integer(), nullable=True),
        sa.Column("within_service_area", sa.Boolean(), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("note", sa.String(length=500), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "(target = 'agency') = (agency_id IS NOT NULL)"
            " AND (target = 'agency' OR agency_kind IS NOT NULL)"
            " AND ((target = 'jurisdiction') = (level IS NOT NULL))",
            name=op.f("ck_routing_rules_target_complete"),
        ),
        sa.ForeignKeyConstraint(
            ["agency_id"], ["agencies.id"], name=op.f("fk_routing_rules_agency_id_agencies")
        ),
        sa.ForeignKeyConstraint(
            ["category_id"],
            ["categories.id"],
            name=op.f("fk_routing_rules_category_id_categories"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_routing_rules")),
        sa.UniqueConstraint("position", name=op.f("uq_routing_rules_position")),
    )
    op.create_index(
        "ix_routing_rules_category_position", "routing_rules", ["category_id", "position"]
    )
    op.create_table(
        "routing_rule_jurisdictions",
        sa.Column("rule_id", sa.Integer(), nullable=False),
        sa.Column("jurisdiction_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["jurisdiction_id"],
            ["jurisdictions.id"],
            name=op.f("fk_routing_rule_jurisdictions_jurisdiction_id_jurisdictions"),
        ),
        sa.ForeignKeyConstraint(
            ["rule_id"],
            ["routing_rules.id"],
            name=op.f("fk_routing_rule_jurisdictions_rule_id_routing_rules"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint(
            "rule_id", "jurisdiction_id", name=op.f("pk_routing_rule_jurisdictions")
        ),
    )


def _calendar_and_audit() -> None:
    op.create_table(
        "calendar_days",
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("working", sa.Boolean(), nullable=False),
        sa.Column("note", sa.String(length=300), nullable=False),
        sa.PrimaryKeyConstraint("day", name=op.f("pk_calendar_days")),
    )
    op.create_table(
        "routing_audit",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=True),
        sa.Column("actor", sa.String(length=64), nullable=False),
        sa.Column("entity", sa.String(length=32), nullable=False),
        sa.Column("entity_key", sa.String(length=64), nullable=False),
        sa.Column(
            "action",
            sa.Enum("create", "update", "delete", name="auditaction", native_enum=False, length=16),
            nullable=False,
        ),
        sa.Column("before", postgresql.JSONB(astext_type=sa.Text()), nullable=True),
        sa.Column("after", postgresql.JSONB(astext_type=sa.Text()), nullable=True),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_routing_audit_user_id_users"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_routing_audit")),
    )
    op.create_index(op.f("ix_routing_audit_at"), "routing_audit", ["at"], unique=False)
    op.create_index("ix_routing_audit_entity", "routing_audit", ["entity", "entity_key"])


def upgrade() -> None:
    _categories()
    _agencies()
    _rules()
    _calendar_and_audit()


def downgrade() -> None:
    op.drop_index("ix_routing_audit_entity", table_name="routing_audit")
    op.drop_index(op.f("ix_routing_audit_at"), table_name="routing_audit")
    op.drop_table("routing_audit")
    op.drop_table("calendar_days")
    op.drop_table("routing_rule_jurisdictions")
    op.drop_index("ix_routing_rules_category_position", table_name="routing_rules")
    op.drop_table("routing_rules")
    op.drop_constraint(op.f("ck_agencies_code_lowercase"), "agencies", type_="check")
    op.drop_index("ix_agencies_kind_jurisdiction", table_name="agencies")
    op.drop_geospatial_index(
        "idx_agencies_service_area",
        table_name="agencies",
        postgresql_using="gist",
        column_name="service_area",
    )
    op.drop_geospatial_column("agencies", "service_area")
    op.drop_column("agencies", "contacts")
    op.drop_table("categories")
