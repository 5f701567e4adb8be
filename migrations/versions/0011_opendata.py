"""Open data: the daily snapshots the administrator publishes.

Revision ID: 0011_opendata
Revises: 0011_open311
Create Date: 2026-11-30
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0011_opendata"
down_revision: str | None = "0011_open311"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "open_data_snapshots",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column(
            "state",
            sa.Enum(
                "pending",
                "published",
                "withdrawn",
                name="snapshotstate",
                native_enum=False,
                length=16,
            ),
            nullable=False,
        ),
        sa.Column("reports", sa.Integer(), nullable=True),
        sa.Column("geojson_bytes", sa.BigInteger(), nullable=True),
        sa.Column("geojson_sha256", sa.String(length=64), nullable=True),
        sa.Column("csv_bytes", sa.BigInteger(), nullable=True),
        sa.Column("csv_sha256", sa.String(length=64), nullable=True),
        sa.Column("published_by_id", sa.Integer(), nullable=True),
        sa.Column("published_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("withdrawn_by_id", sa.Integer(), nullable=True),
        sa.Column("withdrawn_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["published_by_id"],
            ["users.id"],
            name=op.f("fk_open_data_snapshots_published_by_id_users"),
        ),
        sa.ForeignKeyConstraint(
            ["withdrawn_by_id"],
            ["users.id"],
            name=op.f("fk_open_data_snapshots_withdrawn_by_id_users"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_open_data_snapshots")),
        sa.UniqueConstraint("day", name=op.f("uq_open_data_snapshots_day")),
    )


def downgrade() -> None:
    op.drop_table("open_data_snapshots")
