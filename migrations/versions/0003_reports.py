# mypy: disable-error-code="attr-defined"
# (geoalchemy2 registers op.create_geospatial_table and friends at run time)
"""Reports: reports, media, immutable events, followers, idempotency keys, tracking counter.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-22
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from geoalchemy2 import Geometry

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# The timeline of a report is its events: once written, an event is never changed or removed.
IMMUTABLE_EVENTS = """
CREATE FUNCTION report_events_refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'report events are immutable';
END $$;
CREATE TRIGGER report_events_immutable BEFORE UPDATE OR DELETE ON report_events
    FOR EACH ROW EXECUTE FUNCTION report_events_refuse_change();
"""


def upgrade() -> None:
    op.create_table(
        "report_tracking_counters",
        sa.Column("year", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("last", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("year", name=op.f("pk_report_tracking_counters")),
    )
    op.create_geospatial_table(
        "reports",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("tracking_code", sa.String(length=20), nullable=False),
        sa.Column(
            "state",
            sa.Enum(
                "submitted",
                "assigned",
                "returned",
                "in_progress",
                "resolved",
                "published",
                "reopened",
                "rejected",
                "duplicate",
                name="reportstate",
                native_enum=False,
                length=16,
            ),
            nullable=False,
        ),
        sa.Column("category_id", sa.Integer(), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column(
            "location",
            Geometry(
                geometry_type="POINT",
                srid=4326,
                dimension=2,
                spatial_index=False,
                from_text="ST_GeomFromEWKT",
                name="geometry",
                nullable=False,
            ),
            nullable=False,
        ),
        sa.Column(
            "location_source",
            sa.Enum(
                "exif",
                "device",
                "map",
                "given",
                name="locationsource",
                native_enum=False,
                length=16,
            ),
            nullable=False,
        ),
        sa.Column("ward_id", sa.Integer(), nullable=True),
        sa.Column("office_id", sa.Integer(), nullable=True),
        sa.Column("agency_id", sa.Integer(), nullable=True),
        sa.Column("rule_position", sa.Integer(), nullable=True),
        sa.Column(
            "priority",
            sa.Enum("urgent", "normal", "complex", name="priority", native_enum=False, length=16),
            nullable=False,
        ),
        sa.Column("routing_reason", sa.Text(), nullable=False),
        sa.Column("outside_coverage", sa.Boolean(), nullable=False),
        sa.Column("verify_by", sa.DateTime(timezone=True), nullable=True),
        sa.Column("accept_by", sa.DateTime(timezone=True), nullable=True),
        sa.Column("resolve_by", sa.DateTime(timezone=True), nullable=True),
        sa.Column("reporter_name", sa.String(length=200), nullable=True),
        sa.Column("reporter_phone", sa.String(length=40), nullable=True),
        sa.Column("reporter_email", sa.String(length=254), nullable=True),
        sa.Column("keep_identity_private", sa.Boolean(), nullable=False),
        sa.Column("status_token_hash", sa.String(length=64), nullable=False),
        sa.Column("submitter_key", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["agency_id"], ["agencies.id"], name=op.f("fk_reports_agency_id_agencies")
        ),
        sa.ForeignKeyConstraint(
            ["category_id"], ["categories.id"], name=op.f("fk_reports_category_id_categories")
        ),
        sa.ForeignKeyConstraint(
            ["office_id"], ["agencies.id"], name=op.f("fk_reports_office_id_agencies")
        ),
        sa.ForeignKeyConstraint(
            ["ward_id"], ["jurisdictions.id"], name=op.f("fk_reports_ward_id_jurisdictions")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_reports")),
        sa.UniqueConstraint("tracking_code", name=op.f("uq_reports_tracking_code")),
    )
    op.create_geospatial_index(
        "idx_reports_location",
        "reports",
        ["location"],
        unique=False,
        postgresql_using="gist",
        postgresql_ops={},
    )
    op.create_index(op.f("ix_reports_agency_id"), "reports", ["agency_id"], unique=False)
    op.create_index("ix_reports_state_category", "reports", ["state", "category_id"], unique=False)
    op.create_index(
        "ix_reports_submitter_created", "reports", ["submitter_key", "created_at"], unique=False
    )
    op.create_table(
        "report_events",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("report_id", sa.Integer(), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column(
            "actor_kind",
            sa.Enum("resident", "staff", "system", name="actorkind", native_enum=False, length=16),
            nullable=False,
        ),
        sa.Column("user_id", sa.Integer(), nullable=True),
        sa.Column(
            "from_state",
            sa.Enum(
                "submitted",
                "assigned",
                "returned",
                "in_progress",
                "resolved",
                "published",
                "reopened",
                "rejected",
                "duplicate",
                name="reportstate",
                native_enum=False,
                length=16,
            ),
            nullable=True,
        ),
        sa.Column(
            "to_state",
            sa.Enum(
                "submitted",
                "assigned",
                "returned",
                "in_progress",
                "resolved",
                "published",
                "reopened",
                "rejected",
                "duplicate",
                name="reportstate",
                native_enum=False,
                length=16,
            ),
            nullable=False,
        ),
        sa.Column("note", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["report_id"], ["reports.id"], name=op.f("fk_report_events_report_id_reports")
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_report_events_user_id_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_report_events")),
    )
    op.create_index(
        "ix_report_events_report_at", "report_events", ["report_id", "at"], unique=False
    )
    op.create_table(
        "report_followers",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("report_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=True),
        sa.Column("phone", sa.String(length=40), nullable=True),
        sa.Column("email", sa.String(length=254), nullable=True),
        sa.Column("submitter_key", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["report_id"], ["reports.id"], name=op.f("fk_report_followers_report_id_reports")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_report_followers")),
    )
    op.create_index(
        op.f("ix_report_followers_report_id"), "report_followers", ["report_id"], unique=False
    )
    op.create_table(
        "report_idempotency_keys",
        sa.Column("key", sa.String(length=128), nullable=False),
        sa.Column("fingerprint", sa.String(length=64), nullable=False),
        sa.Column("report_id", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["report_id"], ["reports.id"], name=op.f("fk_report_idempotency_keys_report_id_reports")
        ),
        sa.PrimaryKeyConstraint("key", name=op.f("pk_report_idempotency_keys")),
    )
    op.create_table(
        "report_media",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("report_id", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=8), nullable=False),
        sa.Column("mime", sa.String(length=32), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("original_path", sa.String(length=200), nullable=False),
        sa.Column("display_path", sa.String(length=200), nullable=False),
        sa.Column("thumbnail_path", sa.String(length=200), nullable=False),
        sa.Column("width", sa.Integer(), nullable=False),
        sa.Column("height", sa.Integer(), nullable=False),
        sa.Column("duration_s", sa.Float(), nullable=True),
        sa.Column("exif_lat", sa.Float(), nullable=True),
        sa.Column("exif_lon", sa.Float(), nullable=True),
        sa.Column("taken_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["report_id"],
            ["reports.id"],
            name=op.f("fk_report_media_report_id_reports"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_report_media")),
        sa.UniqueConstraint(
            "report_id", "position", name=op.f("uq_report_media_report_id_position")
        ),
    )
    op.create_index(
        op.f("ix_report_media_display_path"), "report_media", ["display_path"], unique=False
    )
    op.create_index(
        op.f("ix_report_media_thumbnail_path"), "report_media", ["thumbnail_path"], unique=False
    )
    op.execute(IMMUTABLE_EVENTS)


def downgrade() -> None:
    op.execute("DROP TRIGGER report_events_immutable ON report_events")
    op.execute("DROP FUNCTION report_events_refuse_change()")
    op.drop_index(op.f("ix_report_media_thumbnail_path"), table_name="report_media")
    op.drop_index(op.f("ix_report_media_display_path"), table_name="report_media")
    op.drop_table("report_media")
    op.drop_table("report_idempotency_keys")
    op.drop_index(op.f("ix_report_followers_report_id"), table_name="report_followers")
    op.drop_table("report_followers")
    op.drop_index("ix_report_events_report_at", table_name="report_events")
    op.drop_table("report_events")
    op.drop_index("ix_reports_submitter_created", table_name="reports")
    op.drop_index("ix_reports_state_category", table_name="reports")
    op.drop_index(op.f("ix_reports_agency_id"), table_name="reports")
    op.drop_geospatial_index(
        "idx_reports_location",
        table_name="reports",
        postgresql_using="gist",
        column_name="location",
    )
    op.drop_geospatial_table("reports")
    op.drop_table("report_tracking_counters")
